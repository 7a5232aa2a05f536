import type { WorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import type {
  ClusterDriver,
  RolloutStatus,
  WorkloadState,
} from '@internal/backstage-plugin-sentinel-node';

/** Where watch events come from (the workload inventory). */
export interface WorkloadEvents {
  onChange(
    listener: (event: {
      ref: WorkloadRef;
      rollout: RolloutStatus | undefined;
    }) => void,
  ): () => void;
}

/** Current workload state as the inventory keeps it (list+watch): no API call per read. */
export interface WorkloadCache {
  covers(cluster: string): boolean;
  state(ref: WorkloadRef): WorkloadState | undefined;
  rolloutStatus(ref: WorkloadRef): RolloutStatus | undefined;
}

/**
 * Reads workloads for validation, policy checks and dry runs from the inventory, and asks a
 * cluster's API server only when the inventory has no entry (a cluster it does not watch, not
 * synced yet, or a workload created a moment ago). Writes never rely on it: they carry the
 * resourceVersion read here, and a stale one is a conflict the controller re-reads on.
 */
export class WorkloadReader {
  constructor(
    private readonly drivers: ReadonlyMap<string, ClusterDriver>,
    private readonly cache?: WorkloadCache,
  ) {}

  async read(ref: WorkloadRef): Promise<WorkloadState | undefined> {
    const cached = this.cache?.covers(ref.cluster)
      ? this.cache.state(ref)
      : undefined;
    if (cached) return cached;
    return this.drivers.get(ref.cluster)?.getWorkload(ref);
  }

  /**
   * A workload and how its latest change rolls out, as the last watch event showed them;
   * undefined when the inventory has no entry. Ended rollouts are what wake waiting plans.
   */
  cachedRollout(
    ref: WorkloadRef,
  ): { state: WorkloadState; rollout: RolloutStatus } | undefined {
    if (!this.cache?.covers(ref.cluster)) return undefined;
    const state = this.cache.state(ref);
    const rollout = this.cache.rolloutStatus(ref);
    return state && rollout && { state, rollout };
  }
}
