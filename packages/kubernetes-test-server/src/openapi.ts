import { createHash } from 'node:crypto';
import { SERVER_VERSION } from './discovery';
import type { JsonObject } from './patch';
import {
  APPLY_PATCH,
  JSON_PATCH,
  MERGE_PATCH,
  STRATEGIC_MERGE_PATCH,
} from './requests';
import {
  groupVersions,
  RESOURCES,
  type ResourceName,
  type ResourceType,
  type Verb,
} from './resources';

/**
 * OpenAPI v3, as the API server publishes it: `/openapi/v3` lists one
 * document per group version (`api/v1`, `apis/apps/v1`, ...), each describing
 * the paths, operations and kinds served. kubectl needs it for `apply`: it
 * finds each kind's PATCH operation by `x-kubernetes-group-version-kind`
 * there, learns from its `fieldValidation` parameter that the server
 * validates fields (so kubectl need not download the v2 schema to validate on
 * its side), and from the PATCH media types whether a strategic merge patch
 * is accepted.
 *
 * The kinds' schemas describe their top level only, and on purpose carry no
 * `x-kubernetes-group-version-kind`: with one, kubectl would compute its
 * strategic merge patches from the schema and would need every field
 * described. Without, it uses its built-in types (the patch a real server's
 * schema yields) and a JSON merge patch for HTTPRoute, as for any custom
 * resource. `kubectl explain` finds no schema for the same reason.
 */

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const json = (schema: JsonObject) => ({
  content: { 'application/json': { schema } },
});

function query(name: string, type: string, description: string): JsonObject {
  return { name, in: 'query', description, schema: { type } };
}

function path(name: string, description: string): JsonObject {
  return {
    name,
    in: 'path',
    required: true,
    description,
    schema: { type: 'string' },
  };
}

const WRITE_PARAMETERS = [
  query(
    'fieldManager',
    'string',
    'The name of the actor making the change; required for apply patches.',
  ),
  query(
    'fieldValidation',
    'string',
    'Ignore, Warn or Strict: accepted; unknown fields are not rejected here.',
  ),
];

const LIST_PARAMETERS = [
  query('labelSelector', 'string', 'Select objects by their labels.'),
  query('fieldSelector', 'string', 'Select objects by their fields.'),
  query('resourceVersion', 'string', 'Watch changes after this version.'),
  query('watch', 'boolean', 'Stream changes instead of listing.'),
  query('allowWatchBookmarks', 'boolean', 'Send BOOKMARK events.'),
  query('timeoutSeconds', 'integer', 'End a watch after this long.'),
];

/** `AppsV1`, `CoreV1`, `NetworkingV1`, `GatewayNetworkingV1`: as in operation ids. */
function operationPrefix(type: ResourceType): string {
  const words = type.group
    ? type.group.replace(/\.k8s\.io$/, '').split('.')
    : ['core'];
  return [...words, type.version]
    .map(word => word[0].toUpperCase() + word.slice(1))
    .join('');
}

function gvk(type: ResourceType): JsonObject {
  return { group: type.group, version: type.version, kind: type.kind };
}

/** The operations of one resource, by path. */
function resourcePaths(name: ResourceName): Record<string, JsonObject> {
  const type = RESOURCES[name];
  const prefix = type.group ? `/apis/${type.apiVersion}` : '/api/v1';
  const id = operationPrefix(type);
  const can = (verb: Verb) => type.verbs.includes(verb);
  const operation = (
    action: string,
    operationId: string,
    rest: JsonObject,
    kind: JsonObject = gvk(type),
  ): JsonObject => ({
    operationId,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': kind,
    ...rest,
  });
  const returns = (schema: string, codes = ['200']) => ({
    responses: Object.fromEntries(
      codes.map(code => [code, { description: 'OK', ...json(ref(schema)) }]),
    ),
  });
  const patchBody = {
    required: true,
    content: Object.fromEntries(
      [
        JSON_PATCH,
        MERGE_PATCH,
        ...(type.strategicMerge ? [STRATEGIC_MERGE_PATCH] : []),
        APPLY_PATCH,
      ].map(media => [media, { schema: ref(`${META}.Patch`) }]),
    ),
  };
  const patch = (operationId: string, schema: string, kind?: JsonObject) =>
    operation(
      'patch',
      operationId,
      {
        parameters: [
          ...WRITE_PARAMETERS,
          query('force', 'boolean', 'Take over conflicting fields (apply).'),
        ],
        requestBody: patchBody,
        ...returns(schema, ['200', '201']),
      },
      kind,
    );

  // Namespaced kinds: every namespace at `/{resource}`, one at `/namespaces/{namespace}/...`.
  // Cluster-scoped kinds (ClusterRole, Namespace): `/{resource}` only.
  const scope = type.namespaced ? 'Namespaced' : '';
  const collection = type.namespaced
    ? `${prefix}/namespaces/{namespace}/${name}`
    : `${prefix}/${name}`;
  const namespaceParameters = type.namespaced
    ? [path('namespace', 'The object namespace.')]
    : [];
  const object = path('name', `The name of the ${type.kind}.`);
  const listOperation = (operationId: string) =>
    operation('list', operationId, {
      parameters: LIST_PARAMETERS,
      ...returns(`${type.schema}List`),
    });
  const paths: Record<string, JsonObject> = {
    ...(type.namespaced &&
      can('list') && {
        [`${prefix}/${name}`]: {
          get: listOperation(`list${id}${type.kind}ForAllNamespaces`),
        },
      }),
    [collection]: {
      parameters: namespaceParameters,
      ...(can('list') && {
        get: listOperation(`list${id}${scope}${type.kind}`),
      }),
      ...(can('create') && {
        post: operation('post', `create${id}${scope}${type.kind}`, {
          parameters: WRITE_PARAMETERS,
          requestBody: { required: true, ...json(ref(type.schema)) },
          ...returns(type.schema, ['200', '201']),
        }),
      }),
    },
  };
  if (type.stored) {
    paths[`${collection}/{name}`] = {
      parameters: [object, ...namespaceParameters],
      get: operation('get', `read${id}${scope}${type.kind}`, {
        ...returns(type.schema),
      }),
      ...(can('update') && {
        put: operation('put', `replace${id}${scope}${type.kind}`, {
          parameters: WRITE_PARAMETERS,
          requestBody: { required: true, ...json(ref(type.schema)) },
          ...returns(type.schema),
        }),
      }),
      ...(can('patch') && {
        patch: patch(`patch${id}${scope}${type.kind}`, type.schema),
      }),
      ...(can('delete') && {
        delete: operation('delete', `delete${id}${scope}${type.kind}`, {
          requestBody: json(ref(`${META}.DeleteOptions`)),
          ...returns(`${META}.Status`),
        }),
      }),
    };
  }
  for (const subresource of type.subresources) {
    const suffix = subresource === 'scale' ? 'Scale' : 'Status';
    const schema =
      subresource === 'scale' ? 'io.k8s.api.autoscaling.v1.Scale' : type.schema;
    const kind =
      subresource === 'scale'
        ? { group: 'autoscaling', version: 'v1', kind: 'Scale' }
        : gvk(type);
    paths[`${collection}/{name}/${subresource}`] = {
      parameters: [object, ...namespaceParameters],
      get: operation(
        'get',
        `read${id}Namespaced${type.kind}${suffix}`,
        returns(schema),
        kind,
      ),
      put: operation(
        'put',
        `replace${id}Namespaced${type.kind}${suffix}`,
        {
          parameters: WRITE_PARAMETERS,
          requestBody: { required: true, ...json(ref(schema)) },
          ...returns(schema),
        },
        kind,
      ),
      patch: patch(`patch${id}Namespaced${type.kind}${suffix}`, schema, kind),
    };
  }
  return paths;
}

const object = (description: string): JsonObject => ({
  type: 'object',
  description,
  'x-kubernetes-preserve-unknown-fields': true,
});

/** Schemas every document refers to. */
const META_SCHEMAS: Record<string, JsonObject> = {
  [`${META}.ObjectMeta`]: {
    type: 'object',
    description: 'Standard object metadata.',
    properties: {
      name: { type: 'string' },
      generateName: { type: 'string' },
      namespace: { type: 'string' },
      uid: { type: 'string' },
      resourceVersion: { type: 'string' },
      generation: { type: 'integer', format: 'int64' },
      creationTimestamp: { type: 'string', format: 'date-time' },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      annotations: {
        type: 'object',
        additionalProperties: { type: 'string' },
      },
      ownerReferences: {
        type: 'array',
        items: object('An object this one depends on.'),
        'x-kubernetes-patch-merge-key': 'uid',
        'x-kubernetes-patch-strategy': 'merge',
      },
      managedFields: {
        type: 'array',
        items: object('Fields a manager applied (server-side apply).'),
      },
    },
  },
  [`${META}.ListMeta`]: {
    type: 'object',
    properties: { resourceVersion: { type: 'string' } },
  },
  [`${META}.Status`]: {
    type: 'object',
    description: 'The outcome of an operation that returns no object.',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      status: { type: 'string' },
      message: { type: 'string' },
      reason: { type: 'string' },
      details: object('The object the status is about.'),
      code: { type: 'integer', format: 'int32' },
    },
  },
  [`${META}.DeleteOptions`]: object(
    'Delete options; preconditions (uid, resourceVersion) are honoured.',
  ),
  [`${META}.Patch`]: {
    type: 'object',
    description:
      'A JSON patch (list of operations), a merge or strategic merge patch, or an applied configuration.',
  },
};

function kindSchemas(name: ResourceName): Record<string, JsonObject> {
  const type = RESOURCES[name];
  const typeMeta = {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
  };
  return {
    [type.schema]: {
      type: 'object',
      description: `A ${type.kind} (${type.apiVersion}).`,
      properties: {
        ...typeMeta,
        metadata: { allOf: [ref(`${META}.ObjectMeta`)] },
        ...(type.hasSpec && {
          spec: object(`The desired state of the ${type.kind}.`),
          status: object(`The observed state of the ${type.kind}.`),
        }),
      },
      ...(type.hasSpec ? {} : { 'x-kubernetes-preserve-unknown-fields': true }),
    },
    [`${type.schema}List`]: {
      type: 'object',
      description: `A list of ${type.kind} objects.`,
      required: ['items'],
      properties: {
        ...typeMeta,
        metadata: { allOf: [ref(`${META}.ListMeta`)] },
        items: { type: 'array', items: ref(type.schema) },
      },
    },
    ...(type.subresources.includes('scale') && {
      'io.k8s.api.autoscaling.v1.Scale': {
        type: 'object',
        description: 'The scale subresource of a workload.',
        properties: {
          ...typeMeta,
          metadata: { allOf: [ref(`${META}.ObjectMeta`)] },
          spec: {
            type: 'object',
            properties: { replicas: { type: 'integer', format: 'int32' } },
          },
          status: object('Current replicas and the label selector.'),
        },
      },
    }),
  };
}

/** Each group version's document by its discovery path (`apis/apps/v1`). */
const documents = new Map<string, { document: JsonObject; hash: string }>(
  groupVersions().map(gv => {
    const document = {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: SERVER_VERSION.gitVersion },
      paths: Object.assign({}, ...gv.resources.map(resourcePaths)),
      components: {
        schemas: Object.assign(
          { ...META_SCHEMAS },
          ...gv.resources.map(kindSchemas),
        ),
      },
    };
    const hash = createHash('sha256')
      .update(JSON.stringify(document))
      .digest('hex')
      .toUpperCase();
    return [gv.group ? `apis/${gv.apiVersion}` : 'api/v1', { document, hash }];
  }),
);

/**
 * The answer to `GET /openapi/v3[/...]`, or undefined for a path that is not
 * served. The query (`?hash=...`, a cache key) is ignored.
 */
export function openApi(pathname: string): JsonObject | undefined {
  if (pathname === '/openapi/v3') {
    return {
      paths: Object.fromEntries(
        [...documents].map(([key, { hash }]) => [
          key,
          { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` },
        ]),
      ),
    };
  }
  return documents.get(pathname.replace(/^\/openapi\/v3\//, ''))?.document;
}
