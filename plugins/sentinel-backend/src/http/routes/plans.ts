import { InputError } from '@backstage/errors';
import {
  PLAN_STATUSES,
  parseWorkloadRef,
  stringifyWorkloadRef,
  planApprovePermission,
  planCancelPermission,
  planCreatePermission,
  planReadPermission,
  policyUpdatePermission,
  rollbackCreatePermission,
  type PlanStatus,
} from '@internal/backstage-plugin-sentinel-common';
import type express from 'express';
import { z } from 'zod';
import { invalid, type PlanService } from '../../plans/PlanService';
import { actorOf } from '../../audit/auditRecord';
import { intParam, one, parseBody, type RouteSupport } from '../routeSupport';

const approveBody = z.strictObject({
  comment: z.string().max(2000).optional(),
});
const rejectBody = z.strictObject({ comment: z.string().min(1).max(2000) });
const rollbackBody = z.strictObject({
  reason: z.string().min(1).max(2000),
  /** Restore over changes made since Sentinel's change; admins only. */
  force: z.boolean().optional(),
});

function parseListQuery(query: express.Request['query']) {
  const limit = intParam(query.limit, 'limit', {
    min: 1,
    max: 200,
    default: 50,
  });
  const statusText = one(query.status, 'status');
  const status = statusText?.split(',').filter(Boolean);
  const unknown = status?.filter(
    s => !(PLAN_STATUSES as readonly string[]).includes(s),
  );
  if (unknown?.length) {
    throw invalid('Invalid query', [
      {
        path: 'status',
        message: `unknown status ${unknown.join(
          ', ',
        )}; known: ${PLAN_STATUSES.join(', ')}`,
      },
    ]);
  }
  return {
    filter: {
      entityRef: one(query.entityRef, 'entityRef'),
      cluster: one(query.cluster, 'cluster'),
      namespace: one(query.namespace, 'namespace'),
      status: status as PlanStatus[] | undefined,
    },
    page: { limit, cursor: one(query.cursor, 'cursor') },
  };
}

/** The plan and workload-rollback routes of API-CONTRACT.md. */
export function addPlanRoutes(
  router: express.Router,
  plans: PlanService,
  { authorize, listAccess, audited }: RouteSupport,
) {
  router.post('/v1/action-plans', async (req, res) => {
    const idempotencyKey = req.header('Idempotency-Key');
    await audited(req, 'plan-submit', { idempotencyKey }, async () => {
      const credentials = await authorize(req, planCreatePermission);
      const { created, plan } = await plans.submit(req.body, {
        submittedBy: actorOf(credentials),
        idempotencyKey,
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
      res.status(created ? 202 : 200).json(plan);
    });
  });

  router.get('/v1/action-plans', async (req, res) => {
    const { filter: access } = await listAccess(req, planReadPermission);
    const { filter, page } = parseListQuery(req.query);
    res.json(await plans.list(filter, page, access));
  });

  router.get('/v1/action-plans/:id', async (req, res) => {
    await authorize(req, planReadPermission, req.params.id);
    res.json(await plans.get(req.params.id));
  });

  router.post('/v1/action-plans/:id/approve', async (req, res) => {
    const { id } = req.params;
    await audited(req, 'plan-approve', { planId: id }, async () => {
      const credentials = await authorize(req, planApprovePermission, id);
      const { comment } = parseBody(approveBody, req.body);
      res.json(await plans.approve(id, actorOf(credentials), comment));
    });
  });

  router.post('/v1/action-plans/:id/reject', async (req, res) => {
    const { id } = req.params;
    await audited(req, 'plan-reject', { planId: id }, async () => {
      const credentials = await authorize(req, planApprovePermission, id);
      const { comment } = parseBody(rejectBody, req.body);
      res.json(await plans.reject(id, actorOf(credentials), comment));
    });
  });

  router.post('/v1/action-plans/:id/cancel', async (req, res) => {
    const { id } = req.params;
    await audited(req, 'plan-cancel', { planId: id }, async () => {
      const credentials = await authorize(req, planCancelPermission, id);
      res.json(await plans.cancel(id, actorOf(credentials)));
    });
  });

  router.post(
    '/v1/workloads/:cluster/:namespace/:kind/:name/rollback',
    async (req, res) => {
      const { cluster, namespace, kind, name } = req.params;
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
        const { reason, force } = parseBody(rollbackBody, req.body);
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
        res.status(202).json(plan);
      });
    },
  );
}
