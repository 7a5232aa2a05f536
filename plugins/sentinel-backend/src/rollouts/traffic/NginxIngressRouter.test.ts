import { KubernetesTestServer } from '@internal/kubernetes-test-server';
import type { TrafficRoute } from '@internal/backstage-plugin-sentinel-node';
import {
  CoreV1Api,
  KubeConfig,
  NetworkingV1Api,
  type V1Ingress,
  type V1Service,
} from '@kubernetes/client-node';
import {
  canaryIngress,
  ingressRoutesTo,
  NginxIngressRouter,
} from './NginxIngressRouter';
import { IDENTITIES, kubeConfigAs } from '../../__testUtils__/targetCluster';

const CANARY = 'nginx.ingress.kubernetes.io/canary';
const WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';

const routeIn = (namespace: string): TrafficRoute => ({
  cluster: 'k8s',
  namespace,
  workload: 'cart',
  candidate: 'cart-canary',
  rolloutId: 'r-1',
});

const service = (namespace: string, name: string): V1Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace, labels: { app: name } },
  spec: {
    type: 'NodePort',
    selector: { app: name },
    ports: [
      {
        name: 'http',
        port: 80,
        targetPort: 8080,
        protocol: 'TCP',
        nodePort: 30080,
      },
    ],
  },
});

const path = (p: string, to: string) => ({
  path: p,
  pathType: 'Prefix',
  backend: { service: { name: to, port: { name: 'http' } } },
});

/** The shop's Ingress: /cart and /checkout on one host, the admin on another. */
const shopIngress = (namespace: string, name = 'shop'): V1Ingress => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: {
    name,
    namespace,
    labels: { app: 'shop' },
    annotations: {
      'nginx.ingress.kubernetes.io/proxy-body-size': '8m',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
    },
  },
  spec: {
    ingressClassName: 'nginx',
    tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
    rules: [
      {
        host: 'shop.example.com',
        http: {
          paths: [path('/cart', 'cart'), path('/checkout', 'checkout')],
        },
      },
      { host: 'admin.example.com', http: { paths: [path('/', 'admin')] } },
    ],
  },
});

describe('canaryIngress', () => {
  const route = routeIn('shop');

  it('keeps only the paths to the stable Service, sent to the canary Service with the weight', () => {
    expect(
      canaryIngress(shopIngress('shop'), {
        route,
        service: 'cart',
        weight: 10,
      }),
    ).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: 'shop-cart-canary',
        namespace: 'shop',
        labels: {
          app: 'shop',
          'app.kubernetes.io/managed-by': 'sentinel',
          'sentinel.io/candidate': 'cart-canary',
        },
        annotations: {
          'nginx.ingress.kubernetes.io/proxy-body-size': '8m',
          'sentinel.io/rollout-id': 'r-1',
          [CANARY]: 'true',
          [WEIGHT]: '10',
        },
      },
      spec: {
        ingressClassName: 'nginx',
        tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
        rules: [
          {
            host: 'shop.example.com',
            http: { paths: [path('/cart', 'cart-canary')] },
          },
        ],
      },
    });
  });

  it('sends a default backend to the stable Service to the canary, and keeps the class annotation', () => {
    const stable: V1Ingress = {
      metadata: {
        name: 'cart',
        annotations: {
          'kubernetes.io/ingress.class': 'nginx',
          [CANARY]: 'false',
          [WEIGHT]: '3',
        },
      },
      spec: {
        defaultBackend: { service: { name: 'cart', port: { number: 80 } } },
      },
    };
    const canary = canaryIngress(stable, { route, service: 'cart', weight: 0 });
    expect(canary.metadata?.annotations).toEqual({
      'kubernetes.io/ingress.class': 'nginx',
      'sentinel.io/rollout-id': 'r-1',
      [CANARY]: 'true',
      [WEIGHT]: '0',
    });
    expect(canary.spec).toEqual({
      defaultBackend: {
        service: { name: 'cart-canary', port: { number: 80 } },
      },
    });
  });

  it.each([
    ['cart', true],
    ['checkout', true],
    ['admin', true],
    ['cart-canary', false],
    ['payments', false],
  ])('the shop Ingress routes to %s: %s', (name, expected) => {
    expect(ingressRoutesTo(shopIngress('shop'), name)).toBe(expected);
  });
});

// On the Kubernetes test server, as its administrator and as Sentinel's ServiceAccount under
// exactly the role shipped for target clusters (a call it does not allow is a 403).
describe.each(IDENTITIES)('NginxIngressRouter as %s', identity => {
  const server = new KubernetesTestServer({ controller: true });
  /** The administrator, who sets the scene. */
  const admin = new KubeConfig();
  /** What the router runs as. */
  let kubeConfig: KubeConfig;
  let core: CoreV1Api;
  let networking: NetworkingV1Api;
  let router: NginxIngressRouter;
  let namespaces = 0;

  beforeAll(async () => {
    await server.start();
    admin.loadFromString(server.kubeconfig({ name: 'k8s' }));
    core = admin.makeApiClient(CoreV1Api);
    networking = admin.makeApiClient(NetworkingV1Api);
    kubeConfig = kubeConfigAs(server, identity);
    router = new NginxIngressRouter('k8s', kubeConfig, {
      retry: { baseDelayMs: 1 },
    });
  });
  afterAll(() => server.stop());

  /** A namespace of its own for each test, with the cart and checkout Services. */
  async function shop(...ingresses: V1Ingress[]): Promise<string> {
    const namespace = `shop-${++namespaces}`;
    for (const name of ['cart', 'checkout']) {
      await core.createNamespacedService({
        namespace,
        body: service(namespace, name),
      });
    }
    for (const body of ingresses) {
      await networking.createNamespacedIngress({
        namespace,
        body: { ...body, metadata: { ...body.metadata, namespace } },
      });
    }
    return namespace;
  }

  /** Every Service and Ingress of the namespace, as the API server has them. */
  async function snapshot(namespace: string) {
    const services = await core.listNamespacedService({ namespace });
    const ingresses = await networking.listNamespacedIngress({ namespace });
    return JSON.parse(
      JSON.stringify({ services: services.items, ingresses: ingresses.items }),
    );
  }

  const canaryOf = (namespace: string) =>
    networking.readNamespacedIngress({ namespace, name: 'shop-cart-canary' });

  it('splits traffic at 10 then 50, and a reset leaves exactly the original objects', async () => {
    const namespace = await shop(shopIngress('shop'));
    const route = routeIn(namespace);
    const before = await snapshot(namespace);

    await router.setWeight(route, 10);
    let canary = await canaryOf(namespace);
    expect(canary.metadata?.annotations).toMatchObject({
      [CANARY]: 'true',
      [WEIGHT]: '10',
    });
    expect(canary.spec?.rules).toEqual([
      {
        host: 'shop.example.com',
        http: { paths: [path('/cart', 'cart-canary')] },
      },
    ]);
    const canaryService = await core.readNamespacedService({
      namespace,
      name: 'cart-canary',
    });
    expect(canaryService.spec?.selector).toEqual({
      app: 'cart',
      'sentinel.io/candidate': 'cart-canary',
    });
    expect(canaryService.spec?.type).toBe('ClusterIP');
    expect(canaryService.spec?.ports).toEqual([
      expect.objectContaining({ name: 'http', port: 80, targetPort: 8080 }),
    ]);
    expect(canaryService.spec?.ports?.[0].nodePort).toBeUndefined();

    await router.setWeight(route, 50);
    canary = await canaryOf(namespace);
    expect(canary.metadata?.annotations?.[WEIGHT]).toBe('50');

    // The stable objects were never touched.
    const during = await snapshot(namespace);
    expect(during.services).toEqual(expect.arrayContaining(before.services));
    expect(during.ingresses).toEqual(expect.arrayContaining(before.ingresses));

    await router.reset(route);
    expect(await snapshot(namespace)).toEqual(before);
  });

  it('writes nothing when called again with the same weight, or reset twice', async () => {
    const namespace = await shop(shopIngress('shop'));
    const route = routeIn(namespace);
    await router.setWeight(route, 25);
    const written = server.currentResourceVersion;
    await router.setWeight(route, 25);
    expect(server.currentResourceVersion).toBe(written);
    expect((await canaryOf(namespace)).metadata?.annotations?.[WEIGHT]).toBe(
      '25',
    );

    await router.reset(route);
    const reset = server.currentResourceVersion;
    await router.reset(route);
    expect(server.currentResourceVersion).toBe(reset);
  });

  it('a reset with nothing there is fine', async () => {
    const namespace = await shop(shopIngress('shop'));
    const before = await snapshot(namespace);
    await router.reset(routeIn(namespace));
    expect(await snapshot(namespace)).toEqual(before);
  });

  it.each([0, 100])('round-trips weight %s', async weight => {
    const namespace = await shop(shopIngress('shop'));
    await router.setWeight(routeIn(namespace), weight);
    expect((await canaryOf(namespace)).metadata?.annotations?.[WEIGHT]).toBe(
      String(weight),
    );
  });

  it('puts back what changed since its last step: an edited weight, a canary Service of an earlier rollout', async () => {
    const namespace = await shop(shopIngress('shop'));
    const route = routeIn(namespace);
    await router.setWeight({ ...route, rolloutId: 'r-0' }, 10);
    await core.patchNamespacedService({
      namespace,
      name: 'cart-canary',
      body: [{ op: 'replace', path: '/spec/selector', value: { app: 'x' } }],
    });
    await networking.patchNamespacedIngress({
      namespace,
      name: 'shop-cart-canary',
      body: [
        {
          op: 'replace',
          path: '/metadata/annotations/nginx.ingress.kubernetes.io~1canary-weight',
          value: '80',
        },
      ],
    });

    await router.setWeight(route, 10);
    const canary = await canaryOf(namespace);
    expect(canary.metadata?.annotations?.[WEIGHT]).toBe('10');
    expect(canary.metadata?.annotations?.['sentinel.io/rollout-id']).toBe(
      'r-1',
    );
    const canaryService = await core.readNamespacedService({
      namespace,
      name: 'cart-canary',
    });
    expect(canaryService.spec?.selector).toEqual({
      app: 'cart',
      'sentinel.io/candidate': 'cart-canary',
    });
    expect(
      canaryService.metadata?.annotations?.['sentinel.io/rollout-id'],
    ).toBe('r-1');
  });

  it('finishes a step that died between the canary Service and the canary Ingress', async () => {
    const namespace = await shop(shopIngress('shop'));
    const route = routeIn(namespace);
    await router.setWeight(route, 10);
    await networking.deleteNamespacedIngress({
      namespace,
      name: 'shop-cart-canary',
    });
    await router.setWeight(route, 10);
    expect((await canaryOf(namespace)).metadata?.annotations?.[WEIGHT]).toBe(
      '10',
    );
  });

  it('passes over a transient API server error', async () => {
    const namespace = await shop(shopIngress('shop'));
    server.injectFaults({ failNext: { status: 500, count: 2 } });
    try {
      await router.setWeight(routeIn(namespace), 10);
    } finally {
      server.injectFaults({});
    }
    expect((await canaryOf(namespace)).metadata?.annotations?.[WEIGHT]).toBe(
      '10',
    );
  });

  it('takes the Ingress named in its options when several route to the Service', async () => {
    const namespace = await shop(
      shopIngress('any', 'shop'),
      shopIngress('any', 'shop-internal'),
    );
    const route = routeIn(namespace);
    await expect(router.setWeight(route, 10)).rejects.toThrow(
      `Ingresses shop, shop-internal in ${namespace} all route to Service cart; name the one to use in the nginx router's options`,
    );
    const before = await snapshot(namespace);

    const named = new NginxIngressRouter('k8s', kubeConfig, {
      ingress: r => (r.workload === 'cart' ? 'shop-internal' : undefined),
    });
    await named.setWeight(route, 10);
    const canary = await networking.readNamespacedIngress({
      namespace,
      name: 'shop-internal-cart-canary',
    });
    expect(canary.metadata?.annotations?.[WEIGHT]).toBe('10');
    await named.reset(route);
    expect(await snapshot(namespace)).toEqual(before);
  });

  it('does not take another canary Ingress for the stable one', async () => {
    const foreign = shopIngress('any', 'shop-experiment');
    foreign.metadata!.annotations = { [CANARY]: 'true', [WEIGHT]: '5' };
    const namespace = await shop(shopIngress('any'), foreign);
    await router.setWeight(routeIn(namespace), 10);
    expect((await canaryOf(namespace)).metadata?.annotations?.[WEIGHT]).toBe(
      '10',
    );
  });

  it('says which object is missing or not its own, and writes nothing', async () => {
    const empty = await shop();
    await expect(router.setWeight(routeIn(empty), 10)).rejects.toThrow(
      `no Ingress in ${empty} routes to Service cart`,
    );
    await expect(
      new NginxIngressRouter('k8s', kubeConfig, { ingress: 'web' }).setWeight(
        routeIn(empty),
        10,
      ),
    ).rejects.toThrow(`no Ingress web in ${empty}`);
    await expect(
      new NginxIngressRouter('k8s', kubeConfig, {
        service: 'payments',
      }).setWeight(routeIn(await shop(shopIngress('any'))), 10),
    ).rejects.toThrow(/^no Ingress in shop-\d+ routes to Service payments$/);
    await expect(
      new NginxIngressRouter('k8s', kubeConfig, {
        ingress: 'shop',
        service: 'payments',
      }).setWeight(routeIn(await shop(shopIngress('any'))), 10),
    ).rejects.toThrow(
      /^Ingress shop in shop-\d+ does not route to Service payments$/,
    );

    const noService = `shop-${++namespaces}`;
    await networking.createNamespacedIngress({
      namespace: noService,
      body: shopIngress(noService),
    });
    await expect(router.setWeight(routeIn(noService), 10)).rejects.toThrow(
      `no Service cart in ${noService} to copy for cart-canary`,
    );

    const taken = await shop(shopIngress('any'));
    await core.createNamespacedService({
      namespace: taken,
      body: service(taken, 'cart-canary'),
    });
    const before = await snapshot(taken);
    await expect(router.setWeight(routeIn(taken), 10)).rejects.toThrow(
      `Service cart-canary in ${taken} exists and is not Sentinel's; refusing to take it over`,
    );
    // Nor does a reset remove a Service that is not Sentinel's.
    await router.reset(routeIn(taken));
    expect(await snapshot(taken)).toEqual(before);

    await expect(router.setWeight(routeIn(taken), 101)).rejects.toThrow(
      'a traffic weight is a whole percentage from 0 to 100, not 101',
    );
    await expect(
      router.setWeight({ ...routeIn(taken), cluster: 'eu' }, 10),
    ).rejects.toThrow(
      'the nginx traffic router of cluster k8s cannot route traffic in cluster eu',
    );
  });
});
