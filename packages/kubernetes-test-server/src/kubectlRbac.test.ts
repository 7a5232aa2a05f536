import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hasKubectl, rows, withKubectl } from './__testUtils__/withKubectl';

// Each test runs kubectl a few times, a process start each.
jest.setTimeout(60_000);

if (!hasKubectl && process.env.CI) {
  throw new Error(
    'kubectl is not on PATH; CI installs it (scripts/dev.sh test)',
  );
}

/** What an operator applies for a ServiceAccount that may read Deployments (YAML, as kubectl reads it). */
const READER = `
apiVersion: v1
kind: Namespace
metadata:
  name: sentinel-system
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sentinel
  namespace: sentinel-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: deployment-reader
rules:
  - apiGroups: [apps]
    resources: [deployments]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: sentinel-deployment-reader
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: deployment-reader
subjects:
  - kind: ServiceAccount
    name: sentinel
    namespace: sentinel-system
`;

/** kubectl's exit code, stdout and stderr, for commands that may fail. */
async function run(kubeconfig: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)('kubectl', [
      '--kubeconfig',
      kubeconfig,
      ...args,
    ]);
    return { code: 0, stdout, stderr };
  } catch (error: any) {
    return { code: error.code, stdout: error.stdout, stderr: error.stderr };
  }
}

(hasKubectl ? describe : describe.skip)('kubectl as a ServiceAccount', () => {
  it('applies RBAC objects, and then is allowed and refused what the role says', async () => {
    await withKubectl(async ({ server, kubectl, dir, addReadyWeb }) => {
      const manifest = join(dir, 'reader.yaml');
      await writeFile(manifest, READER);
      const applied = await kubectl('apply', '-f', manifest);
      expect(applied.trim().split('\n')).toEqual([
        'namespace/sentinel-system created',
        'serviceaccount/sentinel created',
        'clusterrole.rbac.authorization.k8s.io/deployment-reader created',
        'clusterrolebinding.rbac.authorization.k8s.io/sentinel-deployment-reader created',
      ]);
      expect(
        rows(await kubectl('get', 'clusterrolebindings', '-o', 'name')),
      ).toEqual(
        expect.arrayContaining([
          [
            'clusterrolebinding.rbac.authorization.k8s.io/sentinel-deployment-reader',
          ],
          ['clusterrolebinding.rbac.authorization.k8s.io/system:discovery'],
        ]),
      );
      await addReadyWeb();

      const kubeconfig = join(dir, 'sentinel-kubeconfig');
      await writeFile(
        kubeconfig,
        server.kubeconfig({
          namespace: 'shop',
          token: server.serviceAccountToken('sentinel-system', 'sentinel'),
        }),
      );
      const canI = (...args: string[]) =>
        run(kubeconfig, 'auth', 'can-i', ...args);
      expect(await canI('list', 'deployments', '--all-namespaces')).toEqual({
        code: 0,
        stdout: 'yes\n',
        stderr: '',
      });
      expect(await canI('create', 'deployments')).toMatchObject({
        code: 1,
        stdout: 'no\n',
      });
      expect(await canI('get', 'deployments.apps/web')).toMatchObject({
        code: 0,
      });

      const get = await run(kubeconfig, 'get', 'deployments');
      expect(get.code).toBe(0);
      expect(rows(get.stdout)[1].slice(0, 2)).toEqual(['web', '2/2']);

      expect(
        (await run(kubeconfig, 'get', 'deploy', 'web', '-o', 'name')).stdout,
      ).toBe('deployment.apps/web\n');

      const create = await run(
        kubeconfig,
        'create',
        'deploy',
        'cart',
        '--image=shop/cart:1',
      );
      expect(create.code).toBe(1);
      expect(create.stderr.trim()).toBe(
        'error: failed to create deployment: deployments.apps is forbidden: User "system:serviceaccount:sentinel-system:sentinel" cannot create resource "deployments" in API group "apps" in the namespace "shop"',
      );
      const pods = await run(kubeconfig, 'get', 'pods');
      expect(pods.stderr.trim()).toBe(
        'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:sentinel-system:sentinel" cannot list resource "pods" in API group "" in the namespace "shop"',
      );
      // Questions (auth can-i) are no uses; nothing watched.
      expect(
        server.unusedPermissions({
          kind: 'ClusterRole',
          name: 'deployment-reader',
        }),
      ).toEqual([
        { rule: 0, verb: 'watch', apiGroup: 'apps', resource: 'deployments' },
      ]);
    });
  });
});
