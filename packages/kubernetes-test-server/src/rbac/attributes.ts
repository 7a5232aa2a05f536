import { statusBody } from '../status';
import type { JsonObject } from '../patch';

/**
 * What the authorizer decides on, derived from a request exactly as the kube-apiserver's
 * RequestInfoFactory derives it (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go).
 */
export type RequestAttributes =
  | {
      /** `/api/...` or `/apis/...` with a group version and a resource. */
      resourceRequest: true;
      /** get, list, watch, create, update, patch, delete or deletecollection. */
      verb: string;
      /** '' for the core group. */
      apiGroup: string;
      apiVersion: string;
      /** The plural resource, e.g. `deployments`. */
      resource: string;
      /** e.g. `scale` for `deployments/scale`; '' when none. */
      subresource: string;
      /** '' for cluster-scoped requests and requests across all namespaces. */
      namespace: string;
      /** '' for collections (except a list or watch of one name by field selector). */
      name: string;
      path: string;
    }
  | {
      /** Anything else: discovery, /version, /openapi, /healthz. */
      resourceRequest: false;
      /** The lower-case HTTP method: get, post, put, ... */
      verb: string;
      path: string;
    };

const VERBS_BY_METHOD: Record<string, string> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** Subresources of a Namespace; any other part after `/namespaces/{name}/` is a resource. */
const NAMESPACE_SUBRESOURCES = ['status', 'finalize'];

/** Go's strconv.ParseBool, as the API server reads `watch=`. */
function parseBool(value: string | null): boolean {
  return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value ?? '');
}

/** The name a field selector requires exactly (`metadata.name=web`), as RBAC sees lists. */
function exactName(fieldSelector: string | null): string {
  for (const term of (fieldSelector ?? '').split(',')) {
    const match = /^\s*metadata\.name\s*(==|=)\s*([^,\s]+)\s*$/.exec(term);
    if (match) return match[2];
  }
  return '';
}

/**
 * The request attributes of an HTTP request, as the kube-apiserver derives them: the verb
 * from the method, whether it names an object (GET of a collection is `list`, or `watch`
 * with `watch=true`; DELETE of a collection is `deletecollection`), the API group, the
 * resource and subresource, the namespace and the name. Paths with fewer parts than
 * `/api/v1/{resource}` or `/apis/{group}/{version}/{resource}` are non-resource requests.
 * Pure.
 */
export function requestAttributes(method: string, url: URL): RequestAttributes {
  const path = url.pathname;
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const nonResource: RequestAttributes = {
    resourceRequest: false,
    verb: method.toLowerCase(),
    path,
  };
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) {
    return nonResource;
  }
  let rest = parts.slice(1);
  let apiGroup = '';
  if (parts[0] === 'apis') {
    if (rest.length < 3) return nonResource;
    apiGroup = rest[0];
    rest = rest.slice(1);
  }
  const apiVersion = rest[0];
  rest = rest.slice(1);
  let verb = VERBS_BY_METHOD[method] ?? '';
  // The deprecated `/api/v1/watch/...` form.
  if (rest[0] === 'watch' && rest.length >= 2) {
    verb = 'watch';
    rest = rest.slice(1);
  }
  let namespace = '';
  if (rest[0] === 'namespaces') {
    if (rest.length > 1) {
      namespace = rest[1];
      if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.includes(rest[2])) {
        rest = rest.slice(2);
      }
    }
  }
  const [resource = '', objectName = '', subresource = ''] = rest;
  let name = objectName;
  if (!name && verb === 'get') {
    verb = parseBool(url.searchParams.get('watch')) ? 'watch' : 'list';
    name = exactName(url.searchParams.get('fieldSelector'));
  }
  if (!name && verb === 'delete') {
    verb = 'deletecollection';
  }
  return {
    resourceRequest: true,
    verb,
    apiGroup,
    apiVersion,
    resource,
    subresource,
    namespace,
    name,
    path,
  };
}

/** `deployments/scale`, or `deployments` when there is no subresource. */
export function combinedResource(
  attributes: Extract<RequestAttributes, { resourceRequest: true }>,
): string {
  return attributes.subresource
    ? `${attributes.resource}/${attributes.subresource}`
    : attributes.resource;
}

/**
 * The 403 the kube-apiserver answers when no authorizer allowed a request, with its message
 * word for word (`responsewriters.forbiddenMessage` and `errors.NewForbidden`):
 * `deployments.apps "cart" is forbidden: User "system:serviceaccount:sentinel-system:sentinel"
 * cannot patch resource "deployments/scale" in API group "apps" in the namespace "shop"`,
 * followed by `: <reason>` when the authorizer gave one (RBAC names roles it could not find).
 */
export function forbiddenStatus(
  username: string,
  attributes: RequestAttributes,
  reason: string,
): JsonObject {
  let message: string;
  if (!attributes.resourceRequest) {
    message = `forbidden: User "${username}" cannot ${attributes.verb} path "${attributes.path}"`;
  } else {
    const scope = attributes.namespace
      ? `in the namespace "${attributes.namespace}"`
      : 'at the cluster scope';
    const qualified = attributes.apiGroup
      ? `${attributes.resource}.${attributes.apiGroup}`
      : attributes.resource;
    const subject = attributes.name
      ? `${qualified} "${attributes.name}"`
      : qualified;
    message = `${subject} is forbidden: User "${username}" cannot ${
      attributes.verb
    } resource "${combinedResource(attributes)}" in API group "${
      attributes.apiGroup
    }" ${scope}`;
  }
  if (reason) message = `${message}: ${reason}`;
  return statusBody(
    403,
    'Forbidden',
    message,
    attributes.resourceRequest
      ? {
          ...(attributes.name && { name: attributes.name }),
          ...(attributes.apiGroup && { group: attributes.apiGroup }),
          kind: attributes.resource,
        }
      : {},
  );
}
