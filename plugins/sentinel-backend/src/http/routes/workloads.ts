import { InputError } from '@backstage/errors';
import {
  parseWorkloadRef,
  policyUpdatePermission,
  rollbackCreatePermission,
  stringifyWorkloadRef,
  workloadReadPermission,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import type { WorkloadInventory } from '../../inventory/WorkloadInventory';
import type { RolloutStore } from '../../rollouts/store/RolloutStore';
import type { PlanService } from '../../plans/PlanService';
import { targetPasses } from '../../access/accessFilter';
import { actorOf } from '../../audit/auditRecord';
import type { ApiRouter } from '../apiRouter';
import type { RouteSupport } from '../routeSupport';
import { listWorkloads, rollbackWorkload } from './workloads.api';

/** The workload routes (workloads.api.ts). */
export function addWorkloadRoutes(
  api: ApiRouter,
  inventory: WorkloadInventory,
  rollouts: RolloutStore,
  plans: Pick<PlanService, 'lastChangedPlans' | 'submit'>,
  { authorize, listAccess, audited }: RouteSupport,
) {
  // Served from the list+watch inventory, never from the API servers.
  api.route(listWorkloads, async ({ req, input, reply }) => {
    const { filter: access } = await listAccess(req, workloadReadPermission);
    const { include, limit, cursor, ...filter } = input.query();
    const [page, inFlight] = await Promise.all([
      inventory.list(
        filter,
        { limit, cursor },
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
    reply(200, {
      nextCursor: page.nextCursor,
      items: page.items.map(item => {
        const key = stringifyWorkloadRef(item as WorkloadRef);
        const r = byWorkload.get(key);
        return {
          ...item,
          lastPlanId: lastPlans.get(key) ?? null,
          rollout: r ? { id: r.id, phase: r.phase, weight: r.weight } : null,
          health: r?.health
            ? { score: r.health.score, verdict: r.health.verdict }
            : null,
        };
      }),
    });
  });

  api.route(rollbackWorkload, async ({ req, input, reply }) => {
    const { cluster, namespace, kind, name } = input.params;
    const workload = `${cluster}/${namespace}/${kind}/${name}`;
    await audited(req, 'workload-rollback', { workload }, async () => {
      const parsed = parseWorkloadRef(workload);
      if ('error' in parsed) {
        throw new InputError(`Invalid workload: ${parsed.error}`);
      }
      const credentials = await authorize(
        req,
        rollbackCreatePermission,
        workload,
      );
      const { reason, force } = input.body();
      if (force) {
        // Overwriting someone else's change is an admin's call.
        await authorize(req, policyUpdatePermission);
      }
      const { plan } = await plans.submit(
        {
          source: 'Sentinel',
          decisions: [
            {
              verb: 'rollback',
              target: parsed.ref,
              params: force ? { force } : {},
              rationale: reason,
            },
          ],
        },
        {
          submittedBy: actorOf(credentials),
          audit: {
            actor: actorOf(credentials),
            action: 'workload.rollback',
            outcome: 'succeeded',
            reason,
            details: { workload, force: force ?? false },
          },
        },
      );
      reply(202, plan);
    });
  });
}
