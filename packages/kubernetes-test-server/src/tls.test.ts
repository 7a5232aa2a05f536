import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { selfSignedCertificate } from './certificate';
import { KubernetesTestServer } from './KubernetesTestServer';

/** A fresh self-signed certificate for 127.0.0.1, in a temporary folder. */
async function certificate(): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'kubernetes-test-server-'));
  try {
    return selfSignedCertificate({
      keyFile: join(dir, 'key.pem'),
      certFile: join(dir, 'cert.pem'),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('KubernetesTestServer over TLS', () => {
  it('serves https with a kubeconfig that trusts its certificate', async () => {
    const server = new KubernetesTestServer({
      tls: await certificate(),
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
  /**
   * A TLS test server with its controller, kubectl pointed at it (namespace shop), and a
   * way to add Deployment web (two nginx pods) and wait until kubectl sees it ready.
   */
  async function withKubectl(
    body: (o: {
      kubeconfig: string;
      kubectl: (...args: string[]) => Promise<string>;
      addReadyWeb: () => Promise<void>;
    }) => Promise<void>,
  ) {
    const server = new KubernetesTestServer({
      tls: await certificate(),
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
      const addReadyWeb = async () => {
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
      };
      await body({ kubeconfig, kubectl, addReadyWeb });
    } finally {
      await rm(dir, { recursive: true, force: true });
      await server.stop();
    }
  }

  it('discovers core/v1 and apps/v1 and lists controller-made pods', async () => {
    await withKubectl(async ({ kubectl, addReadyWeb }) => {
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
      await addReadyWeb();
      const pods = await kubectl('get', 'pods', '-l', 'app=web', '-o', 'name');
      expect(pods.trim().split('\n')).toHaveLength(2);
    });
  });

  it('prints the columns kubectl prints for a real cluster, in lists and watches', async () => {
    await withKubectl(async ({ kubeconfig, kubectl, addReadyWeb }) => {
      await addReadyWeb();
      const deployments = (await kubectl('get', 'deploy')).trim().split('\n');
      expect(deployments[0].split(/\s+/)).toEqual([
        'NAME',
        'READY',
        'UP-TO-DATE',
        'AVAILABLE',
        'AGE',
      ]);
      expect(deployments[1].split(/\s+/).slice(0, 4)).toEqual([
        'web',
        '2/2',
        '2',
        '2',
      ]);
      const all = (await kubectl('get', 'deploy', '-A')).trim().split('\n');
      expect(all[0].split(/\s+/)[0]).toBe('NAMESPACE');
      expect(all[1].split(/\s+/).slice(0, 3)).toEqual(['shop', 'web', '2/2']);
      const pods = (await kubectl('get', 'pods')).trim().split('\n');
      expect(pods[0].split(/\s+/)).toEqual([
        'NAME',
        'READY',
        'STATUS',
        'RESTARTS',
        'AGE',
      ]);
      expect(pods[1].split(/\s+/).slice(1, 4)).toEqual(['1/1', 'Running', '0']);

      // A watch shows the change as a row in the same columns.
      const watch = spawn('kubectl', [
        '--kubeconfig',
        kubeconfig,
        'get',
        'deploy',
        'web',
        '-w',
      ]);
      let seen = '';
      watch.stdout.on('data', chunk => (seen += String(chunk)));
      try {
        const deadline = Date.now() + 10_000;
        while (!seen.includes('web') && Date.now() < deadline) {
          await new Promise(r => setTimeout(r, 50));
        }
        await kubectl('scale', 'deploy/web', '--replicas=3');
        while (!/web\s+\d\/3/.test(seen) && Date.now() < deadline) {
          await new Promise(r => setTimeout(r, 50));
        }
      } finally {
        watch.kill();
      }
      const lines = seen.trim().split('\n');
      expect(lines[0].split(/\s+/)).toEqual([
        'NAME',
        'READY',
        'UP-TO-DATE',
        'AVAILABLE',
        'AGE',
      ]);
      expect(lines.slice(1).some(l => /^web\s+\d\/3\s/.test(l))).toBe(true);
    });
  });
});
