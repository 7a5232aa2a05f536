import type { z } from 'zod';
import type { roleBindingsSchema } from './schema/roleBindings';

/**
 * Sentinel's roles, from least to most powerful (see docs/permissions.md, Roles).
 *
 * @public
 */
export const SENTINEL_ROLES = [
  'viewer',
  'operator',
  'admin',
  'system',
] as const;
/**
 * One of Sentinel's roles (`SENTINEL_ROLES`).
 *
 * @public
 */
export type SentinelRole = (typeof SENTINEL_ROLES)[number];

/**
 * How far a role's permission reaches: `all` resources, or only those `owned`: the plans and
 * workloads whose catalog entities are owned by one of the user's ownership refs.
 *
 * @public
 */
export type RoleGrant = 'all' | 'owned';

const VIEWER = {
  'sentinel.plan.read': 'all',
  'sentinel.workload.read': 'all',
  'sentinel.policy.read': 'all',
} as const;

/**
 * What each role may do; anything not listed is denied. The role policy, Sentinel's own check
 * of service principals and the role table in the docs all read this one table.
 *
 * @public
 */
export const ROLE_GRANTS: Record<
  SentinelRole,
  Readonly<Record<string, RoleGrant>>
> = {
  viewer: VIEWER,
  // Operators act only on the services their groups own, and never change policies or freezes.
  operator: {
    ...VIEWER,
    'sentinel.plan.create': 'all',
    'sentinel.plan.approve': 'owned',
    'sentinel.plan.cancel': 'owned',
    'sentinel.rollback.create': 'owned',
    'sentinel.rollout.manage': 'owned',
  },
  admin: {
    ...VIEWER,
    'sentinel.plan.create': 'all',
    'sentinel.plan.approve': 'all',
    'sentinel.plan.cancel': 'all',
    'sentinel.rollback.create': 'all',
    'sentinel.rollout.manage': 'all',
    'sentinel.policy.update': 'all',
    'sentinel.freeze.manage': 'all',
    'sentinel.audit.read': 'all',
    'sentinel.rbac.manage': 'all',
  },
  // The optimizer: submits and reads plans, dry-runs policies, approves nothing.
  system: { ...VIEWER, 'sentinel.plan.create': 'all' },
};

/**
 * Who holds which role: user or group entity refs (`group:default/sre`) and, for `system`,
 * service principals as `service:<subject>` (`service:external:inframind`).
 *
 * @public
 */
export type RoleBindings = Partial<Record<SentinelRole, readonly string[]>>;

/**
 * The roles held through any of these refs (own ref, groups, or a service subject).
 *
 * @public
 */
export function rolesOf(
  refs: readonly string[],
  bindings: RoleBindings,
  defaultRole?: SentinelRole,
): SentinelRole[] {
  const held = new Set(refs.map(ref => ref.toLocaleLowerCase('en-US')));
  const roles = SENTINEL_ROLES.filter(role =>
    (bindings[role] ?? []).some(ref =>
      held.has(ref.toLocaleLowerCase('en-US')),
    ),
  );
  if (roles.length === 0 && defaultRole) {
    return [defaultRole];
  }
  return roles;
}

/**
 * The widest grant any of the roles gives for the permission, or undefined: denied.
 *
 * @public
 */
export function grantOf(
  permissionName: string,
  roles: readonly SentinelRole[],
): RoleGrant | undefined {
  const grants = roles.map(role => ROLE_GRANTS[role][permissionName]);
  if (grants.includes('all')) return 'all';
  return grants.includes('owned') ? 'owned' : undefined;
}

/**
 * A versioned set of role bindings, as GET /v1/rbac/bindings returns it.
 *
 * @public
 */
export type RoleBindingsVersion = z.output<typeof roleBindingsSchema>;
