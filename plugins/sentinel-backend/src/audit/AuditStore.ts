import { InputError } from '@backstage/errors';
import type { Knex } from 'knex';
import { iso } from '../database/time';
import { writeAudit, type AuditRecord } from './auditRecord';

/** One line of GET /v1/audit (the AuditEvent schema of the OpenAPI document); absent fields do not apply. */
export interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  action: string;
  outcome: string;
  entityRef?: string;
  planId?: string;
  rolloutId?: string;
  reason?: string;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  actor?: string;
  entityRef?: string;
  action?: string;
  outcome?: string;
  from?: Date;
  to?: Date;
}

interface AuditRow {
  id: string | number;
  at: Date | string;
  actor: string;
  action: string;
  outcome: string;
  entity_ref: string | null;
  plan_id: string | null;
  rollout_id: string | null;
  reason: string | null;
  details: string;
}

/** The queryable audit trail (audit_events), newest first. */
export class AuditStore {
  constructor(private readonly knex: Knex) {}

  /** Records what happened outside any other change (a refused attempt). */
  record(record: AuditRecord, at = new Date()): Promise<void> {
    return writeAudit(this.knex, record, at);
  }

  async list(
    filter: AuditFilter,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
    const query = this.knex<AuditRow>('audit_events')
      .orderBy('id', 'desc')
      .limit(page.limit + 1);
    if (filter.actor) query.where('actor', filter.actor);
    if (filter.entityRef) query.where('entity_ref', filter.entityRef);
    if (filter.action) query.where('action', filter.action);
    if (filter.outcome) query.where('outcome', filter.outcome);
    if (filter.from) query.where('at', '>=', filter.from);
    if (filter.to) query.where('at', '<', filter.to);
    if (page.cursor) query.where('id', '<', decodeCursor(page.cursor));
    const rows = await query;
    const items = rows.slice(0, page.limit).map(eventOf);
    return {
      items,
      nextCursor:
        rows.length > page.limit
          ? Buffer.from(items[items.length - 1].id).toString('base64url')
          : null,
    };
  }
}

function eventOf(row: AuditRow): AuditEvent {
  return {
    id: String(row.id),
    at: iso(row.at),
    actor: row.actor,
    action: row.action,
    outcome: row.outcome,
    ...(row.entity_ref !== null && { entityRef: row.entity_ref }),
    ...(row.plan_id !== null && { planId: row.plan_id }),
    ...(row.rollout_id !== null && { rolloutId: row.rollout_id }),
    ...(row.reason !== null && { reason: row.reason }),
    details: JSON.parse(row.details),
  };
}

function decodeCursor(cursor: string): number {
  const id = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new InputError('cursor: not a cursor this API returned');
  }
  return id;
}
