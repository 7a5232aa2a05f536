/** Sentinel's roles, from least to most powerful (see the seed plan's RBAC section). */
export const SENTINEL_ROLES = [
  'viewer',
  'operator',
  'admin',
  'system',
] as const;
export type SentinelRole = (typeof SENTINEL_ROLES)[number];

const VIEWER = [
  'sentinel.plan.read',
  'sentinel.workload.read',
  'sentinel.policy.read',
];

/** What each role may do; anything not listed is denied. */
export const ROLE_PERMISSIONS: Record<SentinelRole, readonly string[]> = {
  viewer: VIEWER,
  // Operators run plans and roll back, but never change policies or freezes.
  operator: [
    ...VIEWER,
    'sentinel.plan.create',
    'sentinel.plan.approve',
    'sentinel.plan.cancel',
    'sentinel.rollback.create',
    'sentinel.rollout.manage',
  ],
  admin: [
    ...VIEWER,
    'sentinel.plan.create',
    'sentinel.plan.approve',
    'sentinel.plan.cancel',
    'sentinel.rollback.create',
    'sentinel.rollout.manage',
    'sentinel.policy.update',
    'sentinel.freeze.manage',
  ],
  // The optimizer: submits and reads plans, dry-runs policies, approves nothing.
  system: [...VIEWER, 'sentinel.plan.create'],
};

/** Which entities (users or groups, as entity refs) hold which role. */
export type RoleBindings = Partial<Record<SentinelRole, readonly string[]>>;

/** The roles a user holds through their own ref or the groups they belong to. */
export function rolesOf(
  ownershipEntityRefs: readonly string[],
  bindings: RoleBindings,
  defaultRole?: SentinelRole,
): SentinelRole[] {
  const owned = new Set(
    ownershipEntityRefs.map(ref => ref.toLocaleLowerCase('en-US')),
  );
  const roles = SENTINEL_ROLES.filter(role =>
    (bindings[role] ?? []).some(ref =>
      owned.has(ref.toLocaleLowerCase('en-US')),
    ),
  );
  if (roles.length === 0 && defaultRole) {
    return [defaultRole];
  }
  return roles;
}

/** Whether any of the roles grants the permission. */
export function isGranted(
  permissionName: string,
  roles: readonly SentinelRole[],
): boolean {
  return roles.some(role => ROLE_PERMISSIONS[role].includes(permissionName));
}
