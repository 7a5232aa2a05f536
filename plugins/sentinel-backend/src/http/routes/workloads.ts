import {
  stringifyWorkloadRef,
  workloadReadPermission,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import type express from 'express';
import type { WorkloadInventory } from '../../inventory/WorkloadInventory';
import type { RolloutStore } from '../../rollouts/store/RolloutStore';
import type { PlanService } from '../../plans/PlanService';
import { targetPasses } from '../../access/accessFilter';
import { invalid } from '../../plans/PlanService';
import { intParam, one, type RouteSupport } from '../routeSupport';

/** GET /v1/workloads, served from the list+watch inventory, never from the API servers. */
export function addWorkloadRoutes(
  router: express.Router,
  inventory: WorkloadInventory,
  rollouts: RolloutStore,
  plans: Pick<PlanService, 'lastChangedPlans'>,
  { listAccess }: RouteSupport,
) {
  router.get('/v1/workloads', async (req, res) => {
    const { filter: access } = await listAccess(req, workloadReadPermission);
    const include = one(req.query.include, 'include');
    if (include !== undefined && include !== 'unmanaged') {
      throw invalid('Invalid query', [
        { path: 'include', message: "must be 'unmanaged' when given" },
      ]);
    }
    const limit = intParam(req.query.limit, 'limit', {
      min: 1,
      max: 500,
      default: 100,
    });
    const [page, inFlight] = await Promise.all([
      inventory.list(
        {
          entityRef: one(req.query.entityRef, 'entityRef'),
          cluster: one(req.query.cluster, 'cluster'),
          namespace: one(req.query.namespace, 'namespace'),
        },
        { limit, cursor: one(req.query.cursor, 'cursor') },
        // Workloads a catalog entity manages (and, asked for, those none does yet), and of
        // those what the caller may see: an unmanaged one only by whoever may read all.
        item =>
          (item.entityRef !== null || include === 'unmanaged') &&
          (!access || (item.entityRef !== null && targetPasses(access, item))),
      ),
      rollouts.inFlight(),
    ]);
    // Each workload's rollout in flight, and the health its analysis last scored.
    const byWorkload = new Map(
      inFlight.map(r => [stringifyWorkloadRef(r.target as WorkloadRef), r]),
    );
    // And the plan that last changed each (one query for the page).
    const lastPlans = await plans.lastChangedPlans(page.items as WorkloadRef[]);
    res.json({
      ...page,
      items: page.items.map(item => {
        const key = stringifyWorkloadRef(item as WorkloadRef);
        const r = byWorkload.get(key);
        const withLast = { ...item, lastPlanId: lastPlans.get(key) ?? null };
        return r
          ? {
              ...withLast,
              rollout: { id: r.id, phase: r.phase, weight: r.weight },
              health: r.health && {
                score: r.health.score,
                verdict: r.health.verdict,
              },
            }
          : withLast;
      }),
    });
  });
}
