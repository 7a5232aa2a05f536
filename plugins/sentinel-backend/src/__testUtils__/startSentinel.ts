import type { JsonObject } from '@backstage/types';
import type { Server } from 'node:http';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { sentinelClusterDriversExtensionPoint } from '@internal/backstage-plugin-sentinel-node';
import { InMemoryClusterDriver } from '@internal/backstage-plugin-sentinel-node/testUtils';
import { sentinelPlugin } from '../plugin';
import { liveDoubles } from './liveDoubles';

/** A Sentinel backend with cluster `demo` (shop/cart managed by a catalog entity, shop/orphan not). */
export const cart = {
  cluster: 'demo',
  namespace: 'shop',
  kind: 'Deployment' as const,
  name: 'cart',
};

function demoCluster() {
  return new InMemoryClusterDriver('demo', [
    {
      ref: cart,
      replicas: 2,
      containers: [{ name: 'app', image: 'shop/cart:1.0.0', resources: {} }],
    },
    {
      ref: { ...cart, name: 'orphan' },
      replicas: 1,
      containers: [{ name: 'app', image: 'shop/orphan:1.0.0', resources: {} }],
    },
  ]);
}

const catalogWith = (
  workloads: string,
  annotations: Record<string, string> = {},
) =>
  catalogServiceMock.factory({
    entities: [
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'cart',
          annotations: { 'sentinel.io/workloads': workloads, ...annotations },
        },
        spec: { type: 'service', owner: 'team-shop', lifecycle: 'production' },
      },
    ],
  });

export async function startSentinel(
  options: {
    driver?: InMemoryClusterDriver;
    extra?: any[];
    /** app-config for the backend, e.g. { sentinel: { policy: ... } }. */
    config?: Record<string, unknown>;
    /** The cart entity's sentinel.io/workloads annotation. */
    catalogWorkloads?: string;
    /** More annotations of the cart entity, e.g. sentinel.io/rollback-policy. */
    catalogAnnotations?: Record<string, string>;
    /** The signals and notification services throw (and still record what they got). */
    liveServicesFail?: boolean;
  } = {},
): Promise<{
  server: Server;
  driver: InMemoryClusterDriver;
  auditor: ReturnType<typeof mockServices.auditor.mock>;
  /** What Sentinel published on the signals service and sent as notifications. */
  live: Pick<ReturnType<typeof liveDoubles>, 'signals' | 'notifications'>;
}> {
  const driver = options.driver ?? demoCluster();
  const auditor = mockServices.auditor.mock();
  const live = liveDoubles({ failing: options.liveServicesFail });
  const { server } = await startTestBackend({
    features: [
      sentinelPlugin,
      catalogWith(
        options.catalogWorkloads ?? 'demo/shop/Deployment/cart',
        options.catalogAnnotations,
      ),
      auditor.factory,
      ...live.features,
      createBackendModule({
        pluginId: 'sentinel',
        moduleId: 'demo-cluster',
        register(reg) {
          reg.registerInit({
            deps: { drivers: sentinelClusterDriversExtensionPoint },
            async init({ drivers }) {
              drivers.addClusterDriver(driver);
            },
          });
        },
      }),
      ...(options.config
        ? [
            mockServices.rootConfig.factory({
              data: options.config as JsonObject,
            }),
          ]
        : []),
      ...(options.extra ?? []),
    ],
  });
  return { server, driver, auditor, live };
}
