import type { AnyOperation } from './openapi/operation';
import { AUDIT_OPERATIONS } from './routes/audit.api';
import { FREEZE_OPERATIONS } from './routes/freezes.api';
import { HEALTH_OPERATIONS } from './routes/health.api';
import { PLAN_OPERATIONS } from './routes/plans.api';
import { POLICY_OPERATIONS } from './routes/policies.api';
import { RBAC_OPERATIONS } from './routes/rbac.api';
import { ROLLOUT_OPERATIONS } from './routes/rollouts.api';
import { WORKLOAD_OPERATIONS } from './routes/workloads.api';

/**
 * Every operation of Sentinel's HTTP API, in the order the OpenAPI document lists them. The
 * router refuses to start unless each has a route and every route is one of them.
 */
export const SENTINEL_OPERATIONS: readonly AnyOperation[] = [
  ...HEALTH_OPERATIONS,
  ...PLAN_OPERATIONS,
  ...POLICY_OPERATIONS,
  ...FREEZE_OPERATIONS,
  ...AUDIT_OPERATIONS,
  ...RBAC_OPERATIONS,
  ...WORKLOAD_OPERATIONS,
  ...ROLLOUT_OPERATIONS,
];
