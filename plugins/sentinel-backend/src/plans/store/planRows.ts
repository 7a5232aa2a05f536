/**
 * The plan store's rows and how they become what the API and the controller see: a plan,
 * a decision, a plan's work item, a page cursor. Pure.
 */
import { InputError } from '@backstage/errors';
import type {
  Plan,
  PlanStatus,
  PlanTarget,
} from '@internal/backstage-plugin-sentinel-common';
import type { NewPlan, PlanWork, StoredDecision } from './PlanStore';
import { iso } from '../../database/time';

export type PlanRow = {
  id: string;
  source: string;
  mode: string;
  status: string;
  status_reason: string | null;
  submitted_by: string;
  idempotency_key: string | null;
  request_hash: string | null;
  rollback_of: string | null;
  created_at: Date | number | string;
  updated_at: Date | number | string;
  lease_owner: string | null;
  lease_expires_at: Date | number | string | null;
  cancel_requested_at: Date | number | string | null;
  approved_by: string | null;
  held_since: Date | number | string | null;
};

export type DecisionRow = {
  plan_id: string;
  decision_index: number;
  verb: string;
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  entity_ref: string | null;
  params: string;
  rationale: string | null;
  confidence: number | null;
  verdict: string | null;
  status: string;
  change: string | null;
  before: string | null;
  after: string | null;
  error: string | null;
  deadline_at: Date | number | string | null;
};

export type EventRow = {
  id: number | string;
  plan_id: string;
  at: Date | number | string;
  status: string;
  actor: string;
  message: string;
};

export const ACTIVE: PlanStatus[] = [
  'received',
  'pending_approval',
  'approved',
  'executing',
];

export function json(value: string | null): unknown | null {
  return value === null ? null : JSON.parse(value);
}

export function targetOf(row: DecisionRow): PlanTarget {
  return {
    cluster: row.cluster,
    namespace: row.namespace,
    kind: row.kind as PlanTarget['kind'],
    name: row.name,
  };
}

export function encodeCursor(row: PlanRow): string {
  return Buffer.from(
    JSON.stringify([iso(row.created_at), row.id]),
    'utf8',
  ).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    );
    const date = new Date(createdAt);
    if (typeof id !== 'string' || Number.isNaN(date.getTime())) {
      throw new Error('bad cursor');
    }
    return { createdAt: date, id };
  } catch {
    throw new InputError('cursor: not a cursor this API returned');
  }
}

/** A new plan's first timeline entry. */
export function receivedEvent(plan: NewPlan) {
  return {
    at: plan.at.toISOString(),
    status: 'received' as const,
    actor: plan.submittedBy,
    message: `plan received from ${plan.source} with ${plan.decisions.length} decision(s)`,
  };
}

/** What getPlan returns for a plan just stored, without reading it back. */
export function asCreated(plan: NewPlan): Plan {
  const event = receivedEvent(plan);
  return {
    id: plan.id,
    source: plan.source,
    mode: plan.mode,
    status: 'received',
    statusReason: null,
    createdAt: event.at,
    updatedAt: event.at,
    submittedBy: plan.submittedBy,
    rollbackOf: plan.rollbackOf ?? null,
    decisions: plan.decisions.map((d, index) => ({
      index,
      verb: d.verb,
      target: d.target,
      params: d.params,
      rationale: d.rationale ?? null,
      confidence: d.confidence ?? null,
      entityRef: d.entityRef,
      verdict: null,
      status: 'pending',
      before: null,
      after: null,
      error: null,
    })),
    timeline: [event],
    approvals: [],
    approvalsRequired: 1,
  };
}

/** A plan just stored, as a reconcile step would read it back (for a lease at birth). */
export function newPlanWork(plan: NewPlan): PlanWork {
  return {
    id: plan.id,
    source: plan.source,
    mode: plan.mode,
    status: 'received',
    createdAt: plan.at,
    submittedBy: plan.submittedBy,
    rollbackOf: plan.rollbackOf ?? null,
    approvedBy: null,
    heldSince: null,
    statusReason: null,
    cancelRequested: false,
    decisions: plan.decisions.map((d, index) => ({
      index,
      verb: d.verb,
      target: d.target,
      params: d.params,
      confidence: d.confidence ?? null,
      entityRef: d.entityRef,
      verdict: null,
      status: 'pending',
      change: null,
      before: null,
      after: null,
      error: null,
      deadlineAt: null,
    })),
  };
}

/** A decision row as the controller reads it. */
export function storedDecision(row: DecisionRow): StoredDecision {
  return {
    index: row.decision_index,
    verb: row.verb as StoredDecision['verb'],
    target: targetOf(row),
    params: JSON.parse(row.params),
    confidence: row.confidence === null ? null : Number(row.confidence),
    entityRef: row.entity_ref,
    verdict: json(row.verdict) as StoredDecision['verdict'],
    status: row.status as StoredDecision['status'],
    change: json(row.change),
    before: json(row.before),
    after: json(row.after),
    error: row.error,
    deadlineAt:
      row.deadline_at === null ? null : new Date(iso(row.deadline_at)),
  };
}

/** A plan row and its decisions as one reconcile step reads them. */
export function planWork(row: PlanRow, decisions: StoredDecision[]): PlanWork {
  return {
    id: row.id,
    source: row.source,
    mode: row.mode as PlanWork['mode'],
    status: row.status as PlanStatus,
    createdAt: new Date(iso(row.created_at)),
    submittedBy: row.submitted_by,
    rollbackOf: row.rollback_of,
    approvedBy: row.approved_by,
    heldSince: row.held_since === null ? null : new Date(iso(row.held_since)),
    statusReason: row.status_reason,
    cancelRequested: row.cancel_requested_at !== null,
    decisions,
  };
}
