import { KubernetesTestServer } from '@internal/kubernetes-test-server';
import type { TrafficRoute } from '@internal/backstage-plugin-sentinel-node';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type V1Service,
} from '@kubernetes/client-node';
import {
  GatewayApiRouter,
  httpRouteRoutesTo,
  isServiceRef,
  restoredRoute,
  STABLE_WEIGHTS_ANNOTATION,
  weightedRoute,
  type HTTPRoute,
} from './GatewayApiRouter';
import { IDENTITIES, kubeConfigAs } from '../../__testUtils__/targetCluster';

const HTTP_ROUTES = {
  group: 'gateway.networking.k8s.io',
  version: 'v1',
  plural: 'httproutes',
};

const routeIn = (namespace: string, workload = 'cart'): TrafficRoute => ({
  cluster: 'k8s',
  namespace,
  workload,
  candidate: `${workload}-canary`,
  rolloutId: 'r-1',
});

const service = (namespace: string, name: string): V1Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace, labels: { app: name } },
  spec: {
    selector: { app: name },
    ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
  },
});

const prefix = (value: string) => [{ path: { type: 'PathPrefix', value } }];

/**
 * The shop's HTTPRoute: /cart to cart (no weight), /checkout to checkout (weight 1), /v2 split
 * 3:1 between cart (with a filter) and legacy.
 */
const shopRoute = (namespace: string, name = 'shop'): HTTPRoute => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name, namespace, labels: { app: 'shop' } },
  spec: {
    parentRefs: [{ name: 'gateway', namespace: 'infra' }],
    hostnames: ['shop.example.com'],
    rules: [
      { matches: prefix('/cart'), backendRefs: [{ name: 'cart', port: 80 }] },
      {
        matches: prefix('/checkout'),
        backendRefs: [{ name: 'checkout', port: 80, weight: 1 }],
      },
      {
        matches: prefix('/v2'),
        backendRefs: [
          {
            kind: 'Service',
            name: 'cart',
            port: 80,
            weight: 3,
            filters: [
              {
                type: 'RequestHeaderModifier',
                requestHeaderModifier: { set: [{ name: 'x-v', value: '2' }] },
              },
            ],
          },
          { name: 'legacy', port: 80, weight: 1 },
        ],
      },
    ],
  },
});

describe('weightedRoute and restoredRoute', () => {
  const route = shopRoute('shop');
  const cart = { service: 'cart', canary: 'cart-canary' };
  const checkout = { service: 'checkout', canary: 'checkout-canary' };

  it('gives each rule to the stable Service a canary backendRef with the weight', () => {
    const weighted = weightedRoute(route, { ...cart, weight: 10 });
    expect(weighted.spec?.rules?.map(r => r.backendRefs)).toEqual([
      [
        { name: 'cart', port: 80, weight: 90 },
        { name: 'cart-canary', port: 80, weight: 10 },
      ],
      [{ name: 'checkout', port: 80, weight: 1 }],
      [
        expect.objectContaining({ name: 'cart', weight: 90 }),
        { name: 'legacy', port: 80, weight: 1 },
        {
          ...route.spec!.rules![2].backendRefs![0],
          name: 'cart-canary',
          weight: 10,
        },
      ],
    ]);
    expect(
      JSON.parse(weighted.metadata.annotations![STABLE_WEIGHTS_ANNOTATION]),
    ).toEqual({ cart: { '0/0': null, '2/0': 3 } });
    // The rest of the route, and the input, as they were.
    expect(weighted.spec?.hostnames).toEqual(route.spec?.hostnames);
    expect(weighted.spec?.parentRefs).toEqual(route.spec?.parentRefs);
    expect(route).toEqual(shopRoute('shop'));
  });

  it('changes only the weights on later steps, and nothing when the weight is the same', () => {
    const at10 = weightedRoute(route, { ...cart, weight: 10 });
    const at50 = weightedRoute(at10, { ...cart, weight: 50 });
    expect(at50.spec?.rules?.[0].backendRefs).toEqual([
      { name: 'cart', port: 80, weight: 50 },
      { name: 'cart-canary', port: 80, weight: 50 },
    ]);
    expect(at50.metadata.annotations).toEqual(at10.metadata.annotations);
    expect(weightedRoute(at50, { ...cart, weight: 50 })).toEqual(at50);
  });

  it.each([0, 10, 50, 100])(
    'restores the route exactly after weight %s',
    weight => {
      const weighted = weightedRoute(
        weightedRoute(route, { ...cart, weight: 5 }),
        { ...cart, weight },
      );
      expect(restoredRoute(weighted, cart)).toEqual(route);
    },
  );

  it('keeps annotations the route had', () => {
    const annotated: HTTPRoute = {
      ...route,
      metadata: { ...route.metadata, annotations: { owner: 'shop' } },
    };
    expect(
      restoredRoute(weightedRoute(annotated, { ...cart, weight: 20 }), cart),
    ).toEqual(annotated);
  });

  it('lets two rollouts share one route, each restoring only its own rules', () => {
    const both = weightedRoute(weightedRoute(route, { ...cart, weight: 10 }), {
      ...checkout,
      weight: 30,
    });
    expect(both.spec?.rules?.[1].backendRefs).toEqual([
      { name: 'checkout', port: 80, weight: 70 },
      { name: 'checkout-canary', port: 80, weight: 30 },
    ]);
    const checkoutOnly = restoredRoute(both, cart);
    expect(checkoutOnly).toEqual(
      weightedRoute(route, { ...checkout, weight: 30 }),
    );
    expect(restoredRoute(checkoutOnly, checkout)).toEqual(route);
  });

  it('restoring a route never split changes nothing', () => {
    expect(restoredRoute(route, cart)).toEqual(route);
  });

  it('refuses a record that is not JSON', () => {
    const broken: HTTPRoute = {
      ...route,
      metadata: {
        ...route.metadata,
        annotations: { [STABLE_WEIGHTS_ANNOTATION]: '{' },
      },
    };
    expect(() => restoredRoute(broken, cart)).toThrow(
      `HTTPRoute shop in shop: its ${STABLE_WEIGHTS_ANNOTATION} annotation is not JSON`,
    );
  });

  it.each([
    [{ name: 'cart' }, true],
    [{ name: 'cart', kind: 'Service', group: '' }, true],
    [{ name: 'cart', namespace: 'shop' }, true],
    [{ name: 'cart', namespace: 'other' }, false],
    [
      { name: 'cart', kind: 'ServiceImport', group: 'multicluster.x-k8s.io' },
      false,
    ],
    [{ name: 'carts' }, false],
  ])('%j is the Service cart in shop: %s', (ref, expected) => {
    expect(isServiceRef(ref, 'cart', 'shop')).toBe(expected);
  });

  it('finds the routes to a Service', () => {
    expect(httpRouteRoutesTo(route, 'legacy')).toBe(true);
    expect(httpRouteRoutesTo(route, 'payments')).toBe(false);
  });
});

// On the Kubernetes test server, as its administrator and as Sentinel's ServiceAccount under
// exactly the role shipped for target clusters (a call it does not allow is a 403).
describe.each(IDENTITIES)('GatewayApiRouter as %s', identity => {
  const server = new KubernetesTestServer({ controller: true });
  /** The administrator, who sets the scene. */
  const admin = new KubeConfig();
  /** What the router runs as. */
  let kubeConfig: KubeConfig;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  let router: GatewayApiRouter;
  let namespaces = 0;

  beforeAll(async () => {
    await server.start();
    admin.loadFromString(server.kubeconfig({ name: 'k8s' }));
    core = admin.makeApiClient(CoreV1Api);
    custom = admin.makeApiClient(CustomObjectsApi);
    kubeConfig = kubeConfigAs(server, identity);
    router = new GatewayApiRouter('k8s', kubeConfig, {
      retry: { baseDelayMs: 1 },
    });
  });
  afterAll(() => server.stop());

  /** A namespace of its own for each test, with the shop's Services and `routes`. */
  async function shop(...routes: HTTPRoute[]): Promise<string> {
    const namespace = `shop-${++namespaces}`;
    for (const name of ['cart', 'checkout', 'legacy']) {
      await core.createNamespacedService({
        namespace,
        body: service(namespace, name),
      });
    }
    for (const body of routes) {
      await custom.createNamespacedCustomObject({
        ...HTTP_ROUTES,
        namespace,
        body: { ...body, metadata: { ...body.metadata, namespace } },
      });
    }
    return namespace;
  }

  const read = (namespace: string, name = 'shop'): Promise<HTTPRoute> =>
    custom.getNamespacedCustomObject({ ...HTTP_ROUTES, namespace, name });

  /** What a reset must put back: Services whole, the route's labels, annotations and spec. */
  async function snapshot(namespace: string) {
    const services = await core.listNamespacedService({ namespace });
    const routes = await custom.listNamespacedCustomObject({
      ...HTTP_ROUTES,
      namespace,
    });
    return JSON.parse(
      JSON.stringify({
        services: services.items,
        routes: routes.items.map((r: HTTPRoute) => ({
          name: r.metadata.name,
          labels: r.metadata.labels,
          annotations: r.metadata.annotations,
          spec: r.spec,
        })),
      }),
    );
  }

  const weights = (route: HTTPRoute, rule: number) =>
    route.spec?.rules?.[rule].backendRefs?.map(r => `${r.name} ${r.weight}`);

  it('splits traffic at 10 then 50, and a reset leaves exactly the original objects', async () => {
    const namespace = await shop(shopRoute('any'));
    const route = routeIn(namespace);
    const before = await snapshot(namespace);

    await router.setWeight(route, 10);
    let split = await read(namespace);
    expect(weights(split, 0)).toEqual(['cart 90', 'cart-canary 10']);
    expect(weights(split, 1)).toEqual(['checkout 1']);
    expect(weights(split, 2)).toEqual([
      'cart 90',
      'legacy 1',
      'cart-canary 10',
    ]);
    const canaryService = await core.readNamespacedService({
      namespace,
      name: 'cart-canary',
    });
    expect(canaryService.spec?.selector).toEqual({
      app: 'cart',
      'sentinel.io/candidate': 'cart-canary',
    });
    expect(canaryService.spec?.ports).toEqual([
      expect.objectContaining({ name: 'http', port: 80, targetPort: 8080 }),
    ]);

    await router.setWeight(route, 50);
    split = await read(namespace);
    expect(weights(split, 0)).toEqual(['cart 50', 'cart-canary 50']);
    expect(weights(split, 2)).toEqual([
      'cart 50',
      'legacy 1',
      'cart-canary 50',
    ]);

    await router.reset(route);
    expect(await snapshot(namespace)).toEqual(before);
  });

  it('writes nothing when called again with the same weight, or reset twice', async () => {
    const namespace = await shop(shopRoute('any'));
    const route = routeIn(namespace);
    await router.setWeight(route, 25);
    const written = server.currentResourceVersion;
    await router.setWeight(route, 25);
    expect(server.currentResourceVersion).toBe(written);
    expect(weights(await read(namespace), 0)).toEqual([
      'cart 75',
      'cart-canary 25',
    ]);

    await router.reset(route);
    const reset = server.currentResourceVersion;
    await router.reset(route);
    expect(server.currentResourceVersion).toBe(reset);
  });

  it('a reset with nothing there is fine, the named route gone included', async () => {
    const namespace = await shop(shopRoute('any'));
    const before = await snapshot(namespace);
    await router.reset(routeIn(namespace));
    await new GatewayApiRouter('k8s', kubeConfig, {
      httpRoute: 'gone',
    }).reset(routeIn(namespace));
    expect(await snapshot(namespace)).toEqual(before);
  });

  it.each([0, 100])('round-trips weight %s', async weight => {
    const namespace = await shop(shopRoute('any'));
    await router.setWeight(routeIn(namespace), weight);
    expect(weights(await read(namespace), 0)).toEqual([
      `cart ${100 - weight}`,
      `cart-canary ${weight}`,
    ]);
  });

  it('lets rollouts of two workloads share the route, in any order', async () => {
    const namespace = await shop(shopRoute('any'));
    const before = await snapshot(namespace);
    const cart = routeIn(namespace, 'cart');
    const checkout = routeIn(namespace, 'checkout');

    await Promise.all([
      router.setWeight(cart, 10),
      router.setWeight(checkout, 30),
    ]);
    const split = await read(namespace);
    expect(weights(split, 0)).toEqual(['cart 90', 'cart-canary 10']);
    expect(weights(split, 1)).toEqual(['checkout 70', 'checkout-canary 30']);

    await router.reset(cart);
    expect(weights(await read(namespace), 1)).toEqual([
      'checkout 70',
      'checkout-canary 30',
    ]);
    await router.reset(checkout);
    expect(await snapshot(namespace)).toEqual(before);
  });

  it('passes over a transient API server error', async () => {
    const namespace = await shop(shopRoute('any'));
    server.injectFaults({
      failNext: { status: 429, count: 1, retryAfterSeconds: 0 },
    });
    try {
      await router.setWeight(routeIn(namespace), 10);
    } finally {
      server.injectFaults({});
    }
    expect(weights(await read(namespace), 0)).toEqual([
      'cart 90',
      'cart-canary 10',
    ]);
  });

  it('takes the HTTPRoute named in its options when several route to the Service', async () => {
    const namespace = await shop(
      shopRoute('any', 'shop'),
      shopRoute('any', 'shop-internal'),
    );
    const route = routeIn(namespace);
    await expect(router.setWeight(route, 10)).rejects.toThrow(
      `HTTPRoutes shop, shop-internal in ${namespace} all route to Service cart; name the one to use in the gateway-api router's options`,
    );
    const before = await snapshot(namespace);
    const named = new GatewayApiRouter('k8s', kubeConfig, {
      httpRoute: 'shop-internal',
    });
    await named.setWeight(route, 10);
    expect(weights(await read(namespace, 'shop-internal'), 0)).toEqual([
      'cart 90',
      'cart-canary 10',
    ]);
    expect(weights(await read(namespace, 'shop'), 0)).toEqual([
      'cart undefined',
    ]);
    await named.reset(route);
    expect(await snapshot(namespace)).toEqual(before);
  });

  it('says which object is missing, and writes nothing', async () => {
    const empty = await shop();
    await expect(router.setWeight(routeIn(empty), 10)).rejects.toThrow(
      `no HTTPRoute in ${empty} routes to Service cart`,
    );
    await expect(
      new GatewayApiRouter('k8s', kubeConfig, { httpRoute: 'web' }).setWeight(
        routeIn(empty),
        10,
      ),
    ).rejects.toThrow(`no HTTPRoute web in ${empty}`);

    const namespace = await shop(shopRoute('any'));
    const before = await snapshot(namespace);
    await expect(
      new GatewayApiRouter('k8s', kubeConfig, {
        httpRoute: 'shop',
      }).setWeight(routeIn(namespace, 'payments'), 10),
    ).rejects.toThrow(
      `HTTPRoute shop in ${namespace} does not route to Service payments`,
    );
    await core.createNamespacedService({
      namespace,
      body: service(namespace, 'cart-canary'),
    });
    const taken = await snapshot(namespace);
    await expect(router.setWeight(routeIn(namespace), 10)).rejects.toThrow(
      `Service cart-canary in ${namespace} exists and is not Sentinel's; refusing to take it over`,
    );
    expect(await snapshot(namespace)).toEqual(taken);
    expect(taken.routes).toEqual(before.routes);
  });
});
