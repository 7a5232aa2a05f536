import { ObjectStore } from '../store';
import { forbiddenStatus, requestAttributes } from './attributes';
import { AuthorizationLog } from './AuthorizationLog';
import { BOOTSTRAP_POLICY } from './bootstrap';
import { RbacAuthorizer } from './RbacAuthorizer';
import { describePermission } from './rules';

const attributes = (method: string, path: string) =>
  requestAttributes(method, new URL(path, 'http://localhost'));

describe('RbacAuthorizer', () => {
  const sentinel = {
    username: 'system:serviceaccount:sentinel-system:sentinel',
    groups: [
      'system:serviceaccounts',
      'system:serviceaccounts:sentinel-system',
      'system:authenticated',
    ],
  };
  const admin = { username: 'kubernetes-admin', groups: ['system:masters'] };
  const rbac = (kind: string) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
  });
  const sa = {
    kind: 'ServiceAccount',
    name: 'sentinel',
    namespace: 'sentinel-system',
  };

  function setUp() {
    const store = new ObjectStore(100);
    for (const [resource, object] of BOOTSTRAP_POLICY) {
      store.bootstrap(resource, object);
    }
    store.create('clusterroles', '', {
      ...rbac('ClusterRole'),
      metadata: { name: 'workloads' },
      rules: [
        {
          apiGroups: ['apps'],
          resources: ['deployments'],
          verbs: ['get', 'list', 'watch'],
        },
        {
          apiGroups: ['apps'],
          resources: ['deployments/scale'],
          verbs: ['patch'],
        },
      ],
    });
    store.create('clusterrolebindings', '', {
      ...rbac('ClusterRoleBinding'),
      metadata: { name: 'sentinel-workloads' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'workloads',
      },
      subjects: [sa],
    });
    // Candidates only in shop: a ClusterRole granted in one namespace by a RoleBinding.
    store.create('clusterroles', '', {
      ...rbac('ClusterRole'),
      metadata: { name: 'candidates' },
      rules: [
        {
          apiGroups: ['apps'],
          resources: ['deployments'],
          verbs: ['create', 'delete'],
        },
      ],
    });
    store.create('rolebindings', 'shop', {
      ...rbac('RoleBinding'),
      metadata: { name: 'sentinel-candidates' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'candidates',
      },
      subjects: [sa],
    });
    // A Role of shop, bound to ServiceAccounts of shop named without a namespace.
    store.create('roles', 'shop', {
      ...rbac('Role'),
      metadata: { name: 'services' },
      rules: [
        { apiGroups: [''], resources: ['services'], verbs: ['get', 'patch'] },
      ],
    });
    store.create('rolebindings', 'shop', {
      ...rbac('RoleBinding'),
      metadata: { name: 'services' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'services',
      },
      subjects: [{ kind: 'ServiceAccount', name: 'deployer' }],
    });
    const authorizer = new RbacAuthorizer(store);
    return { store, authorizer, log: new AuthorizationLog(store) };
  }

  const message = (user: typeof sentinel, method: string, path: string) => {
    const { authorizer } = setUp();
    const request = attributes(method, path);
    const decision = authorizer.authorize(user, request);
    return decision.allowed
      ? decision.reason
      : forbiddenStatus(user.username, request, decision.reason).message;
  };

  it.each([
    [
      'GET',
      '/apis/apps/v1/deployments',
      'RBAC: allowed by ClusterRoleBinding "sentinel-workloads" of ClusterRole "workloads" to ServiceAccount "sentinel/sentinel-system"',
    ],
    [
      'GET',
      '/apis/apps/v1/namespaces/payments/deployments?watch=true',
      'RBAC: allowed by ClusterRoleBinding "sentinel-workloads" of ClusterRole "workloads" to ServiceAccount "sentinel/sentinel-system"',
    ],
    [
      'POST',
      '/apis/apps/v1/namespaces/shop/deployments',
      'RBAC: allowed by RoleBinding "sentinel-candidates/shop" of ClusterRole "candidates" to ServiceAccount "sentinel/sentinel-system"',
    ],
    [
      'POST',
      '/apis/apps/v1/namespaces/payments/deployments',
      'deployments.apps is forbidden: User "system:serviceaccount:sentinel-system:sentinel" cannot create resource "deployments" in API group "apps" in the namespace "payments"',
    ],
    [
      'DELETE',
      '/apis/apps/v1/namespaces/payments/deployments/cart-canary',
      'deployments.apps "cart-canary" is forbidden: User "system:serviceaccount:sentinel-system:sentinel" cannot delete resource "deployments" in API group "apps" in the namespace "payments"',
    ],
    [
      'PUT',
      '/apis/apps/v1/namespaces/shop/deployments/cart/scale',
      'deployments.apps "cart" is forbidden: User "system:serviceaccount:sentinel-system:sentinel" cannot update resource "deployments/scale" in API group "apps" in the namespace "shop"',
    ],
    [
      'GET',
      '/api/v1/namespaces/shop/services/cart',
      'services "cart" is forbidden: User "system:serviceaccount:sentinel-system:sentinel" cannot get resource "services" in API group "" in the namespace "shop"',
    ],
    [
      'GET',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      'clusterroles.rbac.authorization.k8s.io is forbidden: User "system:serviceaccount:sentinel-system:sentinel" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope',
    ],
    [
      'GET',
      '/apis/apps/v1',
      'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"',
    ],
    [
      'GET',
      '/openapi/v3',
      'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"',
    ],
    [
      'GET',
      '/metrics/cadvisor',
      'forbidden: User "system:serviceaccount:sentinel-system:sentinel" cannot get path "/metrics/cadvisor"',
    ],
  ])('%s %s as the sentinel ServiceAccount: %s', (method, path, expected) => {
    expect(message(sentinel, method, path)).toBe(expected);
  });

  it('grants a Role to a ServiceAccount of the binding namespace named without one, and only there', () => {
    const deployer = {
      username: 'system:serviceaccount:shop:deployer',
      groups: ['system:serviceaccounts', 'system:authenticated'],
    };
    expect(
      message(deployer, 'PATCH', '/api/v1/namespaces/shop/services/cart'),
    ).toBe(
      'RBAC: allowed by RoleBinding "services/shop" of Role "services" to ServiceAccount "deployer/shop"',
    );
    expect(
      message(deployer, 'GET', '/api/v1/namespaces/payments/services/cart'),
    ).toMatch(/is forbidden/);
    // The same name in another namespace is another ServiceAccount.
    expect(
      message(
        { ...deployer, username: 'system:serviceaccount:payments:deployer' },
        'GET',
        '/api/v1/namespaces/shop/services/cart',
      ),
    ).toMatch(/is forbidden/);
  });

  it('allows system:masters everything without RBAC, and records no rule for it', () => {
    const { authorizer } = setUp();
    expect(
      authorizer.authorize(
        admin,
        attributes(
          'DELETE',
          '/apis/rbac.authorization.k8s.io/v1/clusterroles/workloads',
        ),
      ),
    ).toEqual({ allowed: true, reason: '' });
  });

  it('says which role it could not find when it denies', () => {
    const { store, authorizer } = setUp();
    store.remove('clusterroles', '', 'candidates');
    const request = attributes(
      'POST',
      '/apis/apps/v1/namespaces/shop/deployments',
    );
    const decision = authorizer.authorize(sentinel, request);
    expect(decision).toEqual({
      allowed: false,
      reason:
        'RBAC: clusterrole.rbac.authorization.k8s.io "candidates" not found',
    });
    expect(
      forbiddenStatus(sentinel.username, request, decision.reason),
    ).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'deployments.apps is forbidden: User "system:serviceaccount:sentinel-system:sentinel" cannot create resource "deployments" in API group "apps" in the namespace "shop": RBAC: clusterrole.rbac.authorization.k8s.io "candidates" not found',
      reason: 'Forbidden',
      details: { group: 'apps', kind: 'deployments' },
      code: 403,
    });
  });

  it('lists the permissions of a role no request used, rule by rule', () => {
    const { authorizer, log } = setUp();
    for (const [method, path] of [
      ['GET', '/apis/apps/v1/deployments'],
      ['GET', '/apis/apps/v1/deployments?watch=true'],
      ['GET', '/apis/apps/v1/deployments?watch=true&resourceVersion=7'],
      ['POST', '/apis/apps/v1/namespaces/shop/deployments'],
      ['POST', '/apis/apps/v1/namespaces/payments/deployments'],
    ]) {
      const request = attributes(method, path);
      log.record(
        sentinel,
        request,
        authorizer.authorize(sentinel, request),
        'denied',
      );
    }
    expect(
      log
        .unusedPermissions({ kind: 'ClusterRole', name: 'workloads' })
        .map(describePermission),
    ).toEqual(['get apps/deployments', 'patch apps/deployments/scale']);
    expect(
      log
        .unusedPermissions({ kind: 'ClusterRole', name: 'candidates' })
        .map(describePermission),
    ).toEqual(['delete apps/deployments']);
    expect(log.list()).toEqual([
      expect.objectContaining({
        verb: 'list',
        resource: 'deployments',
        allowed: true,
        count: 1,
      }),
      expect.objectContaining({
        verb: 'watch',
        resource: 'deployments',
        role: { kind: 'ClusterRole', name: 'workloads' },
        binding: { kind: 'ClusterRoleBinding', name: 'sentinel-workloads' },
        permission: {
          rule: 0,
          verb: 'watch',
          apiGroup: 'apps',
          resource: 'deployments',
        },
        count: 2,
      }),
      expect.objectContaining({
        verb: 'create',
        namespace: 'shop',
        binding: {
          kind: 'RoleBinding',
          name: 'sentinel-candidates',
          namespace: 'shop',
        },
      }),
      expect.objectContaining({
        verb: 'create',
        namespace: 'payments',
        allowed: false,
        message: 'denied',
      }),
    ]);
    expect(() =>
      log.unusedPermissions({ kind: 'Role', name: 'nope', namespace: 'shop' }),
    ).toThrow('Role shop/nope does not exist');
  });
});
