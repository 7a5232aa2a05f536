import { stringifyWorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import {
  matchesSnapshot,
  type ClusterDriver,
  type WorkloadState,
} from '@internal/backstage-plugin-sentinel-node';
import type { StoredDecision } from '../database/PlanStore';

/**
 * Puts a decision's workload back as it was before the decision's change. Nothing happens
 * when the change never landed or was already undone; a workload changed by someone else
 * since is drift, which the driver refuses to overwrite.
 */
export async function restoreDecision(
  drivers: ReadonlyMap<string, ClusterDriver>,
  decision: StoredDecision,
): Promise<void> {
  const before = decision.before as WorkloadState | null;
  if (!decision.change || !before) return;
  const driver = drivers.get(decision.target.cluster);
  const current = await driver?.getWorkload(decision.target);
  if (!driver || !current) {
    throw new Error(
      `workload ${stringifyWorkloadRef(decision.target)} is gone`,
    );
  }
  if (matchesSnapshot(current, before)) return;
  // A change still 'applying' may or may not have landed: what is there now is expected.
  const after = decision.after as WorkloadState | null;
  await driver.restore(before, { expected: after ?? current });
}
