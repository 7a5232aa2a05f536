import {
  ApiException,
  ApisApi,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  V1Ingress,
  Watch,
} from '@kubernetes/client-node';
import { KubernetesTestServer } from './KubernetesTestServer';

const CANARY = 'nginx.ingress.kubernetes.io/canary';
const CANARY_WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';

/** The canary Ingress a rollout controller adds beside the stable one. */
function canaryIngress(weight: string): V1Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: 'web-canary',
      annotations: { [CANARY]: 'true', [CANARY_WEIGHT]: weight },
    },
    spec: {
      ingressClassName: 'nginx',
      rules: [
        {
          host: 'shop.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: {
                  service: { name: 'web-canary', port: { number: 80 } },
                },
              },
            ],
          },
        },
      ],
    },
  };
}

/** An HTTPRoute splitting traffic between the stable and canary Services by weight. */
function weightedRoute(stable: number, canary: number) {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'web' },
    spec: {
      parentRefs: [{ name: 'gateway' }],
      hostnames: ['shop.example.com'],
      rules: [
        {
          backendRefs: [
            { name: 'web-stable', port: 80, weight: stable },
            { name: 'web-canary', port: 80, weight: canary },
          ],
        },
      ],
    },
  };
}

const route = {
  group: 'gateway.networking.k8s.io',
  version: 'v1',
  plural: 'httproutes',
};

async function failure(call: Promise<unknown>): Promise<ApiException<any>> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiException) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('Ingress and HTTPRoute', () => {
  const server = new KubernetesTestServer();
  let kc: KubeConfig;
  let networking: NetworkingV1Api;
  let custom: CustomObjectsApi;

  beforeAll(async () => {
    await server.start();
    kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig());
    networking = kc.makeApiClient(NetworkingV1Api);
    custom = kc.makeApiClient(CustomObjectsApi);
  });

  afterAll(() => server.stop());

  it('announces both API groups with their resources', async () => {
    const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
    expect(groups.groups.map(g => g.preferredVersion?.groupVersion)).toEqual(
      expect.arrayContaining([
        'networking.k8s.io/v1',
        'gateway.networking.k8s.io/v1',
      ]),
    );
    const ingresses = await networking.getAPIResources();
    expect(ingresses.resources).toEqual([
      expect.objectContaining({
        name: 'ingresses',
        kind: 'Ingress',
        namespaced: true,
        shortNames: ['ing'],
        verbs: expect.arrayContaining(['create', 'patch', 'update', 'delete']),
      }),
      expect.objectContaining({ name: 'ingresses/status' }),
    ]);
    const response = await fetch(
      `${server.url}/apis/gateway.networking.k8s.io/v1`,
      { headers: { Authorization: `Bearer ${server.token}` } },
    );
    expect((await response.json()).resources[0]).toMatchObject({
      name: 'httproutes',
      kind: 'HTTPRoute',
      namespaced: true,
    });
  });

  it('round-trips the NGINX canary annotations through create, patches, update and watch', async () => {
    const namespace = 'canary';
    const created = await networking.createNamespacedIngress({
      namespace,
      body: canaryIngress('0'),
    });
    expect(created.metadata?.annotations).toEqual({
      [CANARY]: 'true',
      [CANARY_WEIGHT]: '0',
    });
    const weights: string[] = [];
    const watch = await new Watch(kc).watch(
      `/apis/networking.k8s.io/v1/namespaces/${namespace}/ingresses`,
      { resourceVersion: created.metadata?.resourceVersion },
      (type, object) =>
        weights.push(`${type} ${object.metadata.annotations[CANARY_WEIGHT]}`),
      () => {},
    );

    await networking.patchNamespacedIngress(
      {
        namespace,
        name: 'web-canary',
        body: { metadata: { annotations: { [CANARY_WEIGHT]: '10' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    // JSON patch addresses the annotation with '/' escaped as ~1.
    await networking.patchNamespacedIngress({
      namespace,
      name: 'web-canary',
      body: [
        {
          op: 'replace',
          path: '/metadata/annotations/nginx.ingress.kubernetes.io~1canary-weight',
          value: '25',
        },
      ],
    });
    const read = await networking.readNamespacedIngress({
      namespace,
      name: 'web-canary',
    });
    expect(read.metadata?.annotations).toEqual({
      [CANARY]: 'true',
      [CANARY_WEIGHT]: '25',
    });
    expect(read.spec).toEqual(canaryIngress('25').spec);
    expect(read.metadata?.generation).toBe(1);

    const replaced = await networking.replaceNamespacedIngress({
      namespace,
      name: 'web-canary',
      body: {
        ...read,
        metadata: {
          ...read.metadata,
          annotations: { ...read.metadata?.annotations, [CANARY_WEIGHT]: '50' },
        },
      },
    });
    expect(replaced.metadata?.annotations?.[CANARY_WEIGHT]).toBe('50');
    // The update above used read's resourceVersion, which is stale now.
    const stale = await failure(
      networking.replaceNamespacedIngress({
        namespace,
        name: 'web-canary',
        body: read,
      }),
    );
    expect(stale.code).toBe(409);

    await new Promise(resolve => setTimeout(resolve, 50));
    watch.abort();
    expect(weights).toEqual(['MODIFIED 10', 'MODIFIED 25', 'MODIFIED 50']);
  });

  it('applies a strategic merge patch to an Ingress as a merge patch', async () => {
    const namespace = 'smp';
    await networking.createNamespacedIngress({
      namespace,
      body: canaryIngress('5'),
    });
    const patched = await networking.patchNamespacedIngress(
      {
        namespace,
        name: 'web-canary',
        body: {
          metadata: { annotations: { [CANARY]: null } },
          spec: { rules: [{ host: 'beta.example.com' }] },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(patched.metadata?.annotations).toEqual({ [CANARY_WEIGHT]: '5' });
    expect(patched.spec?.rules).toEqual([{ host: 'beta.example.com' }]);
    expect(patched.metadata?.generation).toBe(2);
  });

  it('keeps status apart, lists across namespaces and deletes an Ingress', async () => {
    await networking.createNamespacedIngress({
      namespace: 'one',
      body: canaryIngress('1'),
    });
    await networking.createNamespacedIngress({
      namespace: 'two',
      body: { ...canaryIngress('2'), status: { loadBalancer: {} } },
    });
    const withStatus = await networking.patchNamespacedIngressStatus(
      {
        namespace: 'one',
        name: 'web-canary',
        body: { status: { loadBalancer: { ingress: [{ ip: '10.0.0.9' }] } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(withStatus.status?.loadBalancer?.ingress?.[0].ip).toBe('10.0.0.9');

    const all = await networking.listIngressForAllNamespaces({
      fieldSelector: 'metadata.namespace!=canary,metadata.namespace!=smp',
    });
    expect(
      all.items.map(i => [
        i.metadata?.namespace,
        i.metadata?.annotations?.[CANARY_WEIGHT],
      ]),
    ).toEqual([
      ['one', '1'],
      ['two', '2'],
    ]);

    await networking.deleteNamespacedIngress({
      namespace: 'two',
      name: 'web-canary',
    });
    const gone = await failure(
      networking.readNamespacedIngress({
        namespace: 'two',
        name: 'web-canary',
      }),
    );
    expect(gone.code).toBe(404);
    expect(JSON.parse(gone.body).message).toBe(
      'ingresses.networking.k8s.io "web-canary" not found',
    );
  });

  it('round-trips HTTPRoute backendRefs weights, 0 included, through patches and watch', async () => {
    const namespace = 'gateway';
    const created: any = await custom.createNamespacedCustomObject({
      ...route,
      namespace,
      body: weightedRoute(100, 0),
    });
    expect(created.spec.rules[0].backendRefs).toEqual([
      { name: 'web-stable', port: 80, weight: 100 },
      { name: 'web-canary', port: 80, weight: 0 },
    ]);
    const seen: number[][] = [];
    const watch = await new Watch(kc).watch(
      `/apis/gateway.networking.k8s.io/v1/namespaces/${namespace}/httproutes`,
      { resourceVersion: created.metadata.resourceVersion },
      (_type, object) =>
        seen.push(object.spec.rules[0].backendRefs.map((b: any) => b.weight)),
      () => {},
    );

    // A merge patch replaces the rules list as a whole.
    await custom.patchNamespacedCustomObject(
      {
        ...route,
        namespace,
        name: 'web',
        body: { spec: { rules: weightedRoute(90, 10).spec.rules } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await custom.patchNamespacedCustomObject({
      ...route,
      namespace,
      name: 'web',
      body: [
        { op: 'test', path: '/spec/rules/0/backendRefs/1/weight', value: 10 },
        {
          op: 'replace',
          path: '/spec/rules/0/backendRefs/0/weight',
          value: 75,
        },
        {
          op: 'replace',
          path: '/spec/rules/0/backendRefs/1/weight',
          value: 25,
        },
      ],
    });
    const read: any = await custom.getNamespacedCustomObject({
      ...route,
      namespace,
      name: 'web',
    });
    expect(read.spec).toEqual(weightedRoute(75, 25).spec);
    expect(read.metadata.generation).toBe(3);

    const list: any = await custom.listClusterCustomObject(route);
    expect(list.kind).toBe('HTTPRouteList');
    expect(list.items.map((r: any) => r.metadata.name)).toEqual(['web']);

    await custom.deleteNamespacedCustomObject({
      ...route,
      namespace,
      name: 'web',
    });
    await new Promise(resolve => setTimeout(resolve, 50));
    watch.abort();
    expect(seen).toEqual([
      [90, 10],
      [75, 25],
      [75, 25],
    ]);
  });
});
