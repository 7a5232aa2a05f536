import permissionBackend from '@backstage/plugin-permission-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { JsonObject } from '@backstage/types';
import sentinelPermissionModule from '@internal/backstage-plugin-permission-backend-module-sentinel';
import sentinelBackend from '@internal/backstage-plugin-sentinel-backend';
import simulatedCluster from '../../simulatedCluster';
import type { TestPki } from '@internal/kubernetes-test-server';
import { startTlsBackend, type TlsBackendFiles } from './tlsBackend';

/** A plan the optimizer may submit: shop/cart is under Sentinel and the policy lets it through. */
export const optimizerPlan = {
  source: 'InfraMind',
  decisions: [
    {
      verb: 'scale',
      target: { namespace: 'shop', name: 'cart' },
      params: { replicas: 4 },
      confidence: 0.92,
    },
  ],
};

/**
 * Sentinel as packages/backend runs it, over `sentinel.tls`: the real plugin, its role policy in
 * the real permission backend, the simulated cluster `demo`, and a catalog in which the `cart`
 * component manages demo/shop/Deployment/cart. `external:inframind` holds the system role.
 */
export function startSentinelOverTls(options: {
  pki: TestPki;
  files: TlsBackendFiles;
  externalAccess: JsonObject[];
}) {
  const kubeconfigPath = options.pki.path('cluster', 'kubeconfig');
  return startTlsBackend({
    files: options.files,
    externalAccess: options.externalAccess,
    config: {
      permission: { enabled: true },
      sentinel: {
        simulatedCluster: {
          enabled: true,
          kubeconfigPath,
          podReadyDelayMs: 10,
        },
        clusters: [{ name: 'demo', kubeconfig: { path: kubeconfigPath } }],
        rbac: {
          roles: { system: ['service:external:inframind'] },
          defaultRole: 'viewer',
        },
      },
    },
    features: [
      catalogServiceMock.factory({
        entities: [
          {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: {
              name: 'cart',
              annotations: {
                'sentinel.io/workloads': 'demo/shop/Deployment/cart',
              },
            },
            spec: {
              type: 'service',
              owner: 'team-shop',
              lifecycle: 'production',
            },
          },
        ],
      }),
      permissionBackend,
      sentinelPermissionModule,
      sentinelBackend,
      simulatedCluster,
    ],
  });
}
