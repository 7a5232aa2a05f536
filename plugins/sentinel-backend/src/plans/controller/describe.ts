import {
  stringifyWorkloadRef,
  type DecisionStatus,
  type PlanTarget,
} from '@internal/backstage-plugin-sentinel-common';
import type { StepOutcome } from '../../work/Reconciler';
import type { StoredDecision } from '../store/PlanStore';

/** Re-reads and re-checks of one decision when others keep writing its workload. */
export const MAX_CONFLICT_ATTEMPTS = 5;
/** Decisions whose change may have reached the cluster: an undo restores them. */
export const APPLIED: readonly DecisionStatus[] = [
  'succeeded',
  'applying',
  'rolling_out',
];

/** What a part of a step returns: the step's end, or go on with the plan in this step. */
export type Next = StepOutcome | 'continue';

export function describeTarget(decision: { target: PlanTarget }): string {
  return stringifyWorkloadRef(decision.target);
}

export function describe(decision: StoredDecision): string {
  return `${decision.verb} ${describeTarget(decision)}`;
}
