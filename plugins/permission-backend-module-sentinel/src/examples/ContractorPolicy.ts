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
  planReadPermission,
  workloadReadPermission,
} from '@internal/backstage-plugin-sentinel-common';
import {
  createSentinelPlanConditionalDecision,
  createSentinelWorkloadConditionalDecision,
  sentinelPlanConditions,
  sentinelWorkloadConditions,
} from '@internal/backstage-plugin-sentinel-node';

/**
 * An example of extending Sentinel's role policy (docs/permissions.md): contractors, members
 * of `group:default/contractors`, see only the plans and workloads of one namespace, and do
 * nothing else in Sentinel. Everyone else is decided by the policy it wraps. Sentinel turns
 * the conditions into list filters, so a contractor's plan list shows that namespace only.
 *
 * @public
 */
export class ContractorPolicy implements PermissionPolicy {
  constructor(
    private readonly inner: PermissionPolicy,
    private readonly namespace: string,
  ) {}

  /** Decides contractors' Sentinel requests; hands every other request to the inner policy. */
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    const contractor = user?.info.ownershipEntityRefs.includes(
      'group:default/contractors',
    );
    if (!contractor || !permission.name.startsWith('sentinel.')) {
      return this.inner.handle(request, user);
    }
    if (permission.name === planReadPermission.name) {
      return createSentinelPlanConditionalDecision(
        planReadPermission,
        sentinelPlanConditions.inNamespace({ namespace: this.namespace }),
      );
    }
    if (permission.name === workloadReadPermission.name) {
      return createSentinelWorkloadConditionalDecision(
        workloadReadPermission,
        sentinelWorkloadConditions.inNamespace({ namespace: this.namespace }),
      );
    }
    return { result: AuthorizeResult.DENY };
  }
}
