/** The resource types the test server stores, and their API groups. */

export type WorkloadName = 'deployments' | 'statefulsets';
export type ResourceName =
  | WorkloadName
  | 'replicasets'
  | 'pods'
  | 'services'
  | 'events'
  | 'ingresses'
  | 'httproutes'
  | 'namespaces'
  | 'serviceaccounts'
  | RbacResourceName
  | 'selfsubjectaccessreviews';

/** The rbac.authorization.k8s.io/v1 kinds, stored like any other object. */
export type RbacResourceName =
  | 'clusterroles'
  | 'clusterrolebindings'
  | 'roles'
  | 'rolebindings';

export type Verb =
  | 'create'
  | 'delete'
  | 'get'
  | 'list'
  | 'patch'
  | 'update'
  | 'watch';

export type Subresource = 'scale' | 'status';

export interface ResourceType {
  kind: string;
  listKind: string;
  singular: string;
  shortNames: string[];
  /** '' for the core group. */
  group: string;
  /** Whether objects live in a namespace (false: cluster-scoped, like ClusterRoles). */
  namespaced: boolean;
  /**
   * Whether objects are stored: false for reviews (SelfSubjectAccessReview), which a
   * create answers and forgets.
   */
  stored: boolean;
  /** The name of its schema in OpenAPI (`io.k8s.api.apps.v1.Deployment`). */
  schema: string;
  version: string;
  /** `version` for the core group, `group/version` otherwise. */
  apiVersion: string;
  /** What clients may do; discovery announces the same (pods belong to the controller). */
  verbs: Verb[];
  subresources: Subresource[];
  categories: string[];
  /** Whether objects have spec and status (events have neither). */
  hasSpec: boolean;
  /**
   * Whether a strategic merge patch merges lists by their patch merge keys
   * (built-in workload and pod types); otherwise it applies as a JSON merge
   * patch, as for types whose lists have no merge keys (Ingress, HTTPRoute).
   */
  strategicMerge: boolean;
}

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

const ALL_VERBS: Verb[] = [
  'create',
  'delete',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

function type(
  kind: string,
  group: string,
  version: string,
  rest: Partial<ResourceType> &
    Pick<ResourceType, 'schema' | 'shortNames' | 'verbs'>,
): ResourceType {
  return {
    kind,
    listKind: `${kind}List`,
    singular: kind.toLowerCase(),
    group,
    version,
    apiVersion: group ? `${group}/${version}` : version,
    namespaced: true,
    stored: true,
    subresources: [],
    categories: [],
    hasSpec: true,
    strategicMerge: true,
    ...rest,
  };
}

export const RESOURCES: Record<ResourceName, ResourceType> = {
  deployments: type('Deployment', 'apps', 'v1', {
    schema: 'io.k8s.api.apps.v1.Deployment',
    shortNames: ['deploy'],
    verbs: ALL_VERBS,
    subresources: ['scale', 'status'],
    categories: ['all'],
  }),
  statefulsets: type('StatefulSet', 'apps', 'v1', {
    schema: 'io.k8s.api.apps.v1.StatefulSet',
    shortNames: ['sts'],
    verbs: ALL_VERBS,
    subresources: ['scale', 'status'],
    categories: ['all'],
  }),
  // The deployment controller's, one per pod template a Deployment ran.
  replicasets: type('ReplicaSet', 'apps', 'v1', {
    schema: 'io.k8s.api.apps.v1.ReplicaSet',
    shortNames: ['rs'],
    verbs: ['get', 'list', 'watch'],
    categories: ['all'],
  }),
  pods: type('Pod', '', 'v1', {
    schema: 'io.k8s.api.core.v1.Pod',
    shortNames: ['po'],
    verbs: ['get', 'list', 'watch'],
    categories: ['all'],
  }),
  services: type('Service', '', 'v1', {
    schema: 'io.k8s.api.core.v1.Service',
    shortNames: ['svc'],
    verbs: ALL_VERBS,
    categories: ['all'],
  }),
  events: type('Event', '', 'v1', {
    schema: 'io.k8s.api.core.v1.Event',
    shortNames: ['ev'],
    verbs: ['create', 'get', 'list', 'watch'],
    hasSpec: false,
  }),
  // Traffic routing, for canary rollouts: NGINX canary annotations on an
  // Ingress, backendRefs weights on a Gateway API HTTPRoute.
  ingresses: type('Ingress', 'networking.k8s.io', 'v1', {
    schema: 'io.k8s.api.networking.v1.Ingress',
    shortNames: ['ing'],
    verbs: ALL_VERBS,
    subresources: ['status'],
    strategicMerge: false,
  }),
  httproutes: type('HTTPRoute', 'gateway.networking.k8s.io', 'v1', {
    schema: 'io.k8s.networking.gateway.v1.HTTPRoute',
    shortNames: [],
    verbs: ALL_VERBS,
    subresources: ['status'],
    categories: ['gateway-api'],
    strategicMerge: false,
  }),
  // Identities and their rights (see src/rbac/): stored objects, created through the API or
  // seeded, that the RBAC authorizer reads on every request of a ServiceAccount.
  namespaces: type('Namespace', '', 'v1', {
    schema: 'io.k8s.api.core.v1.Namespace',
    shortNames: ['ns'],
    verbs: ALL_VERBS,
    namespaced: false,
  }),
  serviceaccounts: type('ServiceAccount', '', 'v1', {
    schema: 'io.k8s.api.core.v1.ServiceAccount',
    shortNames: ['sa'],
    verbs: ALL_VERBS,
    hasSpec: false,
  }),
  clusterroles: type('ClusterRole', RBAC_GROUP, 'v1', {
    schema: 'io.k8s.api.rbac.v1.ClusterRole',
    shortNames: [],
    verbs: ALL_VERBS,
    namespaced: false,
    hasSpec: false,
  }),
  clusterrolebindings: type('ClusterRoleBinding', RBAC_GROUP, 'v1', {
    schema: 'io.k8s.api.rbac.v1.ClusterRoleBinding',
    shortNames: [],
    verbs: ALL_VERBS,
    namespaced: false,
    hasSpec: false,
  }),
  roles: type('Role', RBAC_GROUP, 'v1', {
    schema: 'io.k8s.api.rbac.v1.Role',
    shortNames: [],
    verbs: ALL_VERBS,
    hasSpec: false,
  }),
  rolebindings: type('RoleBinding', RBAC_GROUP, 'v1', {
    schema: 'io.k8s.api.rbac.v1.RoleBinding',
    shortNames: [],
    verbs: ALL_VERBS,
    hasSpec: false,
  }),
  // kubectl auth can-i: a create answers whether the caller may do something; nothing is kept.
  selfsubjectaccessreviews: type(
    'SelfSubjectAccessReview',
    'authorization.k8s.io',
    'v1',
    {
      schema: 'io.k8s.api.authorization.v1.SelfSubjectAccessReview',
      shortNames: [],
      verbs: ['create'],
      namespaced: false,
      stored: false,
    },
  ),
};

export const RESOURCE_NAMES = Object.keys(RESOURCES) as ResourceName[];

/** The API group versions served, core (`v1`) first, each with its resources. */
export function groupVersions(): Array<{
  group: string;
  version: string;
  apiVersion: string;
  resources: ResourceName[];
}> {
  const byApiVersion = new Map<string, ResourceName[]>();
  for (const name of RESOURCE_NAMES) {
    const { apiVersion } = RESOURCES[name];
    byApiVersion.set(apiVersion, [
      ...(byApiVersion.get(apiVersion) ?? []),
      name,
    ]);
  }
  return [...byApiVersion.entries()]
    .map(([apiVersion, resources]) => ({
      group: RESOURCES[resources[0]].group,
      version: RESOURCES[resources[0]].version,
      apiVersion,
      resources,
    }))
    .sort((a, b) => Number(a.group !== '') - Number(b.group !== ''));
}

export function isResourceName(name: string | undefined): name is ResourceName {
  return (
    name !== undefined && Object.prototype.hasOwnProperty.call(RESOURCES, name)
  );
}

export function isWorkload(name: ResourceName): name is WorkloadName {
  return name === 'deployments' || name === 'statefulsets';
}

/** `deployments.apps`, or just `pods` for the core group. */
export function qualified(resource: ResourceName): string {
  const group = RESOURCES[resource].group;
  return group ? `${resource}.${group}` : resource;
}
