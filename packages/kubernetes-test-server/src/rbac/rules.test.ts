import { combinedResource, requestAttributes } from './attributes';
import { describePermission, type PolicyRule, ruleAllows } from './rules';

/** `GET /path` as the authorizer sees it. */
const attributes = (request: string) => {
  const [method, path] = request.split(' ');
  return requestAttributes(method, new URL(path, 'http://localhost'));
};

/** Attributes in a line: `patch apps/deployments/scale "cart" in shop`. */
function summary(request: string): string {
  const a = attributes(request);
  if (!a.resourceRequest) return `${a.verb} path ${a.path}`;
  const group = a.apiGroup ? `${a.apiGroup}/` : '';
  const name = a.name ? ` "${a.name}"` : '';
  const namespace = a.namespace ? ` in ${a.namespace}` : '';
  return `${a.verb} ${group}${combinedResource(a)}${name}${namespace}`;
}

const SHOP = '/apis/apps/v1/namespaces/shop';

describe('request attributes, as the kube-apiserver derives them', () => {
  it.each([
    [`GET ${SHOP}/deployments`, 'list apps/deployments in shop'],
    ['GET /apis/apps/v1/deployments', 'list apps/deployments'],
    [`GET ${SHOP}/deployments?watch=true`, 'watch apps/deployments in shop'],
    ['GET /apis/apps/v1/deployments?watch=1', 'watch apps/deployments'],
    [`GET ${SHOP}/deployments?watch=false`, 'list apps/deployments in shop'],
    ['GET /api/v1/watch/namespaces/shop/pods', 'watch pods in shop'],
    [`GET ${SHOP}/deployments/cart`, 'get apps/deployments "cart" in shop'],
    [`HEAD ${SHOP}/deployments/cart`, 'get apps/deployments "cart" in shop'],
    [`POST ${SHOP}/deployments`, 'create apps/deployments in shop'],
    [`PUT ${SHOP}/deployments/cart`, 'update apps/deployments "cart" in shop'],
    [`PATCH ${SHOP}/deployments/cart`, 'patch apps/deployments "cart" in shop'],
    [
      `DELETE ${SHOP}/deployments/cart`,
      'delete apps/deployments "cart" in shop',
    ],
    [`DELETE ${SHOP}/deployments`, 'deletecollection apps/deployments in shop'],
    [
      `PATCH ${SHOP}/deployments/cart/scale`,
      'patch apps/deployments/scale "cart" in shop',
    ],
    [
      `GET ${SHOP}/statefulsets/db/status`,
      'get apps/statefulsets/status "db" in shop',
    ],
    // A list of one name by field selector is authorized for that name (resourceNames).
    [
      'GET /api/v1/namespaces/shop/pods?fieldSelector=metadata.name%3Dweb-1',
      'list pods "web-1" in shop',
    ],
    [
      'GET /api/v1/namespaces/shop/pods?fieldSelector=status.phase%3DRunning',
      'list pods in shop',
    ],
    ['GET /api/v1/namespaces', 'list namespaces'],
    // A Namespace is in its own namespace, as far as RBAC is concerned.
    ['GET /api/v1/namespaces/shop', 'get namespaces "shop" in shop'],
    [
      'GET /apis/rbac.authorization.k8s.io/v1/clusterroles/view',
      'get rbac.authorization.k8s.io/clusterroles "view"',
    ],
    [
      'POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      'create authorization.k8s.io/selfsubjectaccessreviews',
    ],
    // Discovery, /version and /openapi are non-resource requests.
    ['GET /version', 'get path /version'],
    ['GET /api', 'get path /api'],
    ['GET /api/v1', 'get path /api/v1'],
    ['GET /apis/apps', 'get path /apis/apps'],
    ['GET /apis/apps/v1', 'get path /apis/apps/v1'],
    ['GET /openapi/v3/apis/apps/v1', 'get path /openapi/v3/apis/apps/v1'],
    ['POST /healthz', 'post path /healthz'],
  ])('%s is %s', (request, expected) => {
    expect(summary(request)).toBe(expected);
  });
});

describe('RBAC rules', () => {
  const rule = (
    resources: string[],
    verbs: string[],
    more: Partial<PolicyRule> = {},
  ): PolicyRule => ({ apiGroups: ['apps'], resources, verbs, ...more });
  const allows = (r: PolicyRule, request: string) => {
    const permission = ruleAllows(r, 0, attributes(request));
    return permission ? describePermission(permission) : 'denied';
  };
  const CART = `${SHOP}/deployments/cart`;

  it.each<[string, PolicyRule, string, string]>([
    [
      'a verb it lists',
      rule(['deployments'], ['get', 'patch']),
      `PATCH ${CART}`,
      'patch apps/deployments',
    ],
    [
      'no verb it does not list',
      rule(['deployments'], ['get', 'patch']),
      `PUT ${CART}`,
      'denied',
    ],
    [
      'every verb with *',
      rule(['deployments'], ['*']),
      `DELETE ${SHOP}/deployments`,
      '* apps/deployments',
    ],
    [
      'a watch only with watch',
      rule(['deployments'], ['list']),
      `GET ${SHOP}/deployments?watch=true`,
      'denied',
    ],
    [
      'no other API group',
      rule(['deployments'], ['get'], { apiGroups: [''] }),
      `GET ${CART}`,
      'denied',
    ],
    [
      'any API group with *',
      rule(['deployments'], ['get'], { apiGroups: ['*'] }),
      `GET ${CART}`,
      'get */deployments',
    ],
    [
      'no subresource of a resource',
      rule(['deployments'], ['patch']),
      `PATCH ${CART}/scale`,
      'denied',
    ],
    [
      'a subresource it lists',
      rule(['deployments/scale'], ['patch']),
      `PATCH ${CART}/scale`,
      'patch apps/deployments/scale',
    ],
    [
      'not the resource of a subresource',
      rule(['deployments/scale'], ['patch']),
      `PATCH ${CART}`,
      'denied',
    ],
    [
      '*/scale on any resource',
      rule(['*/scale'], ['patch']),
      `PATCH ${SHOP}/statefulsets/db/scale`,
      'patch apps/*/scale',
    ],
    [
      '* on subresources too',
      rule(['*'], ['get']),
      `GET ${CART}/status`,
      'get apps/*',
    ],
    [
      'a name it lists',
      rule(['deployments'], ['get'], { resourceNames: ['web', 'cart'] }),
      `GET ${CART}`,
      'get apps/deployments "cart"',
    ],
    [
      'no name it does not list',
      rule(['deployments'], ['get'], { resourceNames: ['web'] }),
      `GET ${CART}`,
      'denied',
    ],
    [
      'no create by name (it names none)',
      rule(['deployments'], ['create'], { resourceNames: ['cart'] }),
      `POST ${SHOP}/deployments`,
      'denied',
    ],
    [
      'no list by name without a selector',
      rule(['deployments'], ['list'], { resourceNames: ['cart'] }),
      `GET ${SHOP}/deployments`,
      'denied',
    ],
    [
      'a list of the name by selector',
      rule(['deployments'], ['list'], { resourceNames: ['cart'] }),
      `GET ${SHOP}/deployments?fieldSelector=metadata.name=cart`,
      'list apps/deployments "cart"',
    ],
    [
      'a non-resource URL it lists',
      { nonResourceURLs: ['/version'], verbs: ['get'] },
      'GET /version',
      'get /version',
    ],
    [
      'a non-resource URL by prefix',
      { nonResourceURLs: ['/apis/*'], verbs: ['get'] },
      'GET /apis/apps/v1',
      'get /apis/*',
    ],
    [
      'no resource by a URL rule',
      { nonResourceURLs: ['*'], verbs: ['*'] },
      `GET ${CART}`,
      'denied',
    ],
    [
      'no URL by a resource rule',
      rule(['*'], ['*'], { apiGroups: ['*'] }),
      'GET /version',
      'denied',
    ],
  ])('allows %s', (_what, r, request, expected) => {
    expect(allows(r, request)).toBe(expected);
  });
});
