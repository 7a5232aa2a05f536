import { stringifyWorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import {
  matchesSnapshot,
  type ClusterDriver,
  type WorkloadState,
} from '@internal/backstage-plugin-sentinel-node';
import type { StoredDecision } from '../store/PlanStore';
import {
  progressiveStrategy,
  type ProgressiveRollouts,
} from '../../rollouts/ProgressiveRollouts';

/**
 * Puts a decision's workload back as it was before the decision's change. Nothing happens
 * when the change never landed or was already undone; a workload changed by someone else
 * since is drift, which the driver refuses to overwrite.
 */
export async function restoreDecision(
  drivers: ReadonlyMap<string, ClusterDriver>,
  decision: StoredDecision,
  context: { planId: string; rollouts?: ProgressiveRollouts; reason: string },
): Promise<'restored' | 'waiting'> {
  const before = decision.before as WorkloadState | null;
  if (!decision.change || !before) return 'restored';
  // A rollout still running is aborted: recorded now, carried out by its controller (which
  // also restores a promotion that had begun); the plan waits for it, holding the workload,
  // and its end wakes the plan. One that promoted is undone like any change.
  if (progressiveStrategy(decision) && context.rollouts) {
    await context.rollouts.abort(
      context.planId,
      decision.index,
      context.reason,
    );
    const outcome = await context.rollouts.outcome(
      context.planId,
      decision.index,
    );
    if (!outcome || outcome.state === 'aborted') return 'restored';
    if (outcome.state === 'running') return 'waiting';
    if (outcome.state === 'failed') {
      throw new Error(
        `rollout ${outcome.rollout.id} ${outcome.rollout.phaseReason}`,
      );
    }
  }
  const driver = drivers.get(decision.target.cluster);
  const current = await driver?.getWorkload(decision.target);
  if (!driver || !current) {
    throw new Error(
      `workload ${stringifyWorkloadRef(decision.target)} is gone`,
    );
  }
  if (matchesSnapshot(current, before)) return 'restored';
  // A change still 'applying' may or may not have landed: what is there now is expected.
  const after = decision.after as WorkloadState | null;
  await driver.restore(before, { expected: after ?? current });
  return 'restored';
}
