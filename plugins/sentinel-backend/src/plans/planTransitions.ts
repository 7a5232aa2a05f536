import type {
  DecisionStatus,
  PlanStatus,
} from '@internal/backstage-plugin-sentinel-common';

/**
 * Every status change a plan may make, in one table that the plan store enforces for the
 * people's steps (PlanService) and the controller's alike. A transition not listed here is a
 * programming error, not a state the API can ever show.
 */
export const PLAN_TRANSITIONS: Readonly<
  Record<PlanStatus, readonly PlanStatus[]>
> = {
  // The policy's verdicts at receipt; a person may cancel before that.
  received: ['approved', 'pending_approval', 'rejected', 'cancelled'],
  // A person decides, or the approval timeout rejects.
  pending_approval: ['approved', 'rejected', 'cancelled'],
  // Re-checked at the moment of apply: admitted (executing), refused (rejected), or the
  // policy now asks a person (pending_approval). A held plan stays approved. A decision that
  // cannot be carried out at all (its workload is gone) fails the plan before anything is
  // applied.
  approved: [
    'executing',
    'rejected',
    'pending_approval',
    'cancelled',
    'failed',
  ],
  executing: [
    'succeeded',
    'simulated',
    'rolled_back',
    'cancelled',
    'failed',
    // A refusal at the moment of apply of the first decision: nothing was applied.
    'rejected',
    'pending_approval',
  ],
  rejected: [],
  succeeded: [],
  failed: [],
  rolled_back: [],
  cancelled: [],
  simulated: [],
};

/**
 * Statuses a replica advances without a person: the reconciler claims these when due. The
 * claim's partial index (migration 20261127000001_due_index) names the same statuses.
 */
export const RECONCILED_PLAN_STATUSES: readonly PlanStatus[] = [
  'received',
  'approved',
  'executing',
];

/** Whether a plan in `status` is advanced by a replica (so it has a next check time). */
export function isReconciled(status: PlanStatus): boolean {
  return RECONCILED_PLAN_STATUSES.includes(status);
}

/** Throws unless `from -> steps[0] -> steps[1] ...` are all in the table. */
export function assertTransitionChain(
  from: PlanStatus,
  steps: readonly { to: PlanStatus }[],
): void {
  let current = from;
  for (const { to } of steps) {
    assertTransitions([current], to);
    current = to;
  }
}

/** Throws unless every `from -> to` is in the table: callers name only real transitions. */
export function assertTransitions(
  from: readonly PlanStatus[],
  to: PlanStatus,
): void {
  const invalid = from.filter(status => !PLAN_TRANSITIONS[status].includes(to));
  if (invalid.length) {
    throw new Error(
      `a plan cannot go from ${invalid.join(
        ', ',
      )} to ${to} (see PLAN_TRANSITIONS)`,
    );
  }
}

/**
 * The life of one decision: `pending` until admitted at the moment of apply, `applying` once
 * its change is recorded and its ledger entry reserved (it may or may not have reached the
 * cluster), `rolling_out` once the cluster has it, `succeeded` when the rollout completed.
 * Undone decisions end `rolled_back`; shadow plans end `simulated`.
 */
export const DECISION_TRANSITIONS: Readonly<
  Record<DecisionStatus, readonly DecisionStatus[]>
> = {
  pending: ['applying', 'simulated', 'failed', 'skipped'],
  applying: ['rolling_out', 'succeeded', 'failed', 'rolled_back'],
  rolling_out: ['succeeded', 'failed', 'rolled_back'],
  succeeded: ['rolled_back'],
  failed: ['rolled_back'],
  rolled_back: [],
  simulated: [],
  skipped: [],
};
