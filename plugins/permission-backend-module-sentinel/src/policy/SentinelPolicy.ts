import type { Config } from '@backstage/config';
import {
  AuthorizeResult,
  type PolicyDecision,
} from '@backstage/plugin-permission-common';
import type {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  isGranted,
  rolesOf,
  SENTINEL_ROLES,
  type RoleBindings,
  type SentinelRole,
} from './roles';

/**
 * Decides Sentinel's permissions by role; every other plugin's permissions are allowed, as
 * Backstage's allow-all policy would.
 */
export class SentinelPolicy implements PermissionPolicy {
  static fromConfig(config: Config): SentinelPolicy {
    const rbac = config.getOptionalConfig('sentinel.rbac');
    const bindings: RoleBindings = {};
    for (const role of SENTINEL_ROLES) {
      bindings[role] = rbac?.getOptionalStringArray(`roles.${role}`) ?? [];
    }
    const defaultRole = rbac?.getOptionalString('defaultRole');
    if (
      defaultRole !== undefined &&
      !(SENTINEL_ROLES as readonly string[]).includes(defaultRole)
    ) {
      throw new Error(
        `sentinel.rbac.defaultRole must be one of ${SENTINEL_ROLES.join(
          ', ',
        )}, got '${defaultRole}'`,
      );
    }
    return new SentinelPolicy(
      bindings,
      defaultRole as SentinelRole | undefined,
    );
  }

  constructor(
    private readonly bindings: RoleBindings,
    private readonly defaultRole?: SentinelRole,
  ) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (!request.permission.name.startsWith('sentinel.')) {
      return { result: AuthorizeResult.ALLOW };
    }
    const roles = rolesOf(
      user?.info.ownershipEntityRefs ?? [],
      this.bindings,
      user ? this.defaultRole : undefined,
    );
    return {
      result: isGranted(request.permission.name, roles)
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
    };
  }
}
