import {
  describePermission,
  type JsonObject,
  KubernetesTestServer,
  type RbacPermission,
} from '@internal/kubernetes-test-server';
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { execFileSync, spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import {
  CALL_PATHS,
  type CallPathContext,
  cart,
  runEveryCallPath,
  seedTargetCluster,
} from '../__testUtils__/everyCallPath';
import {
  clusterRoles,
  loadTargetCluster,
  SENTINEL_USER,
  TARGET_CLUSTER,
  targetClusterManifests,
  withoutPermission,
} from '../__testUtils__/targetCluster';
import { KubernetesClusterDriver } from './KubernetesClusterDriver';

jest.setTimeout(180_000);

const SHIPPED = targetClusterManifests();

/** A fresh test server with the call paths' objects and `manifests` loaded, for `body`. */
async function onTargetCluster(
  manifests: JsonObject[],
  body: (context: CallPathContext) => Promise<void>,
) {
  // No controller: its status writes would race the driver's resourceVersion preconditions.
  const server = new KubernetesTestServer();
  await server.start();
  try {
    seedTargetCluster(server);
    const token = loadTargetCluster(server, manifests);
    const admin = new KubeConfig();
    admin.loadFromString(server.kubeconfig({ name: 'k8s' }));
    const as = new KubeConfig();
    as.loadFromString(server.kubeconfig({ name: 'k8s', token }));
    await body({ server, admin, as });
  } finally {
    await server.stop();
  }
}

/** The messages of the 403s the server answered. */
const denials = (server: KubernetesTestServer) =>
  server
    .authorizations()
    .filter(r => !r.allowed)
    .map(r => r.message);

/** Every permission of every shipped ClusterRole: what a role grants before any request. */
function everyPermission(): Array<[string, string, RbacPermission]> {
  const server = new KubernetesTestServer();
  loadTargetCluster(server, SHIPPED);
  return clusterRoles(SHIPPED).flatMap(role =>
    server
      .unusedPermissions({ kind: 'ClusterRole', name: role })
      .map((permission): [string, string, RbacPermission] => [
        `${role}: ${describePermission(permission)}`,
        role,
        permission,
      ]),
  );
}

const hasKubectl =
  spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status ===
  0;

describe("the shipped target-cluster role (deploy/k8s/target-cluster) against Sentinel's Kubernetes calls", () => {
  (hasKubectl ? describe : describe.skip)('manifests', () => {
    it('loads what kubectl kustomize renders', () => {
      const rendered = parseAllDocuments(
        execFileSync('kubectl', ['kustomize', TARGET_CLUSTER], {
          encoding: 'utf8',
        }),
      ).map(document => document.toJSON());
      const key = (o: JsonObject) =>
        `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      const sorted = (objects: JsonObject[]) =>
        [...objects].sort((a, b) => key(a).localeCompare(key(b)));
      expect(sorted(SHIPPED)).toEqual(sorted(rendered));
    });
  });

  it.each(CALL_PATHS)(
    "lets Sentinel's ServiceAccount run %s",
    async (_name, path) => {
      await onTargetCluster(SHIPPED, async context => {
        await path(context);
        expect(denials(context.server)).toEqual([]);
      });
    },
  );

  it('grants nothing that no call path uses (least privilege)', async () => {
    await onTargetCluster(SHIPPED, async context => {
      await runEveryCallPath(context);
      const unused = (role: string) =>
        context.server
          .unusedPermissions({ kind: 'ClusterRole', name: role })
          .map(describePermission);
      expect(
        Object.fromEntries(clusterRoles(SHIPPED).map(r => [r, unused(r)])),
      ).toEqual(Object.fromEntries(clusterRoles(SHIPPED).map(r => [r, []])));
      expect(denials(context.server)).toEqual([]);
    });
  });

  it.each(everyPermission())(
    'fails with the 403 Kubernetes answers when the role lacks %s',
    async (_name, role, permission) => {
      await onTargetCluster(
        withoutPermission(SHIPPED, role, permission),
        async context => {
          await expect(runEveryCallPath(context)).rejects.toThrow();
          expect(denials(context.server)).toContainEqual(
            expect.stringContaining(
              `User "${SENTINEL_USER}" cannot ${permission.verb} resource "${permission.resource}" in API group "${permission.apiGroup}"`,
            ),
          );
        },
      );
    },
  );

  it("gives a canary's caller the API server's own words when a rule is missing", async () => {
    const withoutCreate = withoutPermission(SHIPPED, 'sentinel-rollouts', {
      rule: 0,
      verb: 'create',
      apiGroup: 'apps',
      resource: 'deployments',
    });
    await onTargetCluster(withoutCreate, async ({ as }) => {
      const driver = new KubernetesClusterDriver('k8s', as);
      const error = await driver.candidates
        .ensureCandidate(cart, {
          name: 'cart-canary',
          rolloutId: 'r-1',
          containers: { app: { image: 'cart:2.0.0' } },
          replicas: 1,
        })
        .catch(e => e);
      expect(error).toBeInstanceOf(ApiException);
      expect(error.code).toBe(403);
      expect(JSON.parse(error.body).message).toBe(
        `deployments.apps is forbidden: User "${SENTINEL_USER}" cannot create resource "deployments" in API group "apps" in the namespace "shop"`,
      );
    });
  });

  it('confines canaries and blue/green to the namespaces where a RoleBinding grants sentinel-rollouts', async () => {
    // What an operator does to allow progressive rollouts in shop only.
    const shopOnly = [
      ...SHIPPED.filter(
        o =>
          !(
            o.kind === 'ClusterRoleBinding' &&
            o.roleRef.name === 'sentinel-rollouts'
          ),
      ),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'sentinel-rollouts', namespace: 'shop' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'sentinel-rollouts',
        },
        subjects: [
          {
            kind: 'ServiceAccount',
            name: 'sentinel',
            namespace: 'sentinel-system',
          },
        ],
      },
    ];
    await onTargetCluster(shopOnly, async context => {
      await runEveryCallPath(context);
      context.server.addDeployment({
        metadata: { name: 'api', namespace: 'payments' },
        spec: {
          selector: { matchLabels: { app: 'api' } },
          template: {
            metadata: { labels: { app: 'api' } },
            spec: { containers: [{ name: 'app', image: 'api:1' }] },
          },
        },
      });
      const driver = new KubernetesClusterDriver('k8s', context.as);
      await expect(
        driver.candidates.ensureCandidate(
          { ...cart, namespace: 'payments', name: 'api' },
          {
            name: 'api-canary',
            rolloutId: 'r-2',
            containers: { app: { image: 'api:2' } },
            replicas: 1,
          },
        ),
      ).rejects.toMatchObject({ code: 403 });
      expect(denials(context.server)).toEqual([
        `deployments.apps is forbidden: User "${SENTINEL_USER}" cannot create resource "deployments" in API group "apps" in the namespace "payments"`,
      ]);
    });
  });
});
