import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasKubectl, rows, withKubectl } from './__testUtils__/withKubectl';

/** A manifest file as kubectl reads it: a stream of JSON objects. */
async function manifest(dir: string, name: string, ...objects: object[]) {
  const file = join(dir, `${name}.json`);
  await writeFile(file, objects.map(o => JSON.stringify(o)).join('\n'));
  return file;
}

function deployment(name: string, image: string, extra: object = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name, tier: 'front' } },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image }] },
      },
      ...extra,
    },
  };
}

const route = (stable: number, canary: number) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'web' },
  spec: {
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
});

const ingress = (namespace: string, name: string, spec: object) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: {
    name,
    namespace,
    annotations: {
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '20',
    },
  },
  spec,
});

// Each test runs kubectl a dozen times, a process start each: on a busy machine that takes
// seconds, not the default five.
jest.setTimeout(60_000);

// The real kubectl over TLS; skipped where kubectl is missing, except in CI (it installs it).
if (!hasKubectl && process.env.CI) {
  throw new Error(
    'kubectl is not on PATH; CI installs it (scripts/dev.sh test)',
  );
}

(hasKubectl ? describe : describe.skip)('kubectl with the server', () => {
  it('gets Ingresses in all namespaces and HTTPRoutes with their columns', async () => {
    await withKubectl(async ({ kubectl, dir }) => {
      await kubectl(
        'create',
        '--validate=false',
        '-f',
        await manifest(
          dir,
          'shop',
          ingress('shop', 'web', {
            ingressClassName: 'nginx',
            rules: [{ host: 'shop.example.com' }],
            tls: [{ hosts: ['shop.example.com'] }],
          }),
        ),
      );
      await kubectl(
        'create',
        '--validate=false',
        '-f',
        await manifest(
          dir,
          'pay',
          ingress('payments', 'api', { rules: [{}, { host: 'pay.example' }] }),
        ),
      );
      expect(rows(await kubectl('get', 'ingress', '-A'))).toEqual([
        ['NAMESPACE', 'NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE'],
        // No load balancer address yet: an empty ADDRESS cell.
        ['payments', 'api', '<none>', 'pay.example', '80', expect.any(String)],
        [
          'shop',
          'web',
          'nginx',
          'shop.example.com',
          '80,',
          '443',
          expect.any(String),
        ],
      ]);
      const weight = await kubectl(
        'get',
        'ing',
        'web',
        '-o',
        'jsonpath={.metadata.annotations.nginx\\.ingress\\.kubernetes\\.io/canary-weight}',
      );
      expect(weight).toBe('20');

      await kubectl(
        'create',
        '--validate=false',
        '-f',
        await manifest(dir, 'route', route(80, 20)),
      );
      expect(rows(await kubectl('get', 'httproutes'))).toEqual([
        ['NAME', 'HOSTNAMES', 'AGE'],
        ['web', '["shop.example.com"]', expect.any(String)],
      ]);
      const weights = await kubectl(
        'get',
        'httproute',
        'web',
        '-o',
        'jsonpath={.spec.rules[0].backendRefs[*].weight}',
      );
      expect(weights).toBe('80 20');
    });
  });

  it('applies a Deployment, then a changed image (client-side apply)', async () => {
    await withKubectl(async ({ kubectl, dir }) => {
      const apply = async (image: string) =>
        (
          await kubectl(
            'apply',
            '-f',
            await manifest(
              dir,
              'web',
              deployment('web', image, { replicas: 2 }),
            ),
          )
        ).trim();
      const image = () =>
        kubectl(
          'get',
          'deploy/web',
          '-o',
          'jsonpath={.spec.template.spec.containers[0].image} {.metadata.generation}',
        );
      expect(await apply('nginx:1.25')).toBe('deployment.apps/web created');
      expect(await image()).toBe('nginx:1.25 1');
      expect(await apply('nginx:1.26')).toBe('deployment.apps/web configured');
      expect(await image()).toBe('nginx:1.26 2');
      expect(await apply('nginx:1.26')).toBe('deployment.apps/web unchanged');
      await kubectl(
        'wait',
        '--for=jsonpath={.status.updatedReplicas}=2',
        'deploy/web',
        '--timeout=10s',
      );
    });
  });

  it('applies canary weights to an Ingress and an HTTPRoute', async () => {
    await withKubectl(async ({ kubectl, dir }) => {
      const apply = async (weight: number) =>
        kubectl(
          'apply',
          '-f',
          await manifest(
            dir,
            'traffic',
            {
              ...ingress('shop', 'web-canary', {
                rules: [{ host: 'shop.example.com' }],
              }),
              metadata: {
                name: 'web-canary',
                annotations: {
                  'nginx.ingress.kubernetes.io/canary': 'true',
                  'nginx.ingress.kubernetes.io/canary-weight': String(weight),
                },
              },
            },
            route(100 - weight, weight),
          ),
        );
      expect(await apply(10)).toBe(
        'ingress.networking.k8s.io/web-canary created\nhttproute.gateway.networking.k8s.io/web created\n',
      );
      expect(await apply(40)).toBe(
        'ingress.networking.k8s.io/web-canary configured\nhttproute.gateway.networking.k8s.io/web configured\n',
      );
      expect(
        await kubectl(
          'get',
          'ingress/web-canary',
          '-o',
          'jsonpath={.metadata.annotations.nginx\\.ingress\\.kubernetes\\.io/canary-weight}',
        ),
      ).toBe('40');
      expect(
        await kubectl(
          'get',
          'httproute/web',
          '-o',
          'jsonpath={.spec.rules[0].backendRefs[*].weight}',
        ),
      ).toBe('60 40');
    });
  });

  it('applies server-side: creates, updates, and drops only the fields it no longer applies', async () => {
    await withKubectl(async ({ kubectl, dir }) => {
      const apply = async (object: object) =>
        (
          await kubectl(
            'apply',
            '--server-side',
            '-f',
            await manifest(dir, 'api', object),
          )
        ).trim();
      expect(await apply(deployment('api', 'api:1'))).toBe(
        'deployment.apps/api serverside-applied',
      );
      // Another writer owns replicas.
      await kubectl('scale', 'deploy/api', '--replicas=3');
      const next = deployment('api', 'api:2');
      delete (next.metadata.labels as Record<string, string>).tier;
      expect(await apply(next)).toBe('deployment.apps/api serverside-applied');
      const applied = JSON.parse(
        await kubectl(
          'get',
          'deploy/api',
          '-o',
          'json',
          '--show-managed-fields',
        ),
      );
      expect(applied.metadata.labels).toEqual({ app: 'api' });
      expect(applied.spec.replicas).toBe(3);
      expect(applied.spec.template.spec.containers).toEqual([
        { name: 'app', image: 'api:2' },
      ]);
      expect(applied.metadata.managedFields).toEqual([
        expect.objectContaining({ manager: 'kubectl', operation: 'Apply' }),
      ]);
    });
  });

  it('lists the rollout history and undoes to the previous template', async () => {
    await withKubectl(async ({ kubectl, dir }) => {
      const release = async (image: string) => {
        const web = deployment('web', image, { replicas: 2 });
        (web.metadata as any).annotations = {
          'kubernetes.io/change-cause': `release ${image}`,
        };
        await kubectl('apply', '-f', await manifest(dir, 'web', web));
        await kubectl('rollout', 'status', 'deploy/web', '--timeout=10s');
      };
      const image = () =>
        kubectl(
          'get',
          'deploy/web',
          '-o',
          'jsonpath={.spec.template.spec.containers[0].image}',
        );
      await release('web:1');
      await release('web:2');
      expect(rows(await kubectl('rollout', 'history', 'deploy/web'))).toEqual([
        ['deployment.apps/web'],
        ['REVISION', 'CHANGE-CAUSE'],
        ['1', 'release', 'web:1'],
        ['2', 'release', 'web:2'],
      ]);

      expect(await kubectl('rollout', 'undo', 'deploy/web')).toBe(
        'deployment.apps/web rolled back\n',
      );
      await kubectl('rollout', 'status', 'deploy/web', '--timeout=10s');
      expect(await image()).toBe('web:1');
      expect(rows(await kubectl('rollout', 'history', 'deploy/web'))).toEqual([
        ['deployment.apps/web'],
        ['REVISION', 'CHANGE-CAUSE'],
        ['2', 'release', 'web:2'],
        ['3', 'release', 'web:1'],
      ]);
      expect(
        await kubectl('rollout', 'history', 'deploy/web', '--revision=3'),
      ).toMatch(/Image:\s+web:1/);
      // The rolled back to ReplicaSet runs the pods again: no third one.
      const replicaSets = rows(await kubectl('get', 'rs'));
      expect(replicaSets[0]).toEqual([
        'NAME',
        'DESIRED',
        'CURRENT',
        'READY',
        'AGE',
      ]);
      expect(
        replicaSets
          .slice(1)
          .map(cells => cells.slice(1, 4))
          .sort(),
      ).toEqual([
        ['0', '0', '0'],
        ['2', '2', '2'],
      ]);

      // And back again to revision 2 by number.
      await kubectl('rollout', 'undo', 'deploy/web', '--to-revision=2');
      await kubectl('rollout', 'status', 'deploy/web', '--timeout=10s');
      expect(await image()).toBe('web:2');
    });
  });
});
