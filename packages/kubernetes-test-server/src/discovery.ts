import type { JsonObject } from './patch';
import { GROUP, GROUP_VERSION, RESOURCES, VERSION } from './resources';

/** What the API server answers for discovery: /version, /api, /apis and their groups. */
export function discovery(path: string): JsonObject | undefined {
  switch (path) {
    case '/version':
      return {
        major: '1',
        minor: '30',
        gitVersion: 'v1.30.0-sentinel-test',
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2024-01-01T00:00:00Z',
        goVersion: 'go1.22.0',
        compiler: 'gc',
        platform: 'linux/amd64',
      };
    case '/api':
      // core/v1 must announce resources in /api/v1: a version with none
      // makes client-go discovery (kubectl) fail with "received empty response".
      return {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [
          { clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' },
        ],
      };
    case '/api/v1':
      return {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: (['pods', 'services', 'events'] as const).map(resource => {
          const type = RESOURCES[resource];
          return {
            name: resource,
            singularName: type.singular,
            namespaced: true,
            kind: type.kind,
            verbs: type.creatable
              ? ['create', 'get', 'list', 'watch']
              : ['get', 'list', 'watch'],
            shortNames: type.shortNames,
            ...(resource === 'events' ? {} : { categories: ['all'] }),
          };
        }),
      };
    case '/apis': {
      const version = { groupVersion: GROUP_VERSION, version: VERSION };
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [
          { name: GROUP, versions: [version], preferredVersion: version },
        ],
      };
    }
    case `/apis/${GROUP}`: {
      const version = { groupVersion: GROUP_VERSION, version: VERSION };
      return {
        kind: 'APIGroup',
        apiVersion: 'v1',
        name: GROUP,
        versions: [version],
        preferredVersion: version,
      };
    }
    case `/apis/${GROUP_VERSION}`:
      return {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: GROUP_VERSION,
        resources: (['deployments', 'statefulsets'] as const).flatMap(
          resource => {
            const type = RESOURCES[resource];
            return [
              {
                name: resource,
                singularName: type.singular,
                namespaced: true,
                kind: type.kind,
                verbs: [
                  'create',
                  'delete',
                  'get',
                  'list',
                  'patch',
                  'update',
                  'watch',
                ],
                shortNames: type.shortNames,
                categories: ['all'],
              },
              {
                name: `${resource}/scale`,
                singularName: '',
                namespaced: true,
                group: 'autoscaling',
                version: 'v1',
                kind: 'Scale',
                verbs: ['get', 'patch', 'update'],
              },
              {
                name: `${resource}/status`,
                singularName: '',
                namespaced: true,
                kind: type.kind,
                verbs: ['get', 'patch', 'update'],
              },
            ];
          },
        ),
      };
    default:
      return undefined;
  }
}
