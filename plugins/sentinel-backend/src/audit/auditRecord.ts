import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';

/** Every action the audit trail records; `refused` are attempts the caller was not allowed. */
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

/** One line of the audit trail (AuditEvent in the OpenAPI document): who did what to which plan or rollout, why. */
export interface AuditRecord {
  actor: string;
  action: AuditAction;
  outcome: 'succeeded' | 'refused' | 'failed';
  entityRef?: string | null;
  planId?: string;
  rolloutId?: string;
  /** The person's comment or reason, or why an attempt was refused. */
  reason?: string;
  /** What else identifies the change: a workload, a version, a window, the request refused. */
  details?: Record<string, unknown>;
}

/** The row to insert, inside the transaction of the change it records. */
export function auditRow(record: AuditRecord, at: Date) {
  return {
    at,
    actor: record.actor,
    action: record.action,
    outcome: record.outcome,
    entity_ref: record.entityRef ?? null,
    plan_id: record.planId ?? null,
    rollout_id: record.rolloutId ?? null,
    reason: record.reason ?? null,
    details: JSON.stringify(record.details ?? {}),
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

/** Who made a request, as timelines and histories record it. */
export function actorOf(credentials: BackstageCredentials): string {
  const p = credentials.principal as {
    type: string;
    userEntityRef?: string;
    subject?: string;
  };
  return p.userEntityRef ?? p.subject ?? p.type;
}
