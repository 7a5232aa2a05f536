import type {
  AuditorService,
  LoggerService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import express from 'express';
import Router from 'express-promise-router';
import type { PlanService } from '../plans/PlanService';
import type { PolicyService } from '../policy/PolicyService';
import { ApiRouter } from './apiRouter';
import { SENTINEL_OPERATIONS } from './operations';
import { addFreezeRoutes } from './routes/freezes';
import { addHealthRoutes } from './routes/health';
import { addPlanRoutes } from './routes/plans';
import { addPolicyRoutes } from './routes/policies';
import { rejectHostileBodies } from './bodyShape';
import { safeErrors } from './safeErrors';
import { addRolloutRoutes } from './routes/rollouts';
import type { RolloutStore } from '../rollouts/store/RolloutStore';
import { addWorkloadRoutes } from './routes/workloads';
import type { WorkloadInventory } from '../inventory/WorkloadInventory';
import { createRouteSupport } from './routeSupport';
import type { SentinelAccess } from '../access/SentinelAccess';
import type { AuditStore } from '../audit/AuditStore';
import { addAuditRoutes } from './routes/audit';
import { addRbacRoutes } from './routes/rbac';
import type { RoleBindingStore } from '../access/RoleBindingStore';

export interface RouterOptions {
  /** Resolves when the replica may take traffic; rejects with the reason otherwise. */
  health: () => Promise<{ warnings: string[] }>;
  /** The clusters Sentinel acts on. */
  clusters: readonly string[];
  plans: PlanService;
  policies: PolicyService;
  inventory: WorkloadInventory;
  rollouts: RolloutStore;
  /** Steps a rollout now (a person acted on it). */
  wakeRollout: (id: string) => void;
  /** How long a person's pause may last before the rollout aborts. */
  maxPauseMs: number;
  access: SentinelAccess;
  audit: AuditStore;
  roleBindings: RoleBindingStore;
  auditor: AuditorService;
  config: RootConfigService;
  logger: LoggerService;
}

/**
 * The HTTP API of the Sentinel backend: the operations of operations.ts (the OpenAPI document is
 * generated from them), each translated into service calls.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const router = Router();
  router.use(express.json({ limit: '256kb' }));
  router.use(rejectHostileBodies());
  const support = createRouteSupport(options);

  const api = new ApiRouter(router);

  addHealthRoutes(api, options);
  addPlanRoutes(api, options.plans, support);
  addPolicyRoutes(api, options.plans, options.policies, support);
  addFreezeRoutes(api, options.policies, support);
  addAuditRoutes(api, options.audit, support);
  addRbacRoutes(api, options.roleBindings, support);
  addWorkloadRoutes(
    api,
    options.inventory,
    options.rollouts,
    options.plans,
    support,
  );
  addRolloutRoutes(
    api,
    options.rollouts,
    { maxPauseMs: options.maxPauseMs, wake: options.wakeRollout },
    support,
  );
  // Every operation of the OpenAPI document has its route, and no route lacks one.
  api.assertRoutes(SENTINEL_OPERATIONS);

  // Backstage's error body, but never a stack trace, a cause or an upstream body, not even in
  // development: API clients (the optimizer, scripts) see what went wrong, not Sentinel's
  // insides; a 500 names an error id that the log line carries too.
  router.use(safeErrors(options.logger));
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
