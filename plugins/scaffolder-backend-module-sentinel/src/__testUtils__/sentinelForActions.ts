import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
// The real Sentinel backend: the actions are tested against it, over HTTP.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import sentinelPlugin from '@internal/backstage-plugin-sentinel-backend';
import { KubernetesTestServer } from '@internal/kubernetes-test-server';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { SentinelCallerDeps } from '../sentinelCaller';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const component = (
  name: string,
  annotations?: Record<string, string>,
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, description: `The ${name} service`, annotations },
  spec: { type: 'service', owner: 'team-shop', lifecycle: 'production' },
});

/** Demo services: cart is under Sentinel, checkout not yet. */
export const demoEntities = [
  component('cart', { 'sentinel.io/workloads': 'demo/shop/Deployment/cart' }),
  component('checkout'),
];

/** Kubernetes with shop/cart and shop/checkout, its pods ready at once. */
export async function startDemoCluster() {
  const cluster = new KubernetesTestServer({
    controller: true,
    podReadyDelayMs: 20,
  });
  await cluster.start();
  for (const name of ['cart', 'checkout']) {
    cluster.addDeployment({
      metadata: { name, namespace: 'shop', labels: { app: name } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'app', image: `shop/${name}:1.0.0` }] },
        },
      },
    });
  }
  const kubeconfig = join(
    mkdtempSync(join(tmpdir(), 'sentinel-actions-')),
    'kubeconfig',
  );
  writeFileSync(kubeconfig, cluster.kubeconfig({ name: 'demo' }));
  return { cluster, kubeconfig };
}

/**
 * A real Sentinel backend on a real (test) Kubernetes API server, for the actions to call over
 * HTTP, with the services the actions take: the test backend's auth (tokens on behalf of a
 * user) and a discovery of its URL.
 */
export async function startSentinelForActions(options: {
  kubeconfig: string;
  allow?: boolean;
  sentinelConfig?: Record<string, unknown>;
  features?: any[];
}): Promise<{
  server: Server;
  deps: SentinelCallerDeps;
  catalog: CatalogService;
}> {
  const { server } = await startTestBackend({
    features: [
      sentinelPlugin,
      catalogServiceMock.factory({ entities: demoEntities }),
      mockServices.permissions.factory({
        result:
          options.allow === false
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
      }),
      mockServices.rootConfig.factory({
        data: {
          sentinel: {
            clusters: [
              { name: 'demo', kubeconfig: { path: options.kubeconfig } },
            ],
            ...options.sentinelConfig,
          },
        },
      }),
      ...(options.features ?? []),
    ],
  });
  const base = `http://localhost:${(server.address() as AddressInfo).port}/api`;
  const discovery = {
    getBaseUrl: async (pluginId: string) => `${base}/${pluginId}`,
    getExternalBaseUrl: async (pluginId: string) => `${base}/${pluginId}`,
  };
  return {
    server,
    deps: { auth: mockServices.auth({ pluginId: 'scaffolder' }), discovery },
    catalog: catalogServiceMock({ entities: demoEntities }),
  };
}
