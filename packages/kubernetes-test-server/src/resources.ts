/** The resource types the test server stores, and their API groups. */

export type WorkloadName = 'deployments' | 'statefulsets';
export type CoreName = 'pods' | 'services' | 'events';
export type ResourceName = WorkloadName | CoreName;

export interface ResourceType {
  kind: string;
  listKind: string;
  singular: string;
  shortNames: string[];
  /** '' for the core group. */
  group: string;
  apiVersion: string;
  /** Whether clients may create objects of this type (all apps/v1 types, services, events). */
  creatable: boolean;
}

export const GROUP = 'apps';
export const VERSION = 'v1';
export const GROUP_VERSION = `${GROUP}/${VERSION}`;

export const RESOURCES: Record<ResourceName, ResourceType> = {
  deployments: {
    kind: 'Deployment',
    listKind: 'DeploymentList',
    singular: 'deployment',
    shortNames: ['deploy'],
    group: GROUP,
    apiVersion: GROUP_VERSION,
    creatable: true,
  },
  statefulsets: {
    kind: 'StatefulSet',
    listKind: 'StatefulSetList',
    singular: 'statefulset',
    shortNames: ['sts'],
    group: GROUP,
    apiVersion: GROUP_VERSION,
    creatable: true,
  },
  pods: {
    kind: 'Pod',
    listKind: 'PodList',
    singular: 'pod',
    shortNames: ['po'],
    group: '',
    apiVersion: 'v1',
    creatable: false,
  },
  services: {
    kind: 'Service',
    listKind: 'ServiceList',
    singular: 'service',
    shortNames: ['svc'],
    group: '',
    apiVersion: 'v1',
    creatable: true,
  },
  events: {
    kind: 'Event',
    listKind: 'EventList',
    singular: 'event',
    shortNames: ['ev'],
    group: '',
    apiVersion: 'v1',
    creatable: true,
  },
};

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
