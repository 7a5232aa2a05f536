import {
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import {
  SENTINEL_PLAN_RESOURCE_TYPE,
  SENTINEL_WORKLOAD_RESOURCE_TYPE,
} from '@internal/backstage-plugin-sentinel-common';
import { z } from 'zod';

/**
 * Where a plan's decision or a workload lives, and who owns it in the catalog.
 *
 * @public
 */
export interface SentinelResourceTarget {
  /** The cluster the workload runs in. */
  cluster: string;
  /** The namespace the workload runs in. */
  namespace: string;
  /** The catalog entity that manages the workload; none: no one owns it. */
  entityRef?: string;
  /** The entity's owners (its ownedBy relations), as entity refs. */
  owners: readonly string[];
}

/**
 * A plan as permission rules see it: who submitted it and every workload it touches.
 *
 * @public
 */
export interface SentinelPlanResource {
  /** The plan's id. */
  id: string;
  /** Who submitted the plan: a user entity ref or a service subject. */
  submittedBy: string;
  /** Every workload the plan's decisions change. */
  targets: readonly SentinelResourceTarget[];
}

/**
 * A workload as permission rules see it.
 *
 * @public
 */
export interface SentinelWorkloadResource extends SentinelResourceTarget {
  /** `cluster/namespace/Kind/name` */
  ref: string;
}

/**
 * A rule as a list filter: Sentinel turns conditional decisions into these and then into SQL
 * (plans, rollouts) or a predicate (workloads), so a list never shows what a get would refuse.
 *
 * @public
 */
export type SentinelResourceQuery =
  | { ownedBy: readonly string[] }
  | { cluster: string }
  | { namespace: string }
  | { submittedBy: string };

/**
 * The permission resource of plans (`sentinel-plan`), for rules and conditional decisions.
 *
 * @public
 */
export const sentinelPlanResourceRef = createPermissionResourceRef<
  SentinelPlanResource,
  SentinelResourceQuery
>().with({ pluginId: 'sentinel', resourceType: SENTINEL_PLAN_RESOURCE_TYPE });

/**
 * The permission resource of managed workloads (`sentinel-workload`), for rules and conditional
 * decisions.
 *
 * @public
 */
export const sentinelWorkloadResourceRef = createPermissionResourceRef<
  SentinelWorkloadResource,
  SentinelResourceQuery
>().with({
  pluginId: 'sentinel',
  resourceType: SENTINEL_WORKLOAD_RESOURCE_TYPE,
});

const same = (a: string, b: string) =>
  a.toLocaleLowerCase('en-US') === b.toLocaleLowerCase('en-US');

/**
 * Whether one of the claims (a user's ownership refs) owns the target's entity.
 *
 * @public
 */
export function isOwnedBy(
  target: SentinelResourceTarget,
  claims: readonly string[],
): boolean {
  return target.owners.some(owner => claims.some(c => same(c, owner)));
}

const claimsParams = z.object({
  claims: z
    .array(z.string())
    .describe('Ownership entity refs, e.g. the user and their groups'),
});
const clusterParams = z.object({
  cluster: z.string().describe('A cluster name from sentinel.clusters'),
});
const namespaceParams = z.object({
  namespace: z.string().describe('A Kubernetes namespace'),
});

// A plan may touch several services: a rule holds for it only if it holds for every one, so
// owning one service of a plan is not enough to approve changes to another.
const planRules = {
  isEntityOwner: createPermissionRule({
    name: 'IS_ENTITY_OWNER',
    description:
      'Every workload the plan changes is managed by a catalog entity owned by one of the claims',
    resourceRef: sentinelPlanResourceRef,
    paramsSchema: claimsParams,
    apply: (plan, { claims }) =>
      plan.targets.length > 0 &&
      plan.targets.every(target => isOwnedBy(target, claims)),
    toQuery: ({ claims }) => ({ ownedBy: claims }),
  }),
  inCluster: createPermissionRule({
    name: 'IN_CLUSTER',
    description: 'Every workload the plan changes is in this cluster',
    resourceRef: sentinelPlanResourceRef,
    paramsSchema: clusterParams,
    apply: (plan, { cluster }) =>
      plan.targets.every(target => target.cluster === cluster),
    toQuery: ({ cluster }) => ({ cluster }),
  }),
  inNamespace: createPermissionRule({
    name: 'IN_NAMESPACE',
    description: 'Every workload the plan changes is in this namespace',
    resourceRef: sentinelPlanResourceRef,
    paramsSchema: namespaceParams,
    apply: (plan, { namespace }) =>
      plan.targets.every(target => target.namespace === namespace),
    toQuery: ({ namespace }) => ({ namespace }),
  }),
  isSubmitter: createPermissionRule({
    name: 'IS_SUBMITTER',
    description: 'The plan was submitted by this user or service',
    resourceRef: sentinelPlanResourceRef,
    paramsSchema: z.object({
      actor: z
        .string()
        .describe('A user entity ref or a service subject, as plans record it'),
    }),
    apply: (plan, { actor }) => same(plan.submittedBy, actor),
    toQuery: ({ actor }) => ({ submittedBy: actor }),
  }),
};

const workloadRules = {
  isEntityOwner: createPermissionRule({
    name: 'IS_ENTITY_OWNER',
    description:
      'The workload is managed by a catalog entity owned by one of the claims',
    resourceRef: sentinelWorkloadResourceRef,
    paramsSchema: claimsParams,
    apply: (workload, { claims }) => isOwnedBy(workload, claims),
    toQuery: ({ claims }) => ({ ownedBy: claims }),
  }),
  inCluster: createPermissionRule({
    name: 'IN_CLUSTER',
    description: 'The workload is in this cluster',
    resourceRef: sentinelWorkloadResourceRef,
    paramsSchema: clusterParams,
    apply: (workload, { cluster }) => workload.cluster === cluster,
    toQuery: ({ cluster }) => ({ cluster }),
  }),
  inNamespace: createPermissionRule({
    name: 'IN_NAMESPACE',
    description: 'The workload is in this namespace',
    resourceRef: sentinelWorkloadResourceRef,
    paramsSchema: namespaceParams,
    apply: (workload, { namespace }) => workload.namespace === namespace,
    toQuery: ({ namespace }) => ({ namespace }),
  }),
};

/**
 * The rules the Sentinel backend registers for plans; for its permission integration.
 *
 * @public
 */
export const sentinelPlanPermissionRules = Object.values(planRules);
/**
 * The rules the Sentinel backend registers for workloads; for its permission integration.
 *
 * @public
 */
export const sentinelWorkloadPermissionRules = Object.values(workloadRules);

const planExports = createConditionExports({
  resourceRef: sentinelPlanResourceRef,
  rules: planRules,
});
const workloadExports = createConditionExports({
  resourceRef: sentinelWorkloadResourceRef,
  rules: workloadRules,
});

/**
 * Conditions on plans for a permission policy, e.g.
 * `createSentinelPlanConditionalDecision(permission, sentinelPlanConditions.isEntityOwner({ claims }))`.
 *
 * @public
 */
export const sentinelPlanConditions = planExports.conditions;
/**
 * Makes a conditional decision on a plan permission from `sentinelPlanConditions`.
 *
 * @public
 */
export const createSentinelPlanConditionalDecision =
  planExports.createConditionalDecision;
/**
 * Conditions on workloads for a permission policy.
 *
 * @public
 */
export const sentinelWorkloadConditions = workloadExports.conditions;
/**
 * Makes a conditional decision on a workload permission from `sentinelWorkloadConditions`.
 *
 * @public
 */
export const createSentinelWorkloadConditionalDecision =
  workloadExports.createConditionalDecision;
