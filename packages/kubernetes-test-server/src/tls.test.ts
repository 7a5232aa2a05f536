import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { KubernetesTestServer } from './KubernetesTestServer';

/** A self-signed certificate for 127.0.0.1, made with the openssl command. */
async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'kubernetes-test-server-'));
  try {
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    return {
      key: await readFile(join(dir, 'key.pem'), 'utf8'),
      cert: await readFile(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('KubernetesTestServer over TLS', () => {
  it('serves https with a kubeconfig that trusts its certificate', async () => {
    const server = new KubernetesTestServer({
      tls: await selfSignedCertificate(),
    });
    const { url } = await server.start();
    try {
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const kubeconfig = server.kubeconfig({ name: 'tls' });
      expect(kubeconfig).toContain('certificate-authority-data:');
      expect(kubeconfig).not.toContain('insecure-skip-tls-verify');

      server.addDeployment({
        metadata: { name: 'web', namespace: 'shop' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] },
          },
        },
        status: { replicas: 1, readyReplicas: 1 },
      });
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfig);
      const read = await kc
        .makeApiClient(AppsV1Api)
        .readNamespacedDeployment({ name: 'web', namespace: 'shop' });
      expect(read.status?.readyReplicas).toBe(1);
    } finally {
      await server.stop();
    }
  });
});
