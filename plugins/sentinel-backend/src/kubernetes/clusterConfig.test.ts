import type { JsonObject } from '@backstage/types';
import { ConfigReader } from '@backstage/config';
import { KubernetesTestServer } from '@internal/kubernetes-test-server';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startSentinel } from '../__testUtils__/startSentinel';
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

  it('applies a plan to a cluster configured by kubeconfig: Kubernetes holds the change', async () => {
    // With its controller, so the change rolls out and the plan can finish.
    const server = new KubernetesTestServer({
      controller: true,
      podReadyDelayMs: 50,
    });
    await server.start();
    try {
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
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(kubeconfig, server.kubeconfig({ name: 'k8s' }));

      const { server: backend } = await startSentinel({
        config: {
          sentinel: {
            clusters: [{ name: 'k8s', kubeconfig: { path: kubeconfig } }],
          },
        },
        catalogWorkloads: 'k8s/shop/Deployment/cart',
      });
      const { body } = await request(backend)
        .post('/api/sentinel/v1/action-plans')
        .send({
          source: 'InfraMind',
          decisions: [
            {
              verb: 'scale',
              target: { cluster: 'k8s', namespace: 'shop', name: 'cart' },
              params: { replicas: 4 },
            },
          ],
        });
      const deadline = Date.now() + 10_000;
      let status = body.status;
      while (
        !['succeeded', 'failed', 'rolled_back', 'rejected'].includes(status) &&
        Date.now() < deadline
      ) {
        await new Promise(r => setTimeout(r, 50));
        status = (
          await request(backend).get(`/api/sentinel/v1/action-plans/${body.id}`)
        ).body.status;
      }
      expect(status).toBe('succeeded');
      expect((server.getDeployment('shop', 'cart') as any).spec.replicas).toBe(
        4,
      );
    } finally {
      await server.stop();
    }
  });

  it('rolls back a rollout that never becomes healthy, by itself', async () => {
    const server = new KubernetesTestServer({
      controller: true,
      podReadyDelayMs: 50,
    });
    await server.start();
    try {
      server.addDeployment({
        metadata: { name: 'cart', namespace: 'shop' },
        spec: {
          replicas: 2,
          progressDeadlineSeconds: 1,
          selector: { matchLabels: { app: 'cart' } },
          template: {
            metadata: { labels: { app: 'cart' } },
            spec: { containers: [{ name: 'app', image: 'shop/cart:1.0.0' }] },
          },
        },
      });
      const kubeconfig = join(dir, 'kubeconfig-controller');
      writeFileSync(kubeconfig, server.kubeconfig({ name: 'k8s' }));
      const { server: backend } = await startSentinel({
        config: {
          sentinel: {
            clusters: [{ name: 'k8s', kubeconfig: { path: kubeconfig } }],
          },
        },
        catalogWorkloads: 'k8s/shop/Deployment/cart',
      });
      const { body } = await request(backend)
        .post('/api/sentinel/v1/action-plans')
        .send({
          source: 'InfraMind',
          decisions: [
            {
              verb: 'rollout',
              target: { cluster: 'k8s', namespace: 'shop', name: 'cart' },
              params: {
                containers: { app: { image: 'shop/cart:1.1.0-broken' } },
              },
            },
          ],
        });
      const deadline = Date.now() + 20_000;
      let plan = body;
      while (
        !['succeeded', 'failed', 'rolled_back'].includes(plan.status) &&
        Date.now() < deadline
      ) {
        await new Promise(r => setTimeout(r, 100));
        plan = (
          await request(backend).get(`/api/sentinel/v1/action-plans/${body.id}`)
        ).body;
      }
      expect(plan.status).toBe('rolled_back');
      expect(plan.statusReason).toMatch(
        /k8s\/shop\/Deployment\/cart did not become healthy: progress deadline exceeded/,
      );
      expect(plan.decisions[0].status).toBe('rolled_back');
      const live = server.getDeployment('shop', 'cart') as any;
      expect(live.spec.template.spec.containers[0].image).toBe(
        'shop/cart:1.0.0',
      );
    } finally {
      await server.stop();
    }
  });
});
