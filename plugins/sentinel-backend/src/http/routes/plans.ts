import {
  planApprovePermission,
  planCancelPermission,
  planCreatePermission,
  planReadPermission,
  policyUpdatePermission,
  rollbackCreatePermission,
  stringifyWorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import type { PlanService } from '../../plans/PlanService';
import { actorOf } from '../../audit/auditRecord';
import type { ApiRouter } from '../apiRouter';
import type { RouteSupport } from '../routeSupport';
import {
  approvePlan,
  cancelPlan,
  getPlan,
  listPlans,
  rejectPlan,
  submitPlan,
} from './plans.api';

/** The plan routes (plans.api.ts). */
export function addPlanRoutes(
  api: ApiRouter,
  plans: PlanService,
  { authorize, listAccess, audited }: RouteSupport,
) {
  api.route(submitPlan, async ({ req, input, reply }) => {
    const idempotencyKey = req.get('Idempotency-Key');
    await audited(req, 'plan-submit', { idempotencyKey }, async () => {
      const credentials = await authorize(req, planCreatePermission);
      const headers = input.headers();
      const { created, plan } = await plans.submit(input.body(), {
        submittedBy: actorOf(credentials),
        idempotencyKey: headers['Idempotency-Key'],
        // A rollback through a plan needs what the rollback route needs; rolling back over
        // drift (force) is an admin's call.
        authorizeDecisions: async decisions => {
          for (const d of decisions.filter(x => x.verb === 'rollback')) {
            await authorize(
              req,
              rollbackCreatePermission,
              stringifyWorkloadRef(d.target),
            );
            if ((d.params as { force?: unknown }).force === true) {
              await authorize(req, policyUpdatePermission);
            }
          }
        },
      });
      reply(created ? 202 : 200, plan);
    });
  });

  api.route(listPlans, async ({ req, input, reply }) => {
    const { filter: access } = await listAccess(req, planReadPermission);
    const { limit, cursor, ...filter } = input.query();
    reply(200, await plans.list(filter, { limit, cursor }, access));
  });

  api.route(getPlan, async ({ req, input, reply }) => {
    const { id } = input.params;
    await authorize(req, planReadPermission, id);
    reply(200, await plans.get(id));
  });

  api.route(approvePlan, async ({ req, input, reply }) => {
    const { id } = input.params;
    await audited(req, 'plan-approve', { planId: id }, async () => {
      const credentials = await authorize(req, planApprovePermission, id);
      const { comment } = input.body();
      reply(200, await plans.approve(id, actorOf(credentials), comment));
    });
  });

  api.route(rejectPlan, async ({ req, input, reply }) => {
    const { id } = input.params;
    await audited(req, 'plan-reject', { planId: id }, async () => {
      const credentials = await authorize(req, planApprovePermission, id);
      const { comment } = input.body();
      reply(200, await plans.reject(id, actorOf(credentials), comment));
    });
  });

  api.route(cancelPlan, async ({ req, input, reply }) => {
    const { id } = input.params;
    await audited(req, 'plan-cancel', { planId: id }, async () => {
      const credentials = await authorize(req, planCancelPermission, id);
      reply(200, await plans.cancel(id, actorOf(credentials)));
    });
  });
}
