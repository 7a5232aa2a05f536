import type { Knex } from 'knex';

/** Every action the audit trail records; `*.refused` are attempts the caller was not allowed. */
export const AUDIT_ACTIONS = [
  'plan.approve',
  'plan.reject',
  'plan.cancel',
  'workload.rollback',
  'rollout.pause',
  'rollout.resume',
  'rollout.promote',
  'rollout.abort',
  'policy.update',
  'freeze.create',
  'freeze.delete',
  'override.create',
  'rbac.update',
  'refused',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One line of the audit trail: who did what to which resource, and why (or why not). */
export interface AuditRecord {
  actor: string;
  action: AuditAction;
  outcome: 'succeeded' | 'refused';
  /** A plan id, a rollout id, `cluster/namespace/Kind/name`, a freeze window id... */
  resource?: string;
  entityRef?: string | null;
  message: string;
}

/** The row to insert, inside the transaction of the change it records. */
export function auditRow(record: AuditRecord, at: Date) {
  return {
    at,
    actor: record.actor,
    action: record.action,
    outcome: record.outcome,
    resource: record.resource ?? null,
    entity_ref: record.entityRef ?? null,
    message: record.message,
  };
}

/** Writes the record in `db`: the caller's transaction, so change and record commit together. */
export async function writeAudit(
  db: Knex | Knex.Transaction,
  record: AuditRecord | undefined,
  at: Date,
): Promise<void> {
  if (record) await db('audit_events').insert(auditRow(record, at));
}
