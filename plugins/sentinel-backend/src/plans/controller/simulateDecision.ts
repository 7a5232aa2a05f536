import { stringifyWorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import type { DecisionPatch, StoredDecision } from '../store/PlanStore';
import {
  afterChange,
  DecisionFailedError,
  recordChange,
  type LastApplied,
} from './recordedChange';
import type { WorkloadReader } from '../../inventory/WorkloadReader';

/**
 * Shadow mode: the exact change a decision would make, against the workload as it is now,
 * recorded on the decision; nothing is applied.
 */
export async function simulateDecision(
  decision: StoredDecision,
  context: { workloads: WorkloadReader; now: Date; lastApplied: LastApplied },
): Promise<DecisionPatch> {
  const before = await context.workloads.read(decision.target);
  if (!before) {
    return {
      status: 'failed',
      error: `workload ${stringifyWorkloadRef(decision.target)} does not exist`,
    };
  }
  try {
    const recorded = await recordChange(decision, before, context);
    return {
      status: 'simulated',
      change: recorded,
      before,
      after: afterChange(before, recorded),
    };
  } catch (error) {
    if (!(error instanceof DecisionFailedError)) throw error;
    return { status: 'failed', error: error.message };
  }
}
