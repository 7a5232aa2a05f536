import type {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import {
  InputError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  AuthorizeResult,
  type BasicPermission,
  type ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  PLAN_STATUSES,
  parseWorkloadRef,
  planApprovePermission,
  planCancelPermission,
  planCreatePermission,
  planReadPermission,
  rollbackCreatePermission,
  type PlanStatus,
} from '@internal/backstage-plugin-sentinel-common';
import type { ClusterDriver } from '@internal/backstage-plugin-sentinel-node';
import express from 'express';
import Router from 'express-promise-router';
import type { Knex } from 'knex';
import { z } from 'zod';
import { invalid, type PlanService } from './pipeline/PlanService';

export interface RouterOptions {
  knex: Knex;
  clusterDrivers: ReadonlyMap<string, ClusterDriver>;
  plans: PlanService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  config: RootConfigService;
  logger: LoggerService;
}

const approveBody = z.strictObject({
  comment: z.string().max(2000).optional(),
});
const rejectBody = z.strictObject({ comment: z.string().min(1).max(2000) });
const rollbackBody = z.strictObject({ reason: z.string().min(1).max(2000) });

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    throw invalid(
      'Invalid request',
      result.error.issues.map(i => ({
        path: i.path.length ? i.path.join('.') : '(body)',
        message: i.message,
      })),
    );
  }
  return result.data;
}

function one(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw invalid('Invalid query', [
      { path: name, message: 'must be given once' },
    ]);
  }
  return value;
}

function parseListQuery(query: express.Request['query']) {
  const limitText = one(query.limit, 'limit');
  const limit = limitText === undefined ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
    throw invalid('Invalid query', [
      { path: 'limit', message: 'must be an integer from 1 to 200' },
    ]);
  }
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

/** Who made a request, as the plan timeline records it. */
function actorOf(credentials: BackstageCredentials): string {
  const p = credentials.principal as {
    type: string;
    userEntityRef?: string;
    subject?: string;
  };
  return p.userEntityRef ?? p.subject ?? p.type;
}

/** HTTP API of the Sentinel backend (API-CONTRACT.md); translates requests into service calls. */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { knex, clusterDrivers, plans, httpAuth, permissions, auditor } =
    options;
  const router = Router();
  router.use(express.json({ limit: '256kb' }));

  async function authorize(
    req: express.Request,
    permission: BasicPermission | ResourcePermission,
    resourceRef?: string,
  ): Promise<BackstageCredentials> {
    const credentials = await httpAuth.credentials(req);
    const [decision] = await permissions.authorize(
      [
        resourceRef
          ? { permission: permission as ResourcePermission, resourceRef }
          : { permission: permission as BasicPermission },
      ],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(`${permission.name} is not allowed`);
    }
    return credentials;
  }

  /** Runs a state-changing request as one audit event that succeeds or fails with it. */
  async function audited<T>(
    req: express.Request,
    eventId: string,
    meta: Record<string, string | undefined>,
    action: () => Promise<T>,
  ): Promise<T> {
    const event = await auditor.createEvent({
      eventId,
      severityLevel: 'medium',
      request: req,
      meta: Object.fromEntries(
        Object.entries(meta).filter(([, v]) => v !== undefined),
      ) as Record<string, string>,
    });
    try {
      const result = await action();
      await event.success();
      return result;
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  }

  // Readiness for load balancers and probes: the plan store answers and is migrated.
  router.get('/health', async (_req, res) => {
    try {
      await knex('plans').select(knex.raw('1')).limit(1);
    } catch (error) {
      throw new ServiceUnavailableError(
        'the plan store is not reachable',
        error,
      );
    }
    res.json({ status: 'ok', clusters: [...clusterDrivers.keys()].sort() });
  });

  router.post('/v1/action-plans', async (req, res) => {
    const idempotencyKey = req.header('Idempotency-Key');
    await audited(req, 'plan-submit', { idempotencyKey }, async () => {
      const credentials = await authorize(req, planCreatePermission);
      const { created, plan } = await plans.submit(req.body, {
        submittedBy: actorOf(credentials),
        idempotencyKey,
      });
      res.status(created ? 202 : 200).json(plan);
    });
  });

  router.get('/v1/action-plans', async (req, res) => {
    await authorize(req, planReadPermission);
    const { filter, page } = parseListQuery(req.query);
    res.json(await plans.list(filter, page));
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
        const { reason } = parseBody(rollbackBody, req.body);
        const { plan } = await plans.submit(
          {
            source: 'Sentinel',
            decisions: [
              {
                verb: 'rollback',
                target: parsed.ref,
                params: {},
                rationale: reason,
              },
            ],
          },
          { submittedBy: actorOf(credentials) },
        );
        res.status(202).json(plan);
      });
    },
  );

  // Backstage's error body, but never a stack trace, not even in development: API clients
  // (the optimizer, scripts) see what went wrong, not Sentinel's insides.
  router.use(
    MiddlewareFactory.create({
      config: options.config,
      logger: options.logger,
    }).error({
      showStackTraces: false,
    }),
  );

  return router;
}
