import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasKubectl, rows, withKubectl } from './__testUtils__/withKubectl';

/** Manifests as kubectl reads them: JSON is YAML, one object per file. */
async function manifest(dir: string, name: string, object: object) {
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(object));
  return file;
}

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

// The real kubectl over TLS; skipped where kubectl is missing.
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
        await manifest(dir, 'route', {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name: 'web' },
          spec: {
            hostnames: ['shop.example.com'],
            rules: [
              {
                backendRefs: [
                  { name: 'web-stable', port: 80, weight: 80 },
                  { name: 'web-canary', port: 80, weight: 20 },
                ],
              },
            ],
          },
        }),
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
});
