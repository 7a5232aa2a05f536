import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

const hasKubectl =
  spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status ===
  0;

// kubectl sends the bearer token only over TLS; skipped where kubectl is missing.
(hasKubectl ? describe : describe.skip)('kubectl against the server', () => {
  it('discovers core/v1 and apps/v1 and lists controller-made pods', async () => {
    const server = new KubernetesTestServer({
      tls: await selfSignedCertificate(),
      controller: true,
      podReadyDelayMs: 50,
    });
    await server.start();
    const dir = await mkdtemp(join(tmpdir(), 'kubernetes-test-server-'));
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      await writeFile(kubeconfig, server.kubeconfig({ namespace: 'shop' }));
      const kubectl = async (...args: string[]) =>
        (
          await promisify(execFile)('kubectl', [
            '--kubeconfig',
            kubeconfig,
            ...args,
          ])
        ).stdout;

      const resources = await kubectl('api-resources', '-o', 'name');
      expect(resources.split('\n')).toEqual(
        expect.arrayContaining([
          'pods',
          'services',
          'events',
          'deployments.apps',
          'statefulsets.apps',
        ]),
      );
      server.addDeployment({
        metadata: { name: 'web', namespace: 'shop' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] },
          },
        },
      });
      await kubectl(
        'wait',
        '--for=jsonpath={.status.readyReplicas}=2',
        'deployment/web',
        '--timeout=10s',
      );
      const pods = await kubectl('get', 'pods', '-l', 'app=web', '-o', 'name');
      expect(pods.trim().split('\n')).toHaveLength(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await server.stop();
    }
  });
});
