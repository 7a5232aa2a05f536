import type {
  AuditorService,
  LoggerService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { ServiceUnavailableError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import type { PlanService } from '../plans/PlanService';
import type { PolicyService } from '../policy/PolicyService';
import { addPlanRoutes } from './routes/plans';
import { addPolicyRoutes } from './routes/policies';
import { rejectControlCharacters } from './controlCharacters';
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
  /** Resolves when the plan store answers and is migrated; rejects otherwise. */
  health: () => Promise<void>;
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

/** The HTTP API of the Sentinel backend (the OpenAPI document); translates requests into service calls. */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const router = Router();
  router.use(express.json({ limit: '256kb' }));
  router.use(rejectControlCharacters());
  const support = createRouteSupport(options);

  // Readiness for load balancers and probes: the plan store answers and is migrated.
  router.get('/health', async (_req, res) => {
    try {
      await options.health();
    } catch (error) {
      throw new ServiceUnavailableError(
        'the plan store is not reachable',
        error,
      );
    }
    res.json({ status: 'ok', clusters: [...options.clusters].sort() });
  });

  addPlanRoutes(router, options.plans, support);
  addAuditRoutes(router, options.audit, support);
  addRbacRoutes(router, options.roleBindings, support);
  addPolicyRoutes(router, options.plans, options.policies, support);
  addWorkloadRoutes(
    router,
    options.inventory,
    options.rollouts,
    options.plans,
    support,
  );
  addRolloutRoutes(
    router,
    options.rollouts,
    { maxPauseMs: options.maxPauseMs, wake: options.wakeRollout },
    support,
  );

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
