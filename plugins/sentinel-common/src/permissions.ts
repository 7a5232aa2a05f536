import {
  createPermission,
  type Permission,
} from '@backstage/plugin-permission-common';

/**
 * Resource type of an action plan, for conditional decisions on plans.
 *
 * @public
 */
export const SENTINEL_PLAN_RESOURCE_TYPE = 'sentinel-plan';
/**
 * Resource type of a managed workload, for conditional decisions on workloads.
 *
 * @public
 */
export const SENTINEL_WORKLOAD_RESOURCE_TYPE = 'sentinel-workload';

/**
 * Submit an action plan (the optimizer, operators).
 *
 * @public
 */
export const planCreatePermission = createPermission({
  name: 'sentinel.plan.create',
  attributes: { action: 'create' },
});

/**
 * See a plan, its decisions and its timeline.
 *
 * @public
 */
export const planReadPermission = createPermission({
  name: 'sentinel.plan.read',
  attributes: { action: 'read' },
  resourceType: SENTINEL_PLAN_RESOURCE_TYPE,
});

/**
 * Approve or reject a plan that waits for a person.
 *
 * @public
 */
export const planApprovePermission = createPermission({
  name: 'sentinel.plan.approve',
  attributes: { action: 'update' },
  resourceType: SENTINEL_PLAN_RESOURCE_TYPE,
});

/**
 * Cancel a plan that has not finished.
 *
 * @public
 */
export const planCancelPermission = createPermission({
  name: 'sentinel.plan.cancel',
  attributes: { action: 'update' },
  resourceType: SENTINEL_PLAN_RESOURCE_TYPE,
});

/**
 * See managed workloads and their health.
 *
 * @public
 */
export const workloadReadPermission = createPermission({
  name: 'sentinel.workload.read',
  attributes: { action: 'read' },
  resourceType: SENTINEL_WORKLOAD_RESOURCE_TYPE,
});

/**
 * Roll a workload back to its state before the last applied change.
 *
 * @public
 */
export const rollbackCreatePermission = createPermission({
  name: 'sentinel.rollback.create',
  attributes: { action: 'create' },
  resourceType: SENTINEL_WORKLOAD_RESOURCE_TYPE,
});

/**
 * Read the policy document and its history, and dry-run evaluations.
 *
 * @public
 */
export const policyReadPermission = createPermission({
  name: 'sentinel.policy.read',
  attributes: { action: 'read' },
});

/**
 * Replace the policy document.
 *
 * @public
 */
export const policyUpdatePermission = createPermission({
  name: 'sentinel.policy.update',
  attributes: { action: 'update' },
});

/**
 * Create and delete change-freeze windows, and break-glass overrides.
 *
 * @public
 */
export const freezeManagePermission = createPermission({
  name: 'sentinel.freeze.manage',
  attributes: { action: 'update' },
});

/**
 * Pause, resume, promote or abort a progressive rollout.
 *
 * @public
 */
export const rolloutManagePermission = createPermission({
  name: 'sentinel.rollout.manage',
  attributes: { action: 'update' },
  resourceType: SENTINEL_PLAN_RESOURCE_TYPE,
});

/**
 * Query the audit trail: every action taken or refused, by whom and why.
 *
 * @public
 */
export const auditReadPermission = createPermission({
  name: 'sentinel.audit.read',
  attributes: { action: 'read' },
});

/**
 * See and change who holds which Sentinel role.
 *
 * @public
 */
export const rbacManagePermission = createPermission({
  name: 'sentinel.rbac.manage',
  attributes: { action: 'update' },
});

/**
 * Every permission Sentinel defines, for registration and for role policies.
 *
 * @public
 */
export const sentinelPermissions: Permission[] = [
  planCreatePermission,
  planReadPermission,
  planApprovePermission,
  planCancelPermission,
  workloadReadPermission,
  rollbackCreatePermission,
  policyReadPermission,
  policyUpdatePermission,
  freezeManagePermission,
  rolloutManagePermission,
  auditReadPermission,
  rbacManagePermission,
];
