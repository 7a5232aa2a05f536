import type {
  Plan,
  PlanDecision,
  PlanEvent,
  PlanStatus,
} from '@internal/backstage-plugin-sentinel-common';
import type { Knex } from 'knex';
import { iso } from '../../database/time';
import { approvalsRequired } from '../approvals';
import {
  json,
  targetOf,
  type DecisionRow,
  type EventRow,
  type PlanRow,
} from './planRows';

/** Plans as the API shows them: their rows with decisions, timelines and approvals. */
export async function hydratePlans(
  knex: Knex,
  rows: PlanRow[],
): Promise<Plan[]> {
  if (rows.length === 0) {
    return [];
  }
  const ids = rows.map(r => r.id);
  const [decisionRows, eventRows, approvalRows] = await Promise.all([
    knex<DecisionRow>('plan_decisions')
      .whereIn('plan_id', ids)
      .orderBy(['plan_id', 'decision_index']),
    knex<EventRow>('plan_events')
      .whereIn('plan_id', ids)
      .orderBy(['plan_id', 'id']),
    knex('plan_approvals')
      .whereIn('plan_id', ids)
      .orderBy(['plan_id', 'approved_at']),
  ]);
  const approvals = new Map<string, Plan['approvals']>();
  for (const row of approvalRows) {
    const list = approvals.get(row.plan_id) ?? [];
    list.push({
      by: row.approver,
      at: iso(row.approved_at),
      comment: row.comment,
    });
    approvals.set(row.plan_id, list);
  }
  const decisions = new Map<string, PlanDecision[]>();
  for (const row of decisionRows) {
    const list = decisions.get(row.plan_id) ?? [];
    list.push({
      index: row.decision_index,
      verb: row.verb as PlanDecision['verb'],
      target: targetOf(row),
      params: JSON.parse(row.params),
      rationale: row.rationale,
      confidence: row.confidence === null ? null : Number(row.confidence),
      entityRef: row.entity_ref,
      verdict: json(row.verdict) as PlanDecision['verdict'],
      status: row.status as PlanDecision['status'],
      before: json(row.before) as PlanDecision['before'],
      after: json(row.after) as PlanDecision['after'],
      error: row.error,
    });
    decisions.set(row.plan_id, list);
  }
  const timelines = new Map<string, PlanEvent[]>();
  for (const row of eventRows) {
    const list = timelines.get(row.plan_id) ?? [];
    list.push({
      at: iso(row.at),
      status: row.status as PlanStatus,
      actor: row.actor,
      message: row.message,
    });
    timelines.set(row.plan_id, list);
  }
  return rows.map(row => ({
    id: row.id,
    source: row.source,
    mode: row.mode as Plan['mode'],
    status: row.status as PlanStatus,
    statusReason: row.status_reason,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    submittedBy: row.submitted_by,
    rollbackOf: row.rollback_of,
    decisions: decisions.get(row.id) ?? [],
    timeline: timelines.get(row.id) ?? [],
    approvals: approvals.get(row.id) ?? [],
    approvalsRequired: approvalsRequired(
      (decisions.get(row.id) ?? []).map(d => d.verdict),
    ),
  }));
}
