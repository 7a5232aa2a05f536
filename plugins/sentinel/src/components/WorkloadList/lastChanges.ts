import type {
  ApiPlan,
  WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';

/** Decision statuses after which the workload was changed (and maybe changed back). */
const CHANGED = new Set([
  'applying',
  'rolling_out',
  'succeeded',
  'rolled_back',
  'failed',
]);

const keyOf = (t: WorkloadRef) =>
  `${t.cluster}/${t.namespace}/${t.kind}/${t.name}`;

/**
 * The newest plan that changed each workload, by `cluster/namespace/Kind/name`, from plans
 * listed newest first. A decision that never reached the cluster (pending, skipped,
 * simulated) is not a change.
 */
export function lastChanges(plans: ApiPlan[]): Map<string, ApiPlan> {
  const latest = new Map<string, ApiPlan>();
  for (const plan of plans) {
    for (const decision of plan.decisions) {
      const key = keyOf(decision.target as WorkloadRef);
      if (CHANGED.has(decision.status) && !latest.has(key)) {
        latest.set(key, plan);
      }
    }
  }
  return latest;
}

export { keyOf as workloadKey };
