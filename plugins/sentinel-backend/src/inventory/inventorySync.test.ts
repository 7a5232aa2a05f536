import { mockServices } from '@backstage/backend-test-utils';
import { KubernetesTestServer } from '@internal/kubernetes-test-server';
import { KubeConfig } from '@kubernetes/client-node';
import {
  loadTargetCluster,
  targetClusterManifests,
  withoutPermission,
} from '../__testUtils__/targetCluster';
import { WorkloadInventory } from './WorkloadInventory';

jest.setTimeout(30_000);

const cart = {
  cluster: 'k8s',
  namespace: 'shop',
  kind: 'Deployment' as const,
  name: 'cart',
};

const ownership = {
  entityRefFor: async () => 'component:default/cart',
  snapshot: async () => ({ owners: new Map(), labels: new Map() }),
};

/** An inventory of the server as Sentinel's ServiceAccount, under `manifests`. */
async function inventoryUnder(manifests = targetClusterManifests()) {
  const server = new KubernetesTestServer();
  await server.start();
  server.addDeployment({
    metadata: { name: 'cart', namespace: 'shop' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'cart' } },
      template: {
        metadata: { labels: { app: 'cart' } },
        spec: { containers: [{ name: 'app', image: 'shop/cart:1.0.0' }] },
      },
    },
  });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(
    server.kubeconfig({
      name: 'k8s',
      token: loadTargetCluster(server, manifests),
    }),
  );
  const logger = mockServices.logger.mock();
  const inventory = new WorkloadInventory(
    [{ name: 'k8s', kubeConfig }],
    ownership,
    logger,
  );
  await inventory.start();
  return { server, inventory, logger };
}

describe('WorkloadInventory, synced or not', () => {
  it('covers a cluster whose workloads it listed, and answers from its cache', async () => {
    const { server, inventory } = await inventoryUnder();
    try {
      expect(inventory.covers('k8s')).toBe(true);
      expect(inventory.state(cart)?.replicas).toBe(2);
    } finally {
      await inventory.stop();
      await server.stop();
    }
  });

  it('does not cover a cluster whose list was refused, so reads go to the API server', async () => {
    const withoutList = withoutPermission(
      targetClusterManifests(),
      'sentinel-driver',
      { rule: 0, verb: 'list', apiGroup: 'apps', resource: 'deployments' },
    );
    const { server, inventory } = await inventoryUnder(withoutList);
    try {
      expect(inventory.covers('k8s')).toBe(false);
      expect(inventory.state(cart)).toBeUndefined();
    } finally {
      await inventory.stop();
      await server.stop();
    }
  });

  it('stops retrying a refused list once stopped', async () => {
    const withoutList = withoutPermission(
      targetClusterManifests(),
      'sentinel-driver',
      { rule: 0, verb: 'list', apiGroup: 'apps', resource: 'deployments' },
    );
    const { server, inventory, logger } = await inventoryUnder(withoutList);
    await inventory.stop();
    const warned = logger.warn.mock.calls.length;
    await new Promise(resolve => setTimeout(resolve, 4_500));
    expect(logger.warn.mock.calls.length).toBe(warned);
    await server.stop();
  });
});
