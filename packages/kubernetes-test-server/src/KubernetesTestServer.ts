import { randomUUID } from 'node:crypto';
import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AddressInfo } from 'node:net';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  JsonObject,
  PatchError,
} from './patch';

/** Options for {@link KubernetesTestServer}. */
export interface KubernetesTestServerOptions {
  /** The bearer token clients must present; a random one by default. */
  token?: string;
  /** How many watch events the server retains for watches that resume (default 1000). */
  historyLimit?: number;
  /** How often a watch with allowWatchBookmarks=true receives a BOOKMARK (default 5000 ms). */
  bookmarkIntervalMs?: number;
  /**
   * Serve HTTPS with this key and certificate (PEM) instead of plain http.
   * The certificate must name the host (e.g. IP SAN 127.0.0.1); `ca` (PEM,
   * the certificate itself by default) goes into the kubeconfig. Clients
   * built on client-go, kubectl among them, send the bearer token only over TLS.
   */
  tls?: { key: string; cert: string; ca?: string };
}

/** A watch event as sent on the wire. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

type ResourceName = 'deployments' | 'statefulsets';

interface ResourceType {
  kind: string;
  listKind: string;
  singular: string;
  shortNames: string[];
}

const RESOURCES: Record<ResourceName, ResourceType> = {
  deployments: {
    kind: 'Deployment',
    listKind: 'DeploymentList',
    singular: 'deployment',
    shortNames: ['deploy'],
  },
  statefulsets: {
    kind: 'StatefulSet',
    listKind: 'StatefulSetList',
    singular: 'statefulset',
    shortNames: ['sts'],
  },
};

const GROUP = 'apps';
const VERSION = 'v1';
const GROUP_VERSION = `${GROUP}/${VERSION}`;

const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

interface StoredEvent {
  resourceVersion: number;
  resource: ResourceName;
  type: WatchEventType;
  object: JsonObject;
  /** For MODIFIED: the object before the change (selectors may stop or start matching). */
  previous?: JsonObject;
}

interface Watcher {
  resource: ResourceName;
  namespace?: string;
  matches: (object: JsonObject) => boolean;
  send: (type: string, object: JsonObject) => void;
  close: () => void;
}

/** An error answered as a Kubernetes Status object. */
class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: JsonObject,
  ) {
    super(message);
  }
}

function statusBody(
  code: number,
  reason: string,
  message: string,
  details?: JsonObject,
): JsonObject {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function notFound(resource: ResourceName, name: string): StatusError {
  return new StatusError(
    404,
    'NotFound',
    `${resource}.${GROUP} "${name}" not found`,
    { name, group: GROUP, kind: resource },
  );
}

function conflict(resource: ResourceName, name: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${resource}.${GROUP} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: GROUP, kind: resource },
  );
}

/**
 * The event type a watcher sees for a stored event, or undefined: an object
 * that starts matching the watcher's selectors is ADDED for it, one that stops
 * matching is DELETED, as in Kubernetes.
 */
function eventFor(
  watcher: Watcher,
  event: StoredEvent,
): WatchEventType | undefined {
  if (
    watcher.resource !== event.resource ||
    (watcher.namespace && watcher.namespace !== event.object.metadata.namespace)
  ) {
    return undefined;
  }
  const now = watcher.matches(event.object);
  if (event.type !== 'MODIFIED' || !event.previous) {
    return now ? event.type : undefined;
  }
  const before = watcher.matches(event.previous);
  if (now && before) {
    return 'MODIFIED';
  }
  if (now) {
    return 'ADDED';
  }
  return before ? 'DELETED' : undefined;
}

/** Parses an equality-based label selector (`a=b,c!=d,e,!f`). */
function labelMatcher(
  selector: string | null,
): (labels: Record<string, string>) => boolean {
  if (!selector) {
    return () => true;
  }
  const terms = selector
    .split(',')
    .map(term => term.trim())
    .filter(Boolean)
    .map(term => {
      const setMatch = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
      if (setMatch) {
        const values = setMatch[3].split(',').map(v => v.trim());
        const key = setMatch[1];
        return setMatch[2] === 'in'
          ? (l: Record<string, string>) => values.includes(l[key])
          : (l: Record<string, string>) => !values.includes(l[key]);
      }
      const notEqual = /^([^!=]+)!=(.*)$/.exec(term);
      if (notEqual) {
        return (l: Record<string, string>) =>
          l[notEqual[1].trim()] !== notEqual[2].trim();
      }
      const equal = /^([^!=]+)==?(.*)$/.exec(term);
      if (equal) {
        return (l: Record<string, string>) =>
          l[equal[1].trim()] === equal[2].trim();
      }
      if (term.startsWith('!')) {
        return (l: Record<string, string>) => !(term.slice(1) in l);
      }
      return (l: Record<string, string>) => term in l;
    });
  return labels => terms.every(term => term(labels ?? {}));
}

/** Parses a field selector supporting metadata.name and metadata.namespace. */
function fieldMatcher(
  selector: string | null,
): (object: JsonObject) => boolean {
  if (!selector) {
    return () => true;
  }
  const terms = selector
    .split(',')
    .filter(Boolean)
    .map(term => {
      const match = /^([^!=]+)(!=|==?)(.*)$/.exec(term);
      if (!match) {
        throw new StatusError(
          400,
          'BadRequest',
          `invalid field selector "${term}"`,
        );
      }
      const [, field, op, value] = match;
      const get = (o: JsonObject) =>
        String(
          field
            .split('.')
            .reduce<any>((node, key) => (node ? node[key] : undefined), o),
        );
      return op === '!='
        ? (o: JsonObject) => get(o) !== value
        : (o: JsonObject) => get(o) === value;
    });
  return object => terms.every(term => term(object));
}

/** The label selector of a workload, as the Scale subresource reports it. */
function selectorString(object: JsonObject): string {
  const labels: Record<string, string> =
    object.spec?.selector?.matchLabels ?? {};
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/**
 * A Kubernetes API test server for apps/v1 Deployments and StatefulSets that
 * speaks the real REST protocol (JSON only), so that `@kubernetes/client-node`
 * and kubectl can drive it.
 */
export class KubernetesTestServer {
  readonly token: string;
  private readonly historyLimit: number;
  private readonly bookmarkIntervalMs: number;
  private readonly tls?: { key: string; cert: string; ca?: string };
  private readonly objects = new Map<ResourceName, Map<string, JsonObject>>([
    ['deployments', new Map()],
    ['statefulsets', new Map()],
  ]);
  private readonly history: StoredEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  /**
   * Starts at 1, as if a bootstrap write had happened, so that a list from an
   * empty server never answers resourceVersion "0" (which means "any" in a watch).
   */
  private resourceVersion = 1;
  /** The newest resourceVersion whose event was dropped from the history. */
  private compactedResourceVersion = 0;
  private server?: Server;
  private serverUrl?: string;

  constructor(options: KubernetesTestServerOptions = {}) {
    this.token = options.token ?? randomUUID();
    this.historyLimit = options.historyLimit ?? 1000;
    this.bookmarkIntervalMs = options.bookmarkIntervalMs ?? 5000;
    this.tls = options.tls;
  }

  /** Starts listening; port 0 (the default) picks a free port. */
  async start(
    options: { port?: number; host?: '127.0.0.1' } = {},
  ): Promise<{ url: string }> {
    if (this.server) {
      throw new Error('KubernetesTestServer is already started');
    }
    const host = options.host ?? '127.0.0.1';
    const handler = (req: IncomingMessage, res: ServerResponse) =>
      this.handle(req, res);
    const server: Server = this.tls
      ? createHttpsServer({ key: this.tls.key, cert: this.tls.cert }, handler)
      : createServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.serverUrl = `${this.tls ? 'https' : 'http'}://${host}:${port}`;
    return { url: this.serverUrl };
  }

  /** Ends every watch and stops listening. */
  async stop(): Promise<void> {
    for (const watcher of [...this.watchers]) {
      watcher.close();
    }
    const server = this.server;
    this.server = undefined;
    if (!server) {
      return;
    }
    await new Promise<void>(resolve => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** The base URL of the running server. */
  get url(): string {
    if (!this.serverUrl) {
      throw new Error('KubernetesTestServer is not started');
    }
    return this.serverUrl;
  }

  /**
   * A kubeconfig (YAML) pointing at this server with its bearer token,
   * usable by `KubeConfig.loadFromString` and kubectl. Over plain http it
   * sets `insecure-skip-tls-verify: true`, without which
   * `@kubernetes/client-node` 2.x refuses an http: server; with `tls` it
   * carries the CA instead (kubectl sends the token only over TLS).
   */
  kubeconfig(options: { name?: string; namespace?: string } = {}): string {
    const name = JSON.stringify(options.name ?? 'kubernetes-test-server');
    const namespace = JSON.stringify(options.namespace ?? 'default');
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: ${name}`,
      '  cluster:',
      `    server: ${JSON.stringify(this.url)}`,
      this.tls
        ? `    certificate-authority-data: ${Buffer.from(
            this.tls.ca ?? this.tls.cert,
          ).toString('base64')}`
        : // @kubernetes/client-node 2.x refuses an http: server unless this is set.
          '    insecure-skip-tls-verify: true',
      'users:',
      `- name: ${name}`,
      '  user:',
      `    token: ${JSON.stringify(this.token)}`,
      'contexts:',
      `- name: ${name}`,
      '  context:',
      `    cluster: ${name}`,
      `    user: ${name}`,
      `    namespace: ${namespace}`,
      `current-context: ${name}`,
      'preferences: {}',
      '',
    ].join('\n');
  }

  /** Seeds a Deployment (status included) as if it had been created; returns it as stored. */
  addDeployment(object: JsonObject): JsonObject {
    return this.seed('deployments', object);
  }

  /** Seeds a StatefulSet (status included) as if it had been created; returns it as stored. */
  addStatefulSet(object: JsonObject): JsonObject {
    return this.seed('statefulsets', object);
  }

  /** The stored Deployment, or undefined. */
  getDeployment(namespace: string, name: string): JsonObject | undefined {
    const object = this.objects.get('deployments')!.get(`${namespace}/${name}`);
    return object ? clone(object) : undefined;
  }

  /** The stored StatefulSet, or undefined. */
  getStatefulSet(namespace: string, name: string): JsonObject | undefined {
    const object = this.objects
      .get('statefulsets')!
      .get(`${namespace}/${name}`);
    return object ? clone(object) : undefined;
  }

  /** The current (newest) resourceVersion. */
  get currentResourceVersion(): string {
    return String(this.resourceVersion);
  }

  private seed(resource: ResourceName, object: JsonObject): JsonObject {
    const namespace = object.metadata?.namespace ?? 'default';
    return this.create(resource, namespace, object, true);
  }

  // ---------------------------------------------------------------- storage

  private nextResourceVersion(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }

  private record(
    resource: ResourceName,
    type: WatchEventType,
    object: JsonObject,
    previous?: JsonObject,
  ) {
    const event: StoredEvent = {
      resourceVersion: Number(object.metadata.resourceVersion),
      resource,
      type,
      object: clone(object),
      previous: previous ? clone(previous) : undefined,
    };
    this.history.push(event);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift()!;
      this.compactedResourceVersion = dropped.resourceVersion;
    }
    for (const watcher of this.watchers) {
      const seen = eventFor(watcher, event);
      if (seen) {
        watcher.send(seen, event.object);
      }
    }
  }

  private store(resource: ResourceName) {
    return this.objects.get(resource)!;
  }

  private get(
    resource: ResourceName,
    namespace: string,
    name: string,
  ): JsonObject {
    const object = this.store(resource).get(`${namespace}/${name}`);
    if (!object) {
      throw notFound(resource, name);
    }
    return object;
  }

  private create(
    resource: ResourceName,
    namespace: string,
    body: unknown,
    keepStatus = false,
  ): JsonObject {
    const type = RESOURCES[resource];
    if (!isObject(body)) {
      throw new StatusError(400, 'BadRequest', 'the body must be an object');
    }
    const metadata: JsonObject = isObject(body.metadata)
      ? clone(body.metadata)
      : {};
    if (metadata.namespace && metadata.namespace !== namespace) {
      throw new StatusError(
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (!metadata.name && metadata.generateName) {
      metadata.name = `${metadata.generateName}${randomUUID().slice(0, 5)}`;
    }
    if (!metadata.name) {
      throw new StatusError(
        422,
        'Invalid',
        `${type.kind}.${GROUP} is invalid: metadata.name: Required value: name or generateName is required`,
      );
    }
    const key = `${namespace}/${metadata.name}`;
    if (this.store(resource).has(key)) {
      throw new StatusError(
        409,
        'AlreadyExists',
        `${resource}.${GROUP} "${metadata.name}" already exists`,
        { name: metadata.name, group: GROUP, kind: resource },
      );
    }
    const object: JsonObject = {
      ...clone(body),
      apiVersion: GROUP_VERSION,
      kind: type.kind,
      metadata: {
        ...metadata,
        namespace,
        uid: randomUUID(),
        resourceVersion: this.nextResourceVersion(),
        generation: 1,
        creationTimestamp: timestamp(),
      },
      spec: isObject(body.spec) ? clone(body.spec) : {},
      status: keepStatus && isObject(body.status) ? clone(body.status) : {},
    };
    this.store(resource).set(key, object);
    this.record(resource, 'ADDED', object);
    return clone(object);
  }

  /**
   * Replaces a stored object with `next` (already validated), honouring a
   * resourceVersion in `next` as a precondition.
   */
  private update(
    resource: ResourceName,
    namespace: string,
    name: string,
    next: JsonObject,
  ): JsonObject {
    const current = this.get(resource, namespace, name);
    const wanted = next.metadata?.resourceVersion;
    if (
      wanted !== undefined &&
      wanted !== '' &&
      wanted !== current.metadata.resourceVersion
    ) {
      throw conflict(resource, name);
    }
    const specChanged =
      JSON.stringify(next.spec ?? {}) !== JSON.stringify(current.spec ?? {});
    const metadata: JsonObject = {
      ...(isObject(next.metadata) ? next.metadata : {}),
      name,
      namespace,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      generation: current.metadata.generation + (specChanged ? 1 : 0),
      resourceVersion: this.nextResourceVersion(),
    };
    const object: JsonObject = {
      ...clone(next),
      apiVersion: GROUP_VERSION,
      kind: RESOURCES[resource].kind,
      metadata: clone(metadata),
    };
    this.store(resource).set(`${namespace}/${name}`, object);
    this.record(resource, 'MODIFIED', object, current);
    return clone(object);
  }

  private remove(
    resource: ResourceName,
    namespace: string,
    name: string,
    options: unknown,
  ): JsonObject {
    const current = this.get(resource, namespace, name);
    const preconditions = isObject(options) ? options.preconditions : undefined;
    if (isObject(preconditions)) {
      if (
        preconditions.resourceVersion &&
        preconditions.resourceVersion !== current.metadata.resourceVersion
      ) {
        throw conflict(resource, name);
      }
      if (preconditions.uid && preconditions.uid !== current.metadata.uid) {
        throw new StatusError(
          409,
          'Conflict',
          `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${current.metadata.uid}`,
        );
      }
    }
    this.store(resource).delete(`${namespace}/${name}`);
    const deleted = clone(current);
    deleted.metadata.resourceVersion = this.nextResourceVersion();
    this.record(resource, 'DELETED', deleted);
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: {
        name,
        group: GROUP,
        kind: resource,
        uid: current.metadata.uid,
      },
    };
  }

  private list(
    resource: ResourceName,
    namespace: string | undefined,
    matches: (object: JsonObject) => boolean,
  ): JsonObject[] {
    return [...this.store(resource).values()]
      .filter(o => !namespace || o.metadata.namespace === namespace)
      .filter(matches)
      .sort((a, b) =>
        `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
          `${b.metadata.namespace}/${b.metadata.name}`,
        ),
      )
      .map(clone);
  }

  // ------------------------------------------------------------ subresources

  private toScale(object: JsonObject): JsonObject {
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: object.metadata.name,
        namespace: object.metadata.namespace,
        uid: object.metadata.uid,
        resourceVersion: object.metadata.resourceVersion,
        creationTimestamp: object.metadata.creationTimestamp,
      },
      spec: { replicas: object.spec?.replicas ?? 1 },
      status: {
        replicas: object.status?.replicas ?? 0,
        selector: selectorString(object),
      },
    };
  }

  private applyScale(
    resource: ResourceName,
    namespace: string,
    name: string,
    scale: unknown,
  ): JsonObject {
    const current = this.get(resource, namespace, name);
    if (!isObject(scale) || !isObject(scale.spec)) {
      throw new StatusError(400, 'BadRequest', 'the body must be a Scale');
    }
    const replicas = scale.spec.replicas ?? 0;
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new StatusError(
        422,
        'Invalid',
        `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(
          replicas,
        )}: must be greater than or equal to 0`,
      );
    }
    const next = clone(current);
    next.metadata.resourceVersion =
      scale.metadata?.resourceVersion ?? current.metadata.resourceVersion;
    next.spec = { ...next.spec, replicas };
    return this.toScale(this.update(resource, namespace, name, next));
  }

  private applyStatus(
    resource: ResourceName,
    namespace: string,
    name: string,
    body: unknown,
  ): JsonObject {
    const current = this.get(resource, namespace, name);
    if (!isObject(body)) {
      throw new StatusError(400, 'BadRequest', 'the body must be an object');
    }
    const next = clone(current);
    next.metadata.resourceVersion =
      body.metadata?.resourceVersion ?? current.metadata.resourceVersion;
    next.status = isObject(body.status) ? clone(body.status) : {};
    return this.update(resource, namespace, name, next);
  }

  // ------------------------------------------------------------------- HTTP

  private async handle(req: IncomingMessage, res: ServerResponse) {
    try {
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${this.token}`) {
        throw new StatusError(401, 'Unauthorized', 'Unauthorized');
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      const body = await this.readBody(req);
      const result = this.route(req, res, url, body);
      if (result) {
        this.sendJson(res, result.code, result.body);
      }
    } catch (error) {
      if (res.headersSent) {
        res.end();
        return;
      }
      if (error instanceof StatusError) {
        this.sendJson(
          res,
          error.code,
          statusBody(error.code, error.reason, error.message, error.details),
        );
      } else if (error instanceof PatchError) {
        this.sendJson(
          res,
          error.code,
          statusBody(
            error.code,
            error.code === 422 ? 'Invalid' : 'BadRequest',
            error.message,
          ),
        );
      } else {
        this.sendJson(
          res,
          500,
          statusBody(500, 'InternalError', String(error)),
        );
      }
    }
  }

  private async readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private sendJson(res: ServerResponse, code: number, body: unknown) {
    const text = JSON.stringify(body);
    res.writeHead(code, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  private parseJson(text: string): unknown {
    if (text.trim() === '') {
      return undefined;
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new StatusError(
        400,
        'BadRequest',
        `the request body is not valid JSON: ${(error as Error).message}`,
      );
    }
  }

  private route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    rawBody: string,
  ): { code: number; body: unknown } | undefined {
    const method = req.method ?? 'GET';
    const parts = url.pathname
      .split('/')
      .filter(Boolean)
      .map(decodeURIComponent);
    const path = `/${parts.join('/')}`;

    if (method === 'GET') {
      const discovery = this.discovery(path);
      if (discovery) {
        return { code: 200, body: discovery };
      }
    }

    if (parts[0] !== 'apis' || parts[1] !== GROUP || parts[2] !== VERSION) {
      throw new StatusError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    }
    const rest = parts.slice(3);
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest.splice(0, 2);
    }
    const resource = rest[0] as ResourceName;
    if (!(resource in RESOURCES) || rest.length > 3) {
      throw new StatusError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    }
    const name = rest[1];
    const subresource = rest[2];
    if (subresource && subresource !== 'scale' && subresource !== 'status') {
      throw new StatusError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    }

    const notAllowed = () =>
      new StatusError(
        405,
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`,
      );

    // Collection
    if (name === undefined) {
      if (method === 'GET') {
        const labels = labelMatcher(url.searchParams.get('labelSelector'));
        const fields = fieldMatcher(url.searchParams.get('fieldSelector'));
        const matches = (o: JsonObject) =>
          labels(o.metadata?.labels) && fields(o);
        const watch = url.searchParams.get('watch');
        if (watch === 'true' || watch === '1') {
          this.watch(req, res, url, resource, namespace, matches);
          return undefined;
        }
        return {
          code: 200,
          body: {
            kind: RESOURCES[resource].listKind,
            apiVersion: GROUP_VERSION,
            metadata: { resourceVersion: this.currentResourceVersion },
            items: this.list(resource, namespace, matches),
          },
        };
      }
      if (method === 'POST' && namespace) {
        this.requireJson(req);
        return {
          code: 201,
          body: this.create(resource, namespace, this.parseJson(rawBody)),
        };
      }
      throw notAllowed();
    }

    if (!namespace) {
      throw new StatusError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    }

    if (subresource === 'scale') {
      switch (method) {
        case 'GET':
          return {
            code: 200,
            body: this.toScale(this.get(resource, namespace, name)),
          };
        case 'PUT':
          this.requireJson(req);
          return {
            code: 200,
            body: this.applyScale(
              resource,
              namespace,
              name,
              this.parseJson(rawBody),
            ),
          };
        case 'PATCH': {
          const current = this.toScale(this.get(resource, namespace, name));
          const patched = this.patch(req, current, this.parseJson(rawBody));
          return {
            code: 200,
            body: this.applyScale(resource, namespace, name, patched),
          };
        }
        default:
          throw notAllowed();
      }
    }

    if (subresource === 'status') {
      switch (method) {
        case 'GET':
          return {
            code: 200,
            body: clone(this.get(resource, namespace, name)),
          };
        case 'PUT':
          this.requireJson(req);
          return {
            code: 200,
            body: this.applyStatus(
              resource,
              namespace,
              name,
              this.parseJson(rawBody),
            ),
          };
        case 'PATCH': {
          const current = clone(this.get(resource, namespace, name));
          const patched = this.patch(req, current, this.parseJson(rawBody));
          return {
            code: 200,
            body: this.applyStatus(resource, namespace, name, patched),
          };
        }
        default:
          throw notAllowed();
      }
    }

    switch (method) {
      case 'GET':
        return { code: 200, body: clone(this.get(resource, namespace, name)) };
      case 'PUT': {
        this.requireJson(req);
        const body = this.parseJson(rawBody);
        if (!isObject(body)) {
          throw new StatusError(
            400,
            'BadRequest',
            'the body must be an object',
          );
        }
        if (body.metadata?.name !== name) {
          throw new StatusError(
            400,
            'BadRequest',
            'the name of the object does not match the name on the URL',
          );
        }
        if (body.metadata?.namespace && body.metadata.namespace !== namespace) {
          throw new StatusError(
            400,
            'BadRequest',
            'the namespace of the provided object does not match the namespace sent on the request',
          );
        }
        const current = this.get(resource, namespace, name);
        // A main-resource update never changes status.
        return {
          code: 200,
          body: this.update(resource, namespace, name, {
            ...body,
            status: clone(current.status ?? {}),
          }),
        };
      }
      case 'PATCH': {
        const current = clone(this.get(resource, namespace, name));
        const patched = this.patch(req, current, this.parseJson(rawBody));
        if (!isObject(patched)) {
          throw new StatusError(
            400,
            'BadRequest',
            'the patched object is not an object',
          );
        }
        if (patched.metadata?.name !== name) {
          throw new StatusError(
            400,
            'BadRequest',
            'the patch may not change metadata.name',
          );
        }
        return {
          code: 200,
          body: this.update(resource, namespace, name, {
            ...patched,
            status: current.status ?? {},
          }),
        };
      }
      case 'DELETE':
        return {
          code: 200,
          body: this.remove(resource, namespace, name, this.parseJson(rawBody)),
        };
      default:
        throw notAllowed();
    }
  }

  private requireJson(req: IncomingMessage) {
    const type = (req.headers['content-type'] ?? 'application/json')
      .split(';')[0]
      .trim();
    if (type !== 'application/json') {
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json`,
      );
    }
  }

  private patch(req: IncomingMessage, current: JsonObject, patch: unknown) {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
    if (!PATCH_TYPES.includes(type)) {
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(
          ', ',
        )}`,
      );
    }
    if (patch === undefined) {
      throw new StatusError(400, 'BadRequest', 'the patch body is empty');
    }
    switch (type) {
      case 'application/json-patch+json':
        return applyJsonPatch(current, patch);
      case 'application/merge-patch+json':
        if (!isObject(patch)) {
          throw new StatusError(
            400,
            'BadRequest',
            'a merge patch must be an object',
          );
        }
        return applyMergePatch(current, patch);
      default:
        if (!isObject(patch)) {
          throw new StatusError(
            400,
            'BadRequest',
            'a strategic merge patch must be an object',
          );
        }
        return applyStrategicMergePatch(current, patch);
    }
  }

  // ------------------------------------------------------------------ watch

  private watch(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    resource: ResourceName,
    namespace: string | undefined,
    matches: (object: JsonObject) => boolean,
  ) {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache, private',
    });
    res.flushHeaders();
    let closed = false;
    let timeoutTimer: NodeJS.Timeout | undefined;
    let bookmarkTimer: NodeJS.Timeout | undefined;
    const watcher: Watcher = {
      resource,
      namespace,
      matches,
      send: (type, object) => {
        if (!closed) {
          res.write(`${JSON.stringify({ type, object })}\n`);
        }
      },
      close: () => {
        if (!closed) {
          closed = true;
          clearTimeout(timeoutTimer);
          clearTimeout(bookmarkTimer);
          this.watchers.delete(watcher);
          res.end();
        }
      },
    };
    req.on('close', () => watcher.close());
    res.on('close', () => watcher.close());

    const fromParam = url.searchParams.get('resourceVersion');
    if (fromParam && fromParam !== '0') {
      const from = Number(fromParam);
      if (!Number.isInteger(from) || from < 0) {
        watcher.send(
          'ERROR',
          statusBody(
            400,
            'BadRequest',
            `invalid resource version: ${fromParam}`,
          ),
        );
        watcher.close();
        return;
      }
      if (from < this.compactedResourceVersion) {
        watcher.send(
          'ERROR',
          statusBody(
            410,
            'Expired',
            `too old resource version: ${from} (${
              this.compactedResourceVersion + 1
            })`,
          ),
        );
        watcher.close();
        return;
      }
      for (const event of this.history) {
        const type = eventFor(watcher, event);
        if (event.resourceVersion > from && type) {
          watcher.send(type, event.object);
        }
      }
    } else {
      // No resourceVersion (or "0"): start with the current state as ADDED events.
      for (const object of this.list(resource, namespace, matches)) {
        watcher.send('ADDED', object);
      }
    }
    this.watchers.add(watcher);

    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds'));
    if (timeoutSeconds > 0) {
      timeoutTimer = setTimeout(() => watcher.close(), timeoutSeconds * 1000);
    }
    if (url.searchParams.get('allowWatchBookmarks') === 'true') {
      const bookmark = () => {
        watcher.send('BOOKMARK', {
          kind: RESOURCES[resource].kind,
          apiVersion: GROUP_VERSION,
          metadata: { resourceVersion: this.currentResourceVersion },
        });
        bookmarkTimer = setTimeout(bookmark, this.bookmarkIntervalMs);
      };
      bookmarkTimer = setTimeout(bookmark, this.bookmarkIntervalMs);
    }
  }

  // -------------------------------------------------------------- discovery

  private discovery(path: string): JsonObject | undefined {
    switch (path) {
      case '/version':
        return {
          major: '1',
          minor: '30',
          gitVersion: 'v1.30.0-sentinel-test',
          gitCommit: '0000000000000000000000000000000000000000',
          gitTreeState: 'clean',
          buildDate: '2024-01-01T00:00:00Z',
          goVersion: 'go1.22.0',
          compiler: 'gc',
          platform: 'linux/amd64',
        };
      case '/api':
        // core/v1 is not served yet: announcing it with no resources makes
        // client-go discovery (kubectl) fail with "received empty response".
        return {
          kind: 'APIVersions',
          versions: [],
          serverAddressByClientCIDRs: [
            { clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' },
          ],
        };
      case '/apis': {
        const version = { groupVersion: GROUP_VERSION, version: VERSION };
        return {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: [
            { name: GROUP, versions: [version], preferredVersion: version },
          ],
        };
      }
      case `/apis/${GROUP}`: {
        const version = { groupVersion: GROUP_VERSION, version: VERSION };
        return {
          kind: 'APIGroup',
          apiVersion: 'v1',
          name: GROUP,
          versions: [version],
          preferredVersion: version,
        };
      }
      case `/apis/${GROUP_VERSION}`:
        return {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion: GROUP_VERSION,
          resources: (Object.keys(RESOURCES) as ResourceName[]).flatMap(
            resource => {
              const type = RESOURCES[resource];
              return [
                {
                  name: resource,
                  singularName: type.singular,
                  namespaced: true,
                  kind: type.kind,
                  verbs: [
                    'create',
                    'delete',
                    'get',
                    'list',
                    'patch',
                    'update',
                    'watch',
                  ],
                  shortNames: type.shortNames,
                  categories: ['all'],
                },
                {
                  name: `${resource}/scale`,
                  singularName: '',
                  namespaced: true,
                  group: 'autoscaling',
                  version: 'v1',
                  kind: 'Scale',
                  verbs: ['get', 'patch', 'update'],
                },
                {
                  name: `${resource}/status`,
                  singularName: '',
                  namespaced: true,
                  kind: type.kind,
                  verbs: ['get', 'patch', 'update'],
                },
              ];
            },
          ),
        };
      default:
        return undefined;
    }
  }
}
