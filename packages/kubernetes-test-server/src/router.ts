import type { IncomingMessage, ServerResponse } from 'node:http';
import { discovery } from './discovery';
import { openApi } from './openapi';
import { clone, isObject, timestamp } from './objects';
import type { JsonObject } from './patch';
import {
  APPLY_PATCH,
  applyPatch,
  contentType,
  parseJson,
  requireJson,
} from './requests';
import {
  isResourceName,
  RESOURCES,
  type ResourceName,
  type Subresource,
  type Verb,
} from './resources';
import { fieldMatcher, labelMatcher } from './selectors';
import { serverSideApply } from './serverSideApply';
import { badRequest, methodNotAllowed, pathNotFound } from './status';
import type { ObjectStore } from './store';
import { applyScale, applyStatus, toScale } from './subresources';
import { toTable, wantsTable } from './table';
import type { WatchHub } from './watch';

/** An answer to send as JSON; undefined when the route answered itself (a watch). */
export type Answer = { code: number; body: unknown } | undefined;

/** What a request path points at. */
export interface Target {
  resource: ResourceName;
  namespace?: string;
  name?: string;
  subresource?: Subresource;
}

/** One object, by namespace ('' when cluster-scoped) and name. */
type ObjectTarget = { resource: ResourceName; namespace: string; name: string };

/**
 * Parses `/api/v1/...` and `/apis/{group}/{version}/...` paths:
 * `[namespaces/{ns}/]{resource}[/{name}[/{subresource}]]`. NotFound for
 * anything the server does not serve.
 */
export function parseTarget(parts: string[]): Target {
  let apiVersion: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') {
    apiVersion = 'v1';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    apiVersion = `${parts[1]}/${parts[2]}`;
    rest = parts.slice(3);
  } else {
    throw pathNotFound();
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource, ...more] = rest;
  if (
    !isResourceName(resource) ||
    RESOURCES[resource].apiVersion !== apiVersion ||
    (namespace !== undefined && !RESOURCES[resource].namespaced) ||
    more.length > 0 ||
    (subresource !== undefined &&
      !RESOURCES[resource].subresources.includes(subresource as Subresource))
  ) {
    throw pathNotFound();
  }
  return {
    resource,
    namespace,
    name,
    subresource: subresource as Subresource | undefined,
  };
}

/**
 * Translates REST requests into store reads and writes: collections (list,
 * watch, create), objects (get, update, patch, delete) and the scale and
 * status subresources, each allowed as the resource type's verbs say.
 */
export class Router {
  constructor(
    private readonly store: ObjectStore,
    private readonly watches: WatchHub,
  ) {}

  route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    rawBody: string,
  ): Answer {
    const method = req.method ?? 'GET';
    const parts = url.pathname
      .split('/')
      .filter(Boolean)
      .map(decodeURIComponent);
    if (method === 'GET') {
      const path = `/${parts.join('/')}`;
      const answer = discovery(path) ?? openApi(path);
      if (answer) {
        return { code: 200, body: answer };
      }
    }
    const target = parseTarget(parts);
    const type = RESOURCES[target.resource];
    if (!type.stored) {
      // Reviews are answered by the server's authorizer (see KubernetesTestServer), not kept.
      throw methodNotAllowed();
    }
    const body = () => parseJson(rawBody);
    if (target.name === undefined) {
      return this.collection(req, res, url, target, body);
    }
    if (type.namespaced && !target.namespace) {
      throw pathNotFound();
    }
    const object: ObjectTarget = {
      resource: target.resource,
      // Cluster-scoped objects are kept under namespace ''.
      namespace: target.namespace ?? '',
      name: target.name,
    };
    switch (target.subresource) {
      case 'scale':
        return this.scale(req, object, body);
      case 'status':
        return this.status(req, object, body);
      default:
        return this.object(req, url, object, body);
    }
  }

  private allow(resource: ResourceName, verb: Verb) {
    if (!RESOURCES[resource].verbs.includes(verb)) {
      throw methodNotAllowed();
    }
  }

  private collection(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    { resource, namespace }: Target,
    body: () => unknown,
  ): Answer {
    const type = RESOURCES[resource];
    if (req.method === 'GET' || req.method === undefined) {
      const labels = labelMatcher(url.searchParams.get('labelSelector'));
      const fields = fieldMatcher(url.searchParams.get('fieldSelector'));
      const matches = (o: JsonObject) =>
        labels(o.metadata?.labels) && fields(o);
      const watch = url.searchParams.get('watch');
      if (watch === 'true' || watch === '1') {
        this.allow(resource, 'watch');
        this.watches.serve(req, res, url, { resource, namespace, matches });
        return undefined;
      }
      this.allow(resource, 'list');
      const items = this.store.list(resource, namespace, matches);
      if (wantsTable(req.headers.accept)) {
        return {
          code: 200,
          body: toTable(type.kind, items, {
            now: Date.now(),
            resourceVersion: this.store.currentResourceVersion,
            includeObject: url.searchParams.get('includeObject'),
          }),
        };
      }
      return {
        code: 200,
        body: {
          kind: type.listKind,
          apiVersion: type.apiVersion,
          metadata: { resourceVersion: this.store.currentResourceVersion },
          items,
        },
      };
    }
    if (req.method === 'POST' && (namespace || !type.namespaced)) {
      this.allow(resource, 'create');
      requireJson(req);
      return {
        code: 201,
        body: this.store.create(resource, namespace ?? '', body()),
      };
    }
    throw methodNotAllowed();
  }

  private object(
    req: IncomingMessage,
    url: URL,
    { resource, namespace, name }: ObjectTarget,
    body: () => unknown,
  ): Answer {
    switch (req.method) {
      case 'GET': {
        this.allow(resource, 'get');
        const object = clone(this.store.get(resource, namespace, name));
        if (wantsTable(req.headers.accept)) {
          return {
            code: 200,
            body: toTable(RESOURCES[resource].kind, [object], {
              now: Date.now(),
              includeObject: url.searchParams.get('includeObject'),
            }),
          };
        }
        return { code: 200, body: object };
      }
      case 'PUT': {
        this.allow(resource, 'update');
        requireJson(req);
        const next = body();
        if (!isObject(next)) {
          throw badRequest('the body must be an object');
        }
        if (next.metadata?.name !== name) {
          throw badRequest(
            'the name of the object does not match the name on the URL',
          );
        }
        if (
          RESOURCES[resource].namespaced &&
          next.metadata?.namespace &&
          next.metadata.namespace !== namespace
        ) {
          throw badRequest(
            'the namespace of the provided object does not match the namespace sent on the request',
          );
        }
        const current = this.store.get(resource, namespace, name);
        // A main-resource update never changes status.
        return {
          code: 200,
          body: this.store.update(resource, namespace, name, {
            ...next,
            status: clone(current.status ?? {}),
          }),
        };
      }
      case 'PATCH': {
        this.allow(resource, 'patch');
        if (contentType(req) === APPLY_PATCH) {
          return this.apply(url, { resource, namespace, name }, body);
        }
        const current = clone(this.store.get(resource, namespace, name));
        const patched = applyPatch(
          contentType(req),
          current,
          body(),
          RESOURCES[resource].strategicMerge,
        );
        if (!isObject(patched)) {
          throw badRequest('the patched object is not an object');
        }
        if (patched.metadata?.name !== name) {
          throw badRequest('the patch may not change metadata.name');
        }
        return {
          code: 200,
          body: this.store.update(resource, namespace, name, {
            ...patched,
            status: current.status ?? {},
          }),
        };
      }
      case 'DELETE': {
        this.allow(resource, 'delete');
        const deleted = this.store.remove(resource, namespace, name, body());
        return {
          code: 200,
          body: {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Success',
            details: {
              name,
              group: RESOURCES[resource].group,
              kind: resource,
              uid: deleted.metadata.uid,
            },
          },
        };
      }
      default:
        throw methodNotAllowed();
    }
  }

  /** Server-side apply: creates the object or applies the configuration to it. */
  private apply(
    url: URL,
    { resource, namespace, name }: ObjectTarget,
    body: () => unknown,
  ): Answer {
    const type = RESOURCES[resource];
    const manager = url.searchParams.get('fieldManager');
    if (!manager) {
      throw badRequest('PATCH requests for apply must provide fieldManager');
    }
    let applied: unknown;
    try {
      applied = body();
    } catch {
      throw badRequest(
        'an applied configuration must be JSON here (YAML documents are not parsed)',
      );
    }
    if (!isObject(applied)) {
      throw badRequest('an applied configuration must be an object');
    }
    if (applied.apiVersion !== type.apiVersion || applied.kind !== type.kind) {
      throw badRequest(
        `an applied configuration of ${resource} must have apiVersion ${type.apiVersion} and kind ${type.kind}`,
      );
    }
    if (applied.metadata?.name !== name) {
      throw badRequest(
        'the name of the object does not match the name on the URL',
      );
    }
    const current = this.store.find(resource, namespace, name);
    const options = {
      manager,
      strategic: type.strategicMerge,
      now: timestamp(),
    };
    if (!current) {
      this.allow(resource, 'create');
      return {
        code: 201,
        body: this.store.create(
          resource,
          namespace,
          serverSideApply(undefined, applied, options),
        ),
      };
    }
    const next = serverSideApply(current, applied, options);
    return {
      code: 200,
      body: this.store.update(resource, namespace, name, {
        ...next,
        status: clone(current.status ?? {}),
      }),
    };
  }

  private scale(
    req: IncomingMessage,
    { resource, namespace, name }: ObjectTarget,
    body: () => unknown,
  ): Answer {
    switch (req.method) {
      case 'GET':
        return {
          code: 200,
          body: toScale(this.store.get(resource, namespace, name)),
        };
      case 'PUT':
        requireJson(req);
        return {
          code: 200,
          body: applyScale(this.store, resource, namespace, name, body()),
        };
      case 'PATCH': {
        const current = toScale(this.store.get(resource, namespace, name));
        const patched = applyPatch(contentType(req), current, body());
        return {
          code: 200,
          body: applyScale(this.store, resource, namespace, name, patched),
        };
      }
      default:
        throw methodNotAllowed();
    }
  }

  private status(
    req: IncomingMessage,
    { resource, namespace, name }: ObjectTarget,
    body: () => unknown,
  ): Answer {
    switch (req.method) {
      case 'GET':
        return {
          code: 200,
          body: clone(this.store.get(resource, namespace, name)),
        };
      case 'PUT':
        requireJson(req);
        return {
          code: 200,
          body: applyStatus(this.store, resource, namespace, name, body()),
        };
      case 'PATCH': {
        const current = clone(this.store.get(resource, namespace, name));
        const patched = applyPatch(
          contentType(req),
          current,
          body(),
          RESOURCES[resource].strategicMerge,
        );
        return {
          code: 200,
          body: applyStatus(this.store, resource, namespace, name, patched),
        };
      }
      default:
        throw methodNotAllowed();
    }
  }
}
