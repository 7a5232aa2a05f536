import { CustomObjectsApi, NetworkingV1Api } from '@kubernetes/client-node';
import { useRolloutHarness } from '../../__testUtils__/rolloutHarness';
import { RolloutStore } from '../store/RolloutStore';

jest.setTimeout(180_000);

describe('RolloutController: canary weights through traffic routers (Kubernetes test server, real Prometheus)', () => {
  const h = useRolloutHarness();

  it('sets the canary weight through the NGINX Ingress router at each step, and resets it when promoted', async () => {
    const store = new RolloutStore(h.knex);
    const networking = h.kubeConfig.makeApiClient(NetworkingV1Api);
    await h.core.createNamespacedService({
      namespace: 'shop',
      body: {
        metadata: { name: 'ledger', namespace: 'shop' },
        spec: { selector: { app: 'ledger' }, ports: [{ port: 80 }] },
      },
    });
    await networking.createNamespacedIngress({
      namespace: 'shop',
      body: {
        metadata: { name: 'ledger', namespace: 'shop' },
        spec: {
          ingressClassName: 'nginx',
          rules: [
            {
              host: 'ledger.example.com',
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: {
                      service: { name: 'ledger', port: { number: 80 } },
                    },
                  },
                ],
              },
            },
          ],
        },
      },
    });
    const { execution } = h.replicaOf(store);
    const rollout = await h.startRollout(store, 'ledger', 'shop/ledger:2.0.0', {
      steps: [{ weight: 20 }, { weight: 100 }],
      router: 'nginx',
    });
    const canaryIngresses = async () =>
      (
        await networking.listNamespacedIngress({ namespace: 'shop' })
      ).items.filter(
        i =>
          i.metadata?.annotations?.['nginx.ingress.kubernetes.io/canary'] ===
          'true',
      );
    execution.start();
    try {
      const analyzing = await h.waitForStage(store, rollout.id, 'analyze');
      expect(analyzing.weight).toBe(20);
      const [canary] = await canaryIngresses();
      expect(
        canary.metadata?.annotations?.[
          'nginx.ingress.kubernetes.io/canary-weight'
        ],
      ).toBe('20');
      // The stable Service is pinned to the stable pods: the canary gets only the router's share.
      expect(
        (
          await h.core.readNamespacedService({
            name: 'ledger',
            namespace: 'shop',
          })
        ).spec?.selector,
      ).toEqual({
        app: 'ledger',
        'pod-template-hash': analyzing.candidate.blueHash,
      });
      const done = await h.waitForPhase(store, rollout.id, [
        'succeeded',
        'aborted',
        'failed',
      ]);
      expect(done.phase).toBe('succeeded');
    } finally {
      await execution.stop();
    }
    expect(await canaryIngresses()).toEqual([]);
    expect(
      (
        await h.core.readNamespacedService({
          name: 'ledger',
          namespace: 'shop',
        })
      ).spec?.selector,
    ).toEqual({ app: 'ledger' });
    expect(await h.imageOf('ledger')).toBe('shop/ledger:2.0.0');
    expect(await h.exists('ledger-canary')).toBe(false);
  });

  it('sets the canary weight as HTTPRoute backend weights through the Gateway API router, and puts the route back when promoted', async () => {
    const store = new RolloutStore(h.knex);
    const custom = h.kubeConfig.makeApiClient(CustomObjectsApi);
    const routes = {
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      plural: 'httproutes',
      namespace: 'shop',
    };
    await h.core.createNamespacedService({
      namespace: 'shop',
      body: {
        metadata: { name: 'reviews', namespace: 'shop' },
        spec: { selector: { app: 'reviews' }, ports: [{ port: 80 }] },
      },
    });
    const original = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'reviews', namespace: 'shop' },
      spec: {
        parentRefs: [{ name: 'gateway' }],
        rules: [{ backendRefs: [{ name: 'reviews', port: 80 }] }],
      },
    };
    await custom.createNamespacedCustomObject({ ...routes, body: original });
    const { execution } = h.replicaOf(store);
    const rollout = await h.startRollout(
      store,
      'reviews',
      'shop/reviews:2.0.0',
      {
        steps: [{ weight: 30 }, { weight: 100 }],
        router: 'gateway-api',
      },
    );
    const backends = async () =>
      (
        (await custom.getNamespacedCustomObject({
          ...routes,
          name: 'reviews',
        })) as typeof original
      ).spec.rules[0].backendRefs;
    execution.start();
    try {
      await h.waitForStage(store, rollout.id, 'analyze');
      expect(await backends()).toEqual([
        { name: 'reviews', port: 80, weight: 70 },
        expect.objectContaining({
          name: 'reviews-canary',
          port: 80,
          weight: 30,
        }),
      ]);
      const done = await h.waitForPhase(store, rollout.id, [
        'succeeded',
        'aborted',
        'failed',
      ]);
      expect(done.phase).toBe('succeeded');
    } finally {
      await execution.stop();
    }
    expect(await backends()).toEqual(original.spec.rules[0].backendRefs);
    expect(await h.imageOf('reviews')).toBe('shop/reviews:2.0.0');
    expect(await h.exists('reviews-canary')).toBe(false);
  });
});
