import { spawn } from 'node:child_process';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { KubernetesTestServer } from './KubernetesTestServer';
import { TestPki } from './pki';
import {
  certificate,
  hasKubectl,
  withKubectl,
} from './__testUtils__/withKubectl';

// Each test spawns kubectl several times; on a loaded 2-core machine that outlasts jest's 5 s.
jest.setTimeout(30_000);

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

describe('KubernetesTestServer with client certificates', () => {
  it('authenticates a certificate from the client CA as its CN and O, and refuses others', async () => {
    const pki = new TestPki();
    const serverCa = pki.ca('apiserver-ca');
    const clientCa = pki.ca('client-ca');
    const serving = serverCa.issue('127.0.0.1', {
      usage: 'server',
      subjectAltNames: ['IP:127.0.0.1'],
    });
    const server = new KubernetesTestServer({
      tls: {
        key: serving.key,
        cert: serving.cert,
        ca: serverCa.cert,
        clientCa: clientCa.cert,
      },
    });
    await server.start();
    try {
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
      });
      const read = (client: { cert: string; key: string }) => {
        const kc = new KubeConfig();
        const b64 = (pem: string) => Buffer.from(pem).toString('base64');
        kc.loadFromOptions({
          clusters: [
            { name: 'c', server: server.url, caData: b64(serverCa.cert) },
          ],
          users: [
            { name: 'u', certData: b64(client.cert), keyData: b64(client.key) },
          ],
          contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
          currentContext: 'c',
        });
        return kc
          .makeApiClient(AppsV1Api)
          .readNamespacedDeployment({ name: 'web', namespace: 'shop' });
      };
      const admin = clientCa.issue('ann', {
        usage: 'client',
        organization: 'system:masters',
      });
      await expect(read(admin)).resolves.toMatchObject({
        metadata: { name: 'web' },
      });
      // Authenticated, but RBAC grants user bob nothing.
      await expect(
        read(clientCa.issue('bob', { usage: 'client' })),
      ).rejects.toMatchObject({ code: 403 });
      await expect(
        read(pki.ca('other-ca').issue('ann', { usage: 'client' })),
      ).rejects.toMatchObject({ code: 401 });
      expect([...server.clientCertificates().values()]).toEqual([1, 1]);
    } finally {
      await server.stop();
      pki.remove();
    }
  });
});

// kubectl sends the bearer token only over TLS; skipped where kubectl is missing.
(hasKubectl ? describe : describe.skip)('kubectl against the server', () => {
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
