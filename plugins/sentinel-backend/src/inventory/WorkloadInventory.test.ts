import { KubernetesTestServer } from '@internal/kubernetes-test-server';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startSentinel } from '../__testUtils__/startSentinel';
import { IDENTITIES, kubeconfigAs } from '../__testUtils__/targetCluster';

jest.setTimeout(30_000);

function deployment(namespace: string, name: string, replicas: number) {
  return {
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: `${namespace}/${name}:1.0.0`,
              resources: { requests: { cpu: '100m' } },
            },
          ],
        },
      },
    },
  };
}

// From the list+watch inventory, which reads the cluster as the test server's administrator
// and as Sentinel's ServiceAccount under exactly the role shipped for target clusters.
describe.each(IDENTITIES)('GET /v1/workloads as %s', identity => {
  const server = new KubernetesTestServer({
    controller: true,
    podReadyDelayMs: 50,
  });
  let backend: any;
  let apps: AppsV1Api;

  beforeAll(async () => {
    await server.start();
    server.addDeployment(deployment('shop', 'cart', 2));
    server.addDeployment(deployment('shop', 'checkout', 1));
    server.addDeployment(deployment('payments', 'api', 3));
    // No catalog entity manages this one: it is nobody's to see through Sentinel.
    server.addDeployment(deployment('payments', 'legacy', 1));
    const dir = mkdtempSync(join(tmpdir(), 'sentinel-inventory-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigAs(server, identity));
    // The administrator makes the out-of-band changes.
    const kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig({ name: 'k8s' }));
    apps = kc.makeApiClient(AppsV1Api);
    ({ server: backend } = await startSentinel({
      config: {
        sentinel: {
          clusters: [{ name: 'k8s', kubeconfig: { path: kubeconfig } }],
        },
      },
      catalogWorkloads:
        'k8s/shop/Deployment/cart, k8s/shop/Deployment/checkout, k8s/payments/Deployment/api',
    }));
  });
  afterAll(() => server.stop());

  async function workloads(query = '') {
    const res = await request(backend).get(
      `/api/sentinel/v1/workloads${query}`,
    );
    expect(res.status).toBe(200);
    return res.body;
  }

  it('lists every managed workload with its entity, replicas and containers, in a stable order, and no unmanaged one', async () => {
    let body = await workloads();
    const deadline = Date.now() + 10_000;
    while (body.items.length < 3 && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 50));
      body = await workloads();
    }
    expect(body.items.map((w: any) => `${w.namespace}/${w.name}`)).toEqual([
      'payments/api',
      'shop/cart',
      'shop/checkout',
    ]);
    expect(body.items[1]).toMatchObject({
      cluster: 'k8s',
      kind: 'Deployment',
      entityRef: 'component:default/cart',
      replicas: { desired: 2 },
      containers: [
        {
          name: 'app',
          image: 'shop/cart:1.0.0',
          resources: { requests: { cpu: '100m' } },
        },
      ],
      health: null,
    });
    // payments/legacy is in the inventory too, but no catalog entity manages it.
    await new Promise(r => setTimeout(r, 300));
    expect(
      (await workloads('?namespace=payments')).items.map((w: any) => w.name),
    ).toEqual(['api']);
  });

  it('filters by entity and namespace, and pages with a cursor', async () => {
    expect(
      (await workloads('?entityRef=component:default/cart')).items.map(
        (w: any) => w.name,
      ),
    ).toEqual(['api', 'cart', 'checkout']);
    expect(
      (await workloads('?entityRef=component:default/other')).items,
    ).toEqual([]);
    expect((await workloads('?namespace=shop')).items).toHaveLength(2);
    const first = await workloads('?limit=2');
    expect(first.items).toHaveLength(2);
    const second = await workloads(`?limit=2&cursor=${first.nextCursor}`);
    expect(second).toEqual({
      items: [expect.objectContaining({ name: 'checkout' })],
      nextCursor: null,
    });
    const bad = await request(backend).get(
      '/api/sentinel/v1/workloads?cursor=garbage',
    );
    expect(bad.status).toBe(400);
  });

  it('shows an out-of-band change (kubectl scale) within seconds, without asking the API server', async () => {
    await apps.patchNamespacedDeploymentScale({
      name: 'checkout',
      namespace: 'shop',
      body: [{ op: 'replace', path: '/spec/replicas', value: 5 }],
    });
    const deadline = Date.now() + 5_000;
    let desired = 0;
    while (desired !== 5 && Date.now() < deadline) {
      const { items } = await workloads('?namespace=shop');
      desired = items.find((w: any) => w.name === 'checkout').replicas.desired;
      if (desired !== 5) await new Promise(r => setTimeout(r, 50));
    }
    expect(desired).toBe(5);
  });

  it('was refused nothing it asked of the cluster', () => {
    // A refused list or watch is only logged (the inventory retries): look at the server.
    expect(server.authorizations().filter(r => !r.allowed)).toEqual([]);
  });
});
