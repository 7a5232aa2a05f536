import {
  ApiException,
  ApisApi,
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  Watch,
} from '@kubernetes/client-node';
import { KubernetesTestServer } from './KubernetesTestServer';
import { describePermission } from './rbac/rules';

const SENTINEL = 'system:serviceaccount:sentinel-system:sentinel';

const deployment = (name: string) => ({
  metadata: { name, labels: { app: name } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'app', image: `${name}:1` }] },
    },
  },
});

/** The ApiException of a call that must fail. */
async function failure(call: Promise<unknown>): Promise<ApiException<any>> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiException) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const statusOf = (error: ApiException<any>) =>
  typeof error.body === 'string' ? JSON.parse(error.body) : error.body;

describe('RBAC: ServiceAccount tokens, roles and bindings', () => {
  const server = new KubernetesTestServer();
  const admin = new KubeConfig();
  const sentinel = new KubeConfig();

  beforeAll(async () => {
    await server.start();
    admin.loadFromString(server.kubeconfig({ name: 'admin' }));
    const core = admin.makeApiClient(CoreV1Api);
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespace({
      body: { metadata: { name: 'sentinel-system' } },
    });
    await core.createNamespacedServiceAccount({
      namespace: 'sentinel-system',
      body: { metadata: { name: 'sentinel' } },
    });
    await rbac.createClusterRole({
      body: {
        metadata: { name: 'workloads' },
        rules: [
          {
            apiGroups: ['apps'],
            resources: ['deployments'],
            verbs: ['get', 'list', 'watch'],
          },
          { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get'] },
        ],
      },
    });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: 'sentinel-workloads' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'workloads',
        },
        subjects: [
          {
            kind: 'ServiceAccount',
            name: 'sentinel',
            namespace: 'sentinel-system',
          },
        ],
      },
    });
    sentinel.loadFromString(
      server.kubeconfig({
        name: 'sentinel',
        token: server.serviceAccountToken('sentinel-system', 'sentinel'),
      }),
    );
    server.addDeployment({
      ...deployment('cart'),
      metadata: { ...deployment('cart').metadata, namespace: 'shop' },
    });
  });
  afterAll(() => server.stop());
  beforeEach(() => server.clearAuthorizations());

  it('serves cluster-scoped objects at their own paths, and the bootstrap roles as if always there', async () => {
    const fresh = new KubernetesTestServer();
    expect(fresh.currentResourceVersion).toBe('1');
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    const roles = await rbac.listClusterRole();
    expect(roles.items.map(r => r.metadata?.name)).toEqual(
      expect.arrayContaining([
        'cluster-admin',
        'system:discovery',
        'workloads',
      ]),
    );
    const role = await rbac.readClusterRole({ name: 'workloads' });
    expect(role.metadata?.namespace).toBeUndefined();
    const namespace = await admin
      .makeApiClient(CoreV1Api)
      .readNamespace({ name: 'sentinel-system' });
    expect(namespace.status?.phase).toBe('Active');
    const response = await fetch(
      `${server.url}/apis/rbac.authorization.k8s.io/v1/namespaces/shop/clusterroles`,
      { headers: { Authorization: `Bearer ${server.token}` } },
    );
    expect(response.status).toBe(404);
  });

  it('authenticates a ServiceAccount token and allows what its role grants', async () => {
    const apps = sentinel.makeApiClient(AppsV1Api);
    const list = await apps.listDeploymentForAllNamespaces();
    expect(list.items.map(d => d.metadata?.name)).toEqual(['cart']);
    expect(
      (await apps.readNamespacedDeployment({ name: 'cart', namespace: 'shop' }))
        .metadata?.name,
    ).toBe('cart');
    // Discovery, as every authenticated user may (system:discovery).
    const groups = await sentinel.makeApiClient(ApisApi).getAPIVersions();
    expect(groups.groups.map(g => g.name)).toContain(
      'rbac.authorization.k8s.io',
    );
  });

  it('answers 403 with the Status the kube-apiserver sends for what no role grants', async () => {
    const apps = sentinel.makeApiClient(AppsV1Api);
    const create = await failure(
      apps.createNamespacedDeployment({
        namespace: 'shop',
        body: deployment('cart-canary'),
      }),
    );
    expect(create.code).toBe(403);
    expect(statusOf(create)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `deployments.apps is forbidden: User "${SENTINEL}" cannot create resource "deployments" in API group "apps" in the namespace "shop"`,
      reason: 'Forbidden',
      details: { group: 'apps', kind: 'deployments' },
      code: 403,
    });
    const scale = await failure(
      apps.patchNamespacedDeploymentScale({
        name: 'cart',
        namespace: 'shop',
        body: [{ op: 'replace', path: '/spec/replicas', value: 3 }],
      }),
    );
    expect(statusOf(scale).message).toBe(
      `deployments.apps "cart" is forbidden: User "${SENTINEL}" cannot patch resource "deployments/scale" in API group "apps" in the namespace "shop"`,
    );
    // Authorized before routing: a 403 even for an object that does not exist.
    const missing = await failure(
      sentinel
        .makeApiClient(CoreV1Api)
        .readNamespacedService({ name: 'nope', namespace: 'shop' }),
    );
    expect(missing.code).toBe(403);
    const roles = await failure(
      sentinel.makeApiClient(RbacAuthorizationV1Api).listClusterRole(),
    );
    expect(statusOf(roles).message).toBe(
      `clusterroles.rbac.authorization.k8s.io is forbidden: User "${SENTINEL}" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope`,
    );
    // The administrator is not RBAC's: unchanged, and not recorded.
    expect(
      (
        await admin
          .makeApiClient(AppsV1Api)
          .readNamespacedDeploymentScale({ name: 'cart', namespace: 'shop' })
      ).spec?.replicas,
    ).toBe(1);
    expect(server.authorizations().filter(r => r.user !== SENTINEL)).toEqual(
      [],
    );
  });

  it('authorizes watches as watch, apart from list', async () => {
    const watch = new Watch(sentinel);
    const events: string[] = [];
    const done = new Promise<unknown>(resolve => {
      watch
        .watch(
          '/api/v1/namespaces/shop/pods',
          {},
          () => {},
          error => resolve(error),
        )
        .catch(resolve);
    });
    expect(await done).toMatchObject({ statusCode: 403 });
    const request = await watch.watch(
      '/apis/apps/v1/namespaces/shop/deployments',
      {},
      type => events.push(type),
      () => {},
    );
    for (let i = 0; i < 100 && events.length === 0; i++) {
      await new Promise(r => setTimeout(r, 10));
    }
    request.abort();
    expect(events).toEqual(['ADDED']);
    expect(server.authorizations()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          verb: 'watch',
          resource: 'pods',
          allowed: false,
          message: `pods is forbidden: User "${SENTINEL}" cannot watch resource "pods" in API group "" in the namespace "shop"`,
        }),
        expect.objectContaining({
          verb: 'watch',
          resource: 'deployments',
          allowed: true,
          permission: {
            rule: 0,
            verb: 'watch',
            apiGroup: 'apps',
            resource: 'deployments',
          },
        }),
      ]),
    );
  });

  it('grants a ClusterRole bound by a RoleBinding in that namespace only, from the next request on', async () => {
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    const core = sentinel.makeApiClient(CoreV1Api);
    await rbac.createClusterRole({
      body: {
        metadata: { name: 'services' },
        rules: [{ apiGroups: [''], resources: ['services'], verbs: ['list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: 'shop',
      body: {
        metadata: { name: 'sentinel-services' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'services',
        },
        subjects: [
          {
            kind: 'ServiceAccount',
            name: 'sentinel',
            namespace: 'sentinel-system',
          },
        ],
      },
    });
    expect(
      (await core.listNamespacedService({ namespace: 'shop' })).items,
    ).toEqual([]);
    expect(
      (await failure(core.listNamespacedService({ namespace: 'payments' })))
        .code,
    ).toBe(403);
    expect((await failure(core.listServiceForAllNamespaces())).code).toBe(403);

    await rbac.deleteNamespacedRoleBinding({
      name: 'sentinel-services',
      namespace: 'shop',
    });
    expect(
      (await failure(core.listNamespacedService({ namespace: 'shop' }))).code,
    ).toBe(403);
  });

  it('reports the permissions of a role that no request used', async () => {
    const apps = sentinel.makeApiClient(AppsV1Api);
    await apps.listNamespacedDeployment({ namespace: 'shop' });
    await apps.readNamespacedDeployment({ name: 'cart', namespace: 'shop' });
    expect(
      server
        .unusedPermissions({ kind: 'ClusterRole', name: 'workloads' })
        .map(describePermission),
    ).toEqual(['watch apps/deployments', 'get apps/statefulsets']);
  });

  it('answers SelfSubjectAccessReviews (kubectl auth can-i) without counting them as uses', async () => {
    const review = (resourceAttributes: object) =>
      sentinel.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes } },
      });
    const yes = await review({
      verb: 'get',
      group: 'apps',
      resource: 'statefulsets',
      namespace: 'shop',
    });
    expect(yes.status).toEqual({
      allowed: true,
      reason:
        'RBAC: allowed by ClusterRoleBinding "sentinel-workloads" of ClusterRole "workloads" to ServiceAccount "sentinel/sentinel-system"',
    });
    const no = await review({
      verb: 'delete',
      group: 'apps',
      resource: 'deployments',
      namespace: 'shop',
    });
    expect(no.status).toEqual({ allowed: false });
    expect(
      server
        .unusedPermissions({ kind: 'ClusterRole', name: 'workloads' })
        .map(describePermission),
    ).toContain('get apps/statefulsets');
  });

  it('refuses the token of a ServiceAccount once it is deleted, and mints none for a missing one', async () => {
    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({
      namespace: 'shop',
      body: { metadata: { name: 'temporary' } },
    });
    const token = server.serviceAccountToken('shop', 'temporary');
    const get = () =>
      fetch(`${server.url}/version`, {
        headers: { Authorization: `Bearer ${token}` },
      });
    expect((await get()).status).toBe(200);
    await core.deleteNamespacedServiceAccount({
      name: 'temporary',
      namespace: 'shop',
    });
    expect((await get()).status).toBe(401);
    // Created again, it is another ServiceAccount (another uid): the old token stays refused.
    await core.createNamespacedServiceAccount({
      namespace: 'shop',
      body: { metadata: { name: 'temporary' } },
    });
    expect((await get()).status).toBe(401);
    expect(() => server.serviceAccountToken('shop', 'nope')).toThrow(
      'serviceaccounts "nope" not found',
    );
  });

  it('seeds any served kind from a manifest', () => {
    const stored = server.addObject({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'reader', namespace: 'shop' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    });
    expect(stored.metadata).toMatchObject({
      name: 'reader',
      namespace: 'shop',
    });
    expect(() =>
      server.addObject({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'x' },
      }),
    ).toThrow('KubernetesTestServer does not serve batch/v1 Job');
  });
});
