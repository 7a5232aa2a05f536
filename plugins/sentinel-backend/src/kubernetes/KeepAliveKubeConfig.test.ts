import {
  KubernetesTestServer,
  selfSignedCertificate,
} from '@internal/kubernetes-test-server';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeepAliveKubeConfig } from './KeepAliveKubeConfig';

describe('KeepAliveKubeConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-keepalive-'));
  const server = new KubernetesTestServer({
    tls: selfSignedCertificate({
      keyFile: join(dir, 'key.pem'),
      certFile: join(dir, 'cert.pem'),
    }),
  });
  beforeAll(async () => {
    await server.start();
    server.addDeployment({
      metadata: { name: 'cart', namespace: 'shop' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'cart' } },
        template: {
          metadata: { labels: { app: 'cart' } },
          spec: { containers: [{ name: 'app', image: 'shop/cart:1' }] },
        },
      },
    });
  });
  afterAll(() => server.stop());

  async function connectionsFor(kubeConfig: KubeConfig, calls: number) {
    kubeConfig.loadFromString(server.kubeconfig({ name: 'tls' }));
    const apps = kubeConfig.makeApiClient(AppsV1Api);
    const before = server.connections;
    for (let i = 0; i < calls; i++) {
      const cart = await apps.readNamespacedDeployment({
        namespace: 'shop',
        name: 'cart',
      });
      expect(cart.spec?.replicas).toBe(1);
    }
    return server.connections - before;
  }

  it('reuses one TLS connection for a series of API calls, where client-node opens one per call', async () => {
    expect(await connectionsFor(new KubeConfig(), 10)).toBe(10);
    // undici may open a second connection while the first is set up; never one per call.
    expect(
      await connectionsFor(new KeepAliveKubeConfig(), 30),
    ).toBeLessThanOrEqual(2);
  });
});
