import type { Config } from '@backstage/config';
import {
  AuthorizeResult,
  isResourcePermission,
  type PolicyDecision,
} from '@backstage/plugin-permission-common';
import type {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  grantOf,
  rolesOf,
  SENTINEL_PLAN_RESOURCE_TYPE,
  SENTINEL_ROLES,
  SENTINEL_WORKLOAD_RESOURCE_TYPE,
  type RoleBindings,
  type SentinelRole,
} from '@internal/backstage-plugin-sentinel-common';
import {
  createSentinelPlanConditionalDecision,
  createSentinelWorkloadConditionalDecision,
  sentinelPlanConditions,
  sentinelWorkloadConditions,
} from '@internal/backstage-plugin-sentinel-node';

/** Role bindings as the policy needs them; see {@link SentinelPolicy.fromConfig}. */
export interface PolicyBindings {
  roles: RoleBindings;
  defaultRole?: SentinelRole;
}

/** The bindings of `sentinel.rbac` in app-config. */
export function readPolicyBindings(config: Config): PolicyBindings {
  const rbac = config.getOptionalConfig('sentinel.rbac');
  const roles: RoleBindings = {};
  for (const role of SENTINEL_ROLES) {
    roles[role] = rbac?.getOptionalStringArray(`roles.${role}`) ?? [];
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
  return { roles, defaultRole: defaultRole as SentinelRole | undefined };
}

/**
 * Decides Sentinel's permissions by role (ROLE_GRANTS in sentinel-common): a grant on `all`
 * resources allows, a grant on `owned` ones is a conditional decision that Sentinel resolves
 * against the catalog owners of the plan's or workload's services. Every other plugin's
 * permissions are allowed, as Backstage's allow-all policy would.
 */
export class SentinelPolicy implements PermissionPolicy {
  static fromConfig(config: Config): SentinelPolicy {
    const bindings = readPolicyBindings(config);
    return new SentinelPolicy(async () => bindings);
  }

  constructor(private readonly bindings: () => Promise<PolicyBindings>) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    if (!permission.name.startsWith('sentinel.')) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (!user) return { result: AuthorizeResult.DENY };
    const { roles: bindings, defaultRole } = await this.bindings();
    const claims = user.info.ownershipEntityRefs;
    const grant = grantOf(
      permission.name,
      rolesOf(claims, bindings, defaultRole),
    );
    if (grant === 'all') return { result: AuthorizeResult.ALLOW };
    if (grant === 'owned') {
      if (isResourcePermission(permission, SENTINEL_PLAN_RESOURCE_TYPE)) {
        return createSentinelPlanConditionalDecision(
          permission,
          sentinelPlanConditions.isEntityOwner({ claims }),
        );
      }
      if (isResourcePermission(permission, SENTINEL_WORKLOAD_RESOURCE_TYPE)) {
        return createSentinelWorkloadConditionalDecision(
          permission,
          sentinelWorkloadConditions.isEntityOwner({ claims }),
        );
      }
    }
    return { result: AuthorizeResult.DENY };
  }
}
