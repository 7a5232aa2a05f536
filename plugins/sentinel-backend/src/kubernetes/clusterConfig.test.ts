import type { JsonObject } from '@backstage/types';
import { ConfigReader } from '@backstage/config';
import { KubernetesTestServer } from '@internal/kubernetes-test-server';
import { AppsV1Api } from '@kubernetes/client-node';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startSentinel } from '../__testUtils__/startSentinel';
import { loadTargetCluster } from '../__testUtils__/targetCluster';
import { readClusterConfigs } from './clusterConfig';

jest.setTimeout(30_000);

const dir = mkdtempSync(join(tmpdir(), 'sentinel-clusters-'));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, 'secret-token');

const read = (clusters: JsonObject[], nodeEnv = 'production') =>
  readClusterConfigs(new ConfigReader({ sentinel: { clusters } }), { nodeEnv });

describe('sentinel.clusters', () => {
  it('builds a client configuration from a URL and a mounted token file', () => {
    const [cluster] = read([
      {
        name: 'prod-eu',
        url: 'https://k8s.example.com',
        serviceAccountTokenFile: tokenFile,
      },
    ]);
    expect(cluster.name).toBe('prod-eu');
    expect(cluster.kubeConfig.getCurrentCluster()?.server).toBe(
      'https://k8s.example.com',
    );
    // Read from the file by the client (and re-read as the token rotates), never copied.
    expect(cluster.kubeConfig.getCurrentUser()?.authProvider?.config).toEqual({
      tokenFile,
    });
  });

  it('takes the token as a value (from Vault or $file) instead of a file', () => {
    const [cluster] = read([
      {
        name: 'prod-eu',
        url: 'https://k8s.example.com',
        serviceAccountToken: 'token-from-vault',
      },
    ]);
    expect(cluster.kubeConfig.getCurrentUser()?.token).toBe('token-from-vault');
    expect(() =>
      read([
        {
          name: 'prod-eu',
          url: 'https://k8s.example.com',
          serviceAccountToken: 'token-from-vault',
          serviceAccountTokenFile: tokenFile,
        },
      ]),
    ).toThrow(
      'sentinel.clusters[0]: give serviceAccountToken or serviceAccountTokenFile, not both',
    );
  });

  it('acts on the API server as the service account whose token the configuration gives', async () => {
    const server = new KubernetesTestServer();
    await server.start();
    try {
      const list = (serviceAccountToken: string) => {
        const [cluster] = read(
          [
            {
              name: 'k8s',
              url: server.url,
              serviceAccountToken,
              skipTLSVerify: true,
            },
          ],
          'development',
        );
        return cluster.kubeConfig
          .makeApiClient(AppsV1Api)
          .listNamespacedDeployment({ namespace: 'default' });
      };
      await expect(list(loadTargetCluster(server))).resolves.toMatchObject({
        items: [],
      });
      await expect(list('not-a-token-the-server-issued')).rejects.toMatchObject(
        {
          code: 401,
        },
      );
    } finally {
      await server.stop();
    }
  });

  it.each([
    [
      [
        {
          name: 'a',
          url: 'https://x',
          serviceAccountTokenFile: tokenFile,
          skipTLSVerify: true,
        },
      ],
      'sentinel.clusters[0].skipTLSVerify: skipping TLS verification is refused outside development',
    ],
    [
      [{ name: 'a', url: 'https://x' }],
      'sentinel.clusters[0]: give serviceAccountTokenFile',
    ],
    [
      [
        { name: 'a', url: 'https://x', serviceAccountTokenFile: tokenFile },
        { name: 'a', url: 'https://y', serviceAccountTokenFile: tokenFile },
      ],
      "sentinel.clusters[1].name: cluster 'a' is configured twice",
    ],
  ])('refuses %j', (clusters, message) => {
    expect(() => read(clusters)).toThrow(message);
  });

  it('allows skipping TLS verification in development only', () => {
    expect(
      read(
        [
          {
            name: 'a',
            url: 'https://x',
            serviceAccountTokenFile: tokenFile,
            skipTLSVerify: true,
          },
        ],
        'development',
      ),
    ).toHaveLength(1);
  });

  const servers: KubernetesTestServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });

  /**
   * Sentinel with one cluster `k8s`, configured by kubeconfig, on a test server with its
   * controller (so changes roll out) holding shop/cart; `submit` runs one decision to the end.
   */
  async function sentinelOnKubernetes(spec: Record<string, unknown> = {}) {
    const server = new KubernetesTestServer({
      controller: true,
      podReadyDelayMs: 50,
    });
    await server.start();
    servers.push(server);
    server.addDeployment({
      metadata: { name: 'cart', namespace: 'shop' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'cart' } },
        template: {
          metadata: { labels: { app: 'cart' } },
          spec: { containers: [{ name: 'app', image: 'shop/cart:1.0.0' }] },
        },
        ...spec,
      },
    });
    const kubeconfig = join(dir, `kubeconfig-${servers.length}`);
    writeFileSync(kubeconfig, server.kubeconfig({ name: 'k8s' }));
    const { server: backend } = await startSentinel({
      config: {
        sentinel: {
          clusters: [{ name: 'k8s', kubeconfig: { path: kubeconfig } }],
        },
      },
      catalogWorkloads: 'k8s/shop/Deployment/cart',
    });
    const submit = async (decision: Record<string, unknown>) => {
      const { body } = await request(backend)
        .post('/api/sentinel/v1/action-plans')
        .send({
          source: 'InfraMind',
          decisions: [
            {
              target: { cluster: 'k8s', namespace: 'shop', name: 'cart' },
              ...decision,
            },
          ],
        });
      const deadline = Date.now() + 20_000;
      let plan = body;
      while (
        !['succeeded', 'failed', 'rolled_back', 'rejected'].includes(
          plan.status,
        ) &&
        Date.now() < deadline
      ) {
        await new Promise(r => setTimeout(r, 50));
        plan = (
          await request(backend).get(`/api/sentinel/v1/action-plans/${body.id}`)
        ).body;
      }
      return plan;
    };
    const live = () => server.getDeployment('shop', 'cart') as any;
    return { submit, live, server, backend };
  }

  it('applies a plan to a cluster configured by kubeconfig: Kubernetes holds the change', async () => {
    const { submit, live } = await sentinelOnKubernetes();
    const plan = await submit({ verb: 'scale', params: { replicas: 4 } });
    expect(plan.status).toBe('succeeded');
    expect(live().spec.replicas).toBe(4);
  });

  it('dry-runs a plan from the workload inventory, without a request to the API server', async () => {
    const { server, backend } = await sentinelOnKubernetes();
    const body = {
      source: 'InfraMind',
      decisions: [
        {
          verb: 'scale',
          target: { cluster: 'k8s', namespace: 'shop', name: 'cart' },
          params: { replicas: 3 },
          confidence: 0.9,
        },
      ],
    };
    // The inventory lists and watches the cluster as the backend starts.
    for (let i = 0; i < 100 && server.requests < 2; i++) {
      await new Promise(r => setTimeout(r, 50));
    }
    const before = server.requests;
    for (let i = 0; i < 5; i++) {
      const res = await request(backend)
        .post('/api/sentinel/v1/policies/evaluate')
        .send(body);
      expect(res.status).toBe(200);
      expect(res.body.outcome).toBe('allow');
    }
    expect(server.requests - before).toBe(0);
  });

  it('rolls back a rollout that never becomes healthy, by itself', async () => {
    const { submit, live } = await sentinelOnKubernetes({
      progressDeadlineSeconds: 1,
    });
    const plan = await submit({
      verb: 'rollout',
      params: { containers: { app: { image: 'shop/cart:1.1.0-broken' } } },
    });
    expect(plan.status).toBe('rolled_back');
    expect(plan.statusReason).toMatch(
      /k8s\/shop\/Deployment\/cart did not become healthy: progress deadline exceeded/,
    );
    expect(plan.decisions[0].status).toBe('rolled_back');
    expect(live().spec.template.spec.containers[0].image).toBe(
      'shop/cart:1.0.0',
    );
  });
});
