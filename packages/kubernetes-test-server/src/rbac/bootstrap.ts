import type { JsonObject } from '../patch';
import type { RbacResourceName } from '../resources';

/**
 * The part of the kube-apiserver's bootstrap RBAC policy (plugin/pkg/auth/authorizer/rbac/
 * bootstrappolicy) that matters to a client of this server: every authenticated user may
 * read discovery, /version and /openapi (`system:discovery`, `system:public-info-viewer`)
 * and ask what it may do (`system:basic-user`); `system:masters` may do anything
 * (`cluster-admin`). The aggregated roles (admin, edit, view) and the controllers' roles
 * are left out.
 */

const metadata = (name: string) => ({
  name,
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
});

const clusterRole = (name: string, rules: JsonObject[]) => ({
  metadata: metadata(name),
  rules,
});

const binding = (name: string, groups: string[]) => ({
  metadata: metadata(name),
  roleRef: {
    apiGroup: 'rbac.authorization.k8s.io',
    kind: 'ClusterRole',
    name,
  },
  subjects: groups.map(group => ({
    apiGroup: 'rbac.authorization.k8s.io',
    kind: 'Group',
    name: group,
  })),
});

const PUBLIC_INFO = ['/healthz', '/livez', '/readyz', '/version', '/version/'];

export const BOOTSTRAP_POLICY: Array<[RbacResourceName, JsonObject]> = [
  [
    'clusterroles',
    clusterRole('cluster-admin', [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ]),
  ],
  [
    'clusterroles',
    clusterRole('system:discovery', [
      {
        nonResourceURLs: [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/openapi',
          '/openapi/*',
          ...PUBLIC_INFO,
        ].sort(),
        verbs: ['get'],
      },
    ]),
  ],
  [
    'clusterroles',
    clusterRole('system:basic-user', [
      {
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
        verbs: ['create'],
      },
    ]),
  ],
  [
    'clusterroles',
    clusterRole('system:public-info-viewer', [
      { nonResourceURLs: PUBLIC_INFO, verbs: ['get'] },
    ]),
  ],
  ['clusterrolebindings', binding('cluster-admin', ['system:masters'])],
  [
    'clusterrolebindings',
    binding('system:discovery', ['system:authenticated']),
  ],
  [
    'clusterrolebindings',
    binding('system:basic-user', ['system:authenticated']),
  ],
  [
    'clusterrolebindings',
    binding('system:public-info-viewer', [
      'system:authenticated',
      'system:unauthenticated',
    ]),
  ],
];
