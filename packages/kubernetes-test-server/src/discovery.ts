import type { JsonObject } from './patch';
import { groupVersions, RESOURCES, type ResourceName } from './resources';

export const SERVER_VERSION = {
  major: '1',
  minor: '30',
  gitVersion: 'v1.30.0-sentinel-test',
};

/** The resources of one group version as an APIResourceList. */
function resourceList(apiVersion: string, names: ResourceName[]): JsonObject {
  return {
    kind: 'APIResourceList',
    ...(apiVersion === 'v1' ? {} : { apiVersion: 'v1' }),
    groupVersion: apiVersion,
    resources: names.flatMap(name => {
      const type = RESOURCES[name];
      return [
        {
          name,
          singularName: type.singular,
          namespaced: type.namespaced,
          kind: type.kind,
          verbs: type.verbs,
          ...(type.shortNames.length ? { shortNames: type.shortNames } : {}),
          ...(type.categories.length ? { categories: type.categories } : {}),
        },
        ...type.subresources.map(subresource =>
          subresource === 'scale'
            ? {
                name: `${name}/scale`,
                singularName: '',
                namespaced: true,
                group: 'autoscaling',
                version: 'v1',
                kind: 'Scale',
                verbs: ['get', 'patch', 'update'],
              }
            : {
                name: `${name}/status`,
                singularName: '',
                namespaced: true,
                kind: type.kind,
                verbs: ['get', 'patch', 'update'],
              },
        ),
      ];
    }),
  };
}

/** What the API server answers for discovery: /version, /api, /apis and their groups. */
export function discovery(path: string): JsonObject | undefined {
  if (path === '/version') {
    return {
      ...SERVER_VERSION,
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2024-01-01T00:00:00Z',
      goVersion: 'go1.22.0',
      compiler: 'gc',
      platform: 'linux/amd64',
    };
  }
  const served = groupVersions();
  const groups = served
    .filter(gv => gv.group !== '')
    .map(gv => {
      const version = { groupVersion: gv.apiVersion, version: gv.version };
      return { name: gv.group, versions: [version], preferredVersion: version };
    });
  if (path === '/api') {
    // core/v1 must announce resources in /api/v1: a version with none
    // makes client-go discovery (kubectl) fail with "received empty response".
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [
        { clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' },
      ],
    };
  }
  if (path === '/apis') {
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }
  const group = groups.find(g => path === `/apis/${g.name}`);
  if (group) {
    return { kind: 'APIGroup', apiVersion: 'v1', ...group };
  }
  const gv = served.find(
    g => path === (g.group ? `/apis/${g.apiVersion}` : '/api/v1'),
  );
  return gv ? resourceList(gv.apiVersion, gv.resources) : undefined;
}
