import {
  parseWorkloadRef,
  stringifyWorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import type {
  SentinelPlanResource,
  SentinelWorkloadResource,
} from '@internal/backstage-plugin-sentinel-node';
import type { WorkloadOwnership } from '../inventory/WorkloadCatalogIndex';

/** A plan's submitter and the workloads its decisions target. */
export interface PlanTargets {
  id: string;
  submittedBy: string;
  targets: { cluster: string; namespace: string; entityRef: string | null }[];
}

/** Where the permission rules read plans from (the plan store). */
export interface PlanTargetReader {
  /** Who submitted each plan and where each of its decisions lands. */
  planTargets(ids: readonly string[]): Promise<PlanTargets[]>;
}

/** Plans as permission rules see them, for conditional decisions on a single plan. */
export async function loadPlanResources(
  ids: string[],
  deps: { store: PlanTargetReader; ownership: WorkloadOwnership },
): Promise<(SentinelPlanResource | undefined)[]> {
  const [plans, snapshot] = await Promise.all([
    deps.store.planTargets(ids),
    deps.ownership.snapshot(),
  ]);
  const byId = new Map(plans.map(p => [p.id, p]));
  return ids.map(id => {
    const plan = byId.get(id);
    return (
      plan && {
        id,
        submittedBy: plan.submittedBy,
        targets: plan.targets.map(t => ({
          cluster: t.cluster,
          namespace: t.namespace,
          entityRef: t.entityRef ?? undefined,
          owners:
            (t.entityRef && snapshot.entityOwners?.get(t.entityRef)) || [],
        })),
      }
    );
  });
}

/** Workloads (`cluster/namespace/Kind/name`) as permission rules see them. */
export async function loadWorkloadResources(
  refs: string[],
  ownership: WorkloadOwnership,
): Promise<(SentinelWorkloadResource | undefined)[]> {
  const snapshot = await ownership.snapshot();
  return refs.map(text => {
    const parsed = parseWorkloadRef(text);
    if ('error' in parsed) return undefined;
    const ref = stringifyWorkloadRef(parsed.ref);
    const entityRef = snapshot.owners.get(ref);
    return {
      ref,
      cluster: parsed.ref.cluster,
      namespace: parsed.ref.namespace,
      entityRef,
      owners: (entityRef && snapshot.entityOwners?.get(entityRef)) || [],
    };
  });
}
