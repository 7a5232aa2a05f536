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
  SENTINEL_WORKLOAD_RESOURCE_TYPE,
} from '@internal/backstage-plugin-sentinel-common';
import {
  createSentinelPlanConditionalDecision,
  readRoleBindings,
  createSentinelWorkloadConditionalDecision,
  sentinelPlanConditions,
  sentinelWorkloadConditions,
} from '@internal/backstage-plugin-sentinel-node';

/**
 * Role bindings as the policy needs them.
 *
 * @public
 */
export type PolicyBindings = ReturnType<typeof readRoleBindings>;

/**
 * Decides Sentinel's permissions by role (ROLE_GRANTS in sentinel-common): a grant on `all`
 * resources allows, a grant on `owned` ones is a conditional decision that Sentinel resolves
 * against the catalog owners of the plan's or workload's services. Every other plugin's
 * permissions are allowed, as Backstage's allow-all policy would.
 *
 * @public
 */
export class SentinelPolicy implements PermissionPolicy {
  /** A policy with the fixed role bindings of `sentinel.rbac` in app-config. */
  static fromConfig(config: Config): SentinelPolicy {
    const bindings = readRoleBindings(config);
    return new SentinelPolicy(async () => bindings);
  }

  constructor(private readonly bindings: () => Promise<PolicyBindings>) {}

  /** Decides one permission request for a user (or for no user: denied). */
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
