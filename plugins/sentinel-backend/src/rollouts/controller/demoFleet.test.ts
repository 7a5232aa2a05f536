import { mockServices } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { PlanTarget } from '@internal/backstage-plugin-sentinel-common';
import { demoFleetObjects } from '@internal/kubernetes-test-server';
import { CustomObjectsApi, NetworkingV1Api } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { eventually } from '../../__testUtils__/execution';
import {
  settings,
  useRolloutHarness,
} from '../../__testUtils__/rolloutHarness';
import { CatalogWorkloadIndex } from '../../inventory/WorkloadCatalogIndex';
import { KubernetesClusterDriver } from '../../kubernetes/KubernetesClusterDriver';
import { ProgressiveRollouts } from '../ProgressiveRollouts';
import { RolloutStore } from '../store/RolloutStore';
import type { RolloutStrategy } from '../types';

jest.setTimeout(180_000);

/** The demo catalog, as the embedded default loads it. */
const demoCatalog = parseAllDocuments(
  readFileSync(
    resolve(__dirname, '../../../../../examples/entities.yaml'),
    'utf8',
  ),
).map(doc => doc.toJSON() as Entity);

const CANARY = 'nginx.ingress.kubernetes.io/canary';
const CANARY_WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';

describe('rollouts on the demo fleet (its Services, Ingress and HTTPRoute; Kubernetes test server, real Prometheus)', () => {
  const h = useRolloutHarness();
  // The harness's cluster is `k8s`; the embedded default calls the same fleet `demo`.
  const target = (namespace: string, name: string): PlanTarget => ({
    cluster: 'k8s',
    namespace,
    kind: 'Deployment',
    name,
  });

  beforeAll(async () => {
    for (const object of demoFleetObjects()) h.server.addObject(object);
  });

  /**
   * Starts a rollout as a plan's decision does: settings from the demo catalog's annotations
   * (its traffic router among them), two short canary steps, a short rollback window.
   */
  async function startRollout(
    store: RolloutStore,
    ref: PlanTarget,
    image: string,
    strategy: RolloutStrategy,
  ) {
    const driver = new KubernetesClusterDriver('k8s', h.kubeConfig);
    await eventually(
      async () => (await driver.rolloutStatus(ref)).state === 'complete',
      `${ref.name} rolled out`,
      30_000,
    );
    const rollouts = new ProgressiveRollouts({
      store,
      settings: {
        ...settings(h.prometheus.url),
        steps: [{ weight: 40 }, { weight: 100 }],
        rollbackWindowSeconds: 2,
      },
      ownership: new CatalogWorkloadIndex(
        catalogServiceMock({ entities: demoCatalog }),
        mockServices.auth(),
      ),
    });
    return rollouts.start(
      `plan-${ref.name}`,
      {
        index: 0,
        verb: 'rollout',
        target: ref,
        params: { containers: { app: { image } }, strategy },
        entityRef: `component:default/${ref.name}`,
      },
      (await driver.getWorkload(ref))!,
      new Date(),
    );
  }

  const selectorOf = async (namespace: string, name: string) =>
    (await h.core.readNamespacedService({ name, namespace })).spec?.selector;

  it('switches orders blue/green through its Service, instead of aborting for want of one', async () => {
    const store = new RolloutStore(h.knex);
    const { execution } = h.replicaOf(store);
    const orders = target('production', 'orders');
    const rollout = await startRollout(
      store,
      orders,
      'shop/orders:3.3.0',
      'bluegreen',
    );
    execution.start();
    try {
      const analyzing = await h.waitForStage(store, rollout.id, 'analyze');
      expect(analyzing.candidate.service?.name).toBe('orders');
      expect(await selectorOf('production', 'orders')).toEqual({
        app: 'orders',
        'pod-template-hash': analyzing.candidate.blueHash,
      });
      const done = await h.waitForPhase(store, rollout.id, [
        'succeeded',
        'aborted',
        'failed',
      ]);
      expect(done.phase).toBe('succeeded');
      const deployment = await h.apps.readNamespacedDeployment({
        name: 'orders',
        namespace: 'production',
      });
      expect(deployment.spec?.template.spec?.containers[0].image).toBe(
        'shop/orders:3.3.0',
      );
      // Unpinned again: the Service selects the workload's pods, whatever their version.
      expect(await selectorOf('production', 'orders')).toEqual({
        app: 'orders',
      });
    } finally {
      await execution.stop();
    }
  });

  it("routes checkout's canary through a canary NGINX Ingress beside its Ingress (sentinel.io/traffic-router: nginx)", async () => {
    const store = new RolloutStore(h.knex);
    const networking = h.kubeConfig.makeApiClient(NetworkingV1Api);
    const { execution } = h.replicaOf(store);
    const rollout = await startRollout(
      store,
      target('shop', 'checkout'),
      'shop/checkout:2.1.0',
      'canary',
    );
    expect(rollout.candidate.router).toBe('nginx');
    const canaryIngresses = async () =>
      (
        await networking.listNamespacedIngress({ namespace: 'shop' })
      ).items.filter(i => i.metadata?.annotations?.[CANARY] === 'true');
    execution.start();
    try {
      const analyzing = await h.waitForStage(store, rollout.id, 'analyze');
      expect(analyzing.weight).toBe(40);
      const [canary] = await canaryIngresses();
      expect(canary.metadata?.annotations?.[CANARY_WEIGHT]).toBe('40');
      expect(canary.spec?.rules?.[0].http?.paths[0].backend.service).toEqual({
        name: 'checkout-canary',
        port: { name: 'http' },
      });
      const done = await h.waitForPhase(store, rollout.id, [
        'succeeded',
        'aborted',
        'failed',
      ]);
      expect(done.phase).toBe('succeeded');
      expect(await h.imageOf('checkout')).toBe('shop/checkout:2.1.0');
      expect(await canaryIngresses()).toEqual([]);
      expect(await selectorOf('shop', 'checkout')).toEqual({ app: 'checkout' });
    } finally {
      await execution.stop();
    }
  });

  it("routes cart's canary through weights on its HTTPRoute (sentinel.io/traffic-router: gateway-api)", async () => {
    const store = new RolloutStore(h.knex);
    const custom = h.kubeConfig.makeApiClient(CustomObjectsApi);
    const { execution } = h.replicaOf(store);
    const rollout = await startRollout(
      store,
      target('shop', 'cart'),
      'shop/cart:1.5.0',
      'canary',
    );
    expect(rollout.candidate.router).toBe('gateway-api');
    const backendRefs = async () =>
      (
        (await custom.getNamespacedCustomObject({
          group: 'gateway.networking.k8s.io',
          version: 'v1',
          plural: 'httproutes',
          namespace: 'shop',
          name: 'cart',
        })) as any
      ).spec.rules[0].backendRefs;
    execution.start();
    try {
      await h.waitForStage(store, rollout.id, 'analyze');
      expect(await backendRefs()).toEqual([
        { name: 'cart', port: 80, weight: 60 },
        { name: 'cart-canary', port: 80, weight: 40 },
      ]);
      const done = await h.waitForPhase(store, rollout.id, [
        'succeeded',
        'aborted',
        'failed',
      ]);
      expect(done.phase).toBe('succeeded');
      expect(await h.imageOf('cart')).toBe('shop/cart:1.5.0');
      expect(await backendRefs()).toEqual([{ name: 'cart', port: 80 }]);
    } finally {
      await execution.stop();
    }
  });
});
