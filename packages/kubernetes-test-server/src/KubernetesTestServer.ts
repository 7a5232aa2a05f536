import { createHash, randomUUID } from 'node:crypto';
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
import { renderPodMetrics, type ServingPod } from './podMetrics';
import { toTable, wantsTable } from './table';
import { discovery } from './discovery';
import {
  GROUP,
  GROUP_VERSION,
  isResourceName,
  isWorkload,
  qualified,
  RESOURCES,
  VERSION,
  type ResourceName,
  type WorkloadName,
} from './resources';
import { fieldMatcher, labelMatcher } from './selectors';
import { StatusError, statusBody } from './status';

/** Pod template annotation: how long the controller's pods of this workload take to get ready. */
export const READY_AFTER_ANNOTATION = 'test.sentinel.io/ready-after-ms';

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
  /**
   * Run the built-in workload controller: Deployments and StatefulSets get
   * pods and a status that moves towards their spec (see the README). Off by
   * default, so that status stays exactly as written.
   */
  controller?: boolean;
  /**
   * How long a controller-made pod takes to become ready (default 300 ms). A pod template
   * annotation `test.sentinel.io/ready-after-ms` sets it per workload.
   */
  podReadyDelayMs?: number;
  /** How soon the controller reacts to a spec change (default 20 ms). */
  controllerTickMs?: number;
  /**
   * Multiplies `spec.progressDeadlineSeconds` (600 s by default) to scale time
   * down for tests; 1 by default, e.g. 0.001 turns 600 s into 600 ms.
   */
  progressDeadlineScale?: number;
}

/** Faults the server injects into the requests it answers; see {@link KubernetesTestServer.injectFaults}. */
export interface KubernetesTestServerFaults {
  /** Delay every answer (watches included) by this long. */
  latencyMs?: number;
  /**
   * Fail the next `count` requests (whose path contains `path`, when given)
   * with a Status of this code; a 429 carries `Retry-After` (seconds, 1 by default).
   */
  failNext?: {
    status: 500 | 429;
    count: number;
    path?: string;
    retryAfterSeconds?: number;
  };
  /** Destroy the connection of every request, without an answer. */
  dropConnections?: boolean;
}

/** A watch event as sent on the wire. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

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
    `${qualified(resource)} "${name}" not found`,
    { name, group: RESOURCES[resource].group, kind: resource },
  );
}

function conflict(resource: ResourceName, name: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(
      resource,
    )} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: RESOURCES[resource].group, kind: resource },
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

/** A pod status: Running, with a Ready condition. */
function podStatus(ready: boolean, previous?: JsonObject): JsonObject {
  const now = timestamp();
  const value = ready ? 'True' : 'False';
  return {
    phase: 'Running',
    startTime: previous?.startTime ?? now,
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
      { type: 'Initialized', status: 'True', lastTransitionTime: now },
      { type: 'ContainersReady', status: value, lastTransitionTime: now },
      { type: 'Ready', status: value, lastTransitionTime: now },
    ],
  };
}

/**
 * A Deployment condition; its timestamps are kept from the previous status
 * while nothing changes, so that an unchanged status is not rewritten.
 */
function condition(
  previous: JsonObject,
  type: string,
  [status, reason, message]: [string, string, string],
): JsonObject {
  const before: JsonObject | undefined = (previous.conditions ?? []).find(
    (c: JsonObject) => c.type === type,
  );
  const now = timestamp();
  const same = before?.status === status;
  return {
    type,
    status,
    lastUpdateTime:
      same && before?.reason === reason ? before.lastUpdateTime : now,
    lastTransitionTime: same ? before.lastTransitionTime : now,
    reason,
    message,
  };
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
    ['pods', new Map()],
    ['services', new Map()],
    ['events', new Map()],
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
  private readonly controllerEnabled: boolean;
  private readonly podReadyDelayMs: number;
  private readonly controllerTickMs: number;
  private readonly progressDeadlineScale: number;
  /** Pending controller wake-ups per workload (`resource/namespace/name`). */
  private readonly scheduled = new Map<
    string,
    { timer: NodeJS.Timeout; at: number }
  >();
  /** Per workload: the rollout being worked on and when it started. */
  private readonly rollouts = new Map<
    string,
    { hash: string; replicas: number; since: number }
  >();
  /** When each controller-made pod (`namespace/name`) becomes ready. */
  private readonly podReadyAt = new Map<string, number>();
  private faults: KubernetesTestServerFaults = {};

  constructor(options: KubernetesTestServerOptions = {}) {
    this.token = options.token ?? randomUUID();
    this.historyLimit = options.historyLimit ?? 1000;
    this.bookmarkIntervalMs = options.bookmarkIntervalMs ?? 5000;
    this.tls = options.tls;
    this.controllerEnabled = options.controller ?? false;
    this.podReadyDelayMs = options.podReadyDelayMs ?? 300;
    this.controllerTickMs = options.controllerTickMs ?? 20;
    this.progressDeadlineScale = options.progressDeadlineScale ?? 1;
  }

  /** Starts listening; port 0 (the default) picks a free port. */
  async start(
    options: { port?: number; host?: '127.0.0.1' } = {},
  ): Promise<{ url: string }> {
    if (this.server) {
      throw new Error('KubernetesTestServer is already started');
    }
    const host = options.host ?? '127.0.0.1';
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.requests += 1;
      return this.handle(req, res);
    };
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
    server.on(this.tls ? 'secureConnection' : 'connection', () => {
      this.connections += 1;
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.serverUrl = `${this.tls ? 'https' : 'http'}://${host}:${port}`;
    for (const resource of ['deployments', 'statefulsets'] as const) {
      for (const object of this.store(resource).values()) {
        this.schedule(
          resource,
          object.metadata.namespace,
          object.metadata.name,
          this.controllerTickMs,
        );
      }
    }
    return { url: this.serverUrl };
  }

  /** Connections clients opened so far (TLS handshakes, when serving https). */
  connections = 0;

  /** Requests answered so far (a watch counts once, when it starts). */
  requests = 0;

  /** Ends every watch and stops listening. */
  async stop(): Promise<void> {
    this.disconnectWatches();
    const server = this.server;
    this.server = undefined;
    for (const { timer } of this.scheduled.values()) {
      clearTimeout(timer);
    }
    this.scheduled.clear();
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

  /**
   * Ends every open watch stream, as an API server restart would; clients
   * resume from the last resourceVersion they saw.
   */
  disconnectWatches(): void {
    for (const watcher of [...this.watchers]) {
      watcher.close();
    }
  }

  /**
   * Injects faults into the requests that follow (replacing earlier ones;
   * `injectFaults({})` clears them): latency, failures with a 500 or 429
   * Status, or dropped connections.
   */
  injectFaults(faults: KubernetesTestServerFaults): void {
    this.faults = clone(faults);
  }

  /** The controller-made pods of a namespace (in-process, for tests). */
  listPods(namespace: string): JsonObject[] {
    return this.list('pods', namespace, () => true);
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
    // The controller reacts to workloads created, deleted or changed in spec.
    if (
      isWorkload(resource) &&
      (type !== 'MODIFIED' ||
        previous?.metadata.generation !== object.metadata.generation)
    ) {
      this.schedule(
        resource,
        object.metadata.namespace,
        object.metadata.name,
        this.controllerTickMs,
      );
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
        `${type.kind}${
          type.group ? `.${type.group}` : ''
        } is invalid: metadata.name: Required value: name or generateName is required`,
      );
    }
    const key = `${namespace}/${metadata.name}`;
    if (this.store(resource).has(key)) {
      throw new StatusError(
        409,
        'AlreadyExists',
        `${qualified(resource)} "${metadata.name}" already exists`,
        { name: metadata.name, group: type.group, kind: resource },
      );
    }
    const object: JsonObject = {
      ...clone(body),
      apiVersion: type.apiVersion,
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
    if (resource === 'events') {
      // Events have neither spec nor status.
      delete object.spec;
      delete object.status;
    }
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
      apiVersion: RESOURCES[resource].apiVersion,
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
        group: RESOURCES[resource].group,
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

  // -------------------------------------------------------------- controller

  /** Wakes the controller for a workload after `delayMs` (an earlier wake-up wins). */
  private schedule(
    resource: WorkloadName,
    namespace: string,
    name: string,
    delayMs: number,
  ) {
    if (!this.controllerEnabled || !this.server) {
      return;
    }
    const key = `${resource}/${namespace}/${name}`;
    const at = Date.now() + delayMs;
    const pending = this.scheduled.get(key);
    if (pending && pending.at <= at) {
      return;
    }
    if (pending) {
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.scheduled.delete(key);
      this.reconcile(resource, namespace, name);
    }, Math.max(0, delayMs));
    this.scheduled.set(key, { timer, at });
  }

  /**
   * One controller pass for a workload: creates and deletes its pods, marks
   * pods ready once their delay has passed (never for a `-broken` image),
   * writes the status when it changed and schedules the next pass.
   */
  private reconcile(resource: WorkloadName, namespace: string, name: string) {
    const key = `${resource}/${namespace}/${name}`;
    const kind = RESOURCES[resource].kind;
    const workload = this.store(resource).get(`${namespace}/${name}`);
    const owned = () =>
      [...this.store('pods').values()].filter(
        pod =>
          pod.metadata.namespace === namespace &&
          (pod.metadata.ownerReferences ?? []).some(
            (ref: JsonObject) => ref.kind === kind && ref.name === name,
          ),
      );
    const deletePod = (pod: JsonObject) => {
      this.podReadyAt.delete(`${namespace}/${pod.metadata.name}`);
      this.remove('pods', namespace, pod.metadata.name, undefined);
    };
    if (!workload) {
      // Deleted: the garbage collector removes its pods.
      this.rollouts.delete(key);
      owned().forEach(deletePod);
      return;
    }
    const now = Date.now();
    const replicas: number = workload.spec?.replicas ?? 1;
    const template: JsonObject = workload.spec?.template ?? {};
    const hash = createHash('sha256')
      .update(JSON.stringify(template))
      .digest('hex')
      .slice(0, 10);
    let rollout = this.rollouts.get(key);
    if (!rollout || rollout.hash !== hash || rollout.replicas !== replicas) {
      rollout = { hash, replicas, since: now };
      this.rollouts.set(key, rollout);
    }
    const broken = [
      ...(template.spec?.containers ?? []),
      ...(template.spec?.initContainers ?? []),
    ].some(
      (c: JsonObject) =>
        typeof c.image === 'string' && c.image.endsWith('-broken'),
    );
    const isReady = (pod: JsonObject) =>
      (pod.status?.conditions ?? []).some(
        (c: JsonObject) => c.type === 'Ready' && c.status === 'True',
      );
    const isCurrent = (pod: JsonObject) =>
      pod.metadata.labels?.['pod-template-hash'] === hash;

    // Scale the current pods to spec.replicas.
    const before = owned().filter(isCurrent).length;
    for (const pod of owned().filter(isCurrent)) {
      if (Number(pod.metadata.name.split('-').pop()) >= replicas) {
        deletePod(pod);
      }
    }
    const readyAfter = Number(
      template.metadata?.annotations?.[READY_AFTER_ANNOTATION] ??
        this.podReadyDelayMs,
    );
    for (let index = 0; index < replicas; index++) {
      const podName = `${name}-${hash}-${index}`;
      if (!this.store('pods').has(`${namespace}/${podName}`)) {
        this.podReadyAt.set(
          `${namespace}/${podName}`,
          broken ? Infinity : now + readyAfter,
        );
        this.create(
          'pods',
          namespace,
          {
            metadata: {
              name: podName,
              namespace,
              labels: {
                ...(template.metadata?.labels ?? {}),
                'pod-template-hash': hash,
              },
              ownerReferences: [
                {
                  apiVersion: GROUP_VERSION,
                  // No ReplicaSets here: pods name their workload as owner.
                  kind,
                  name,
                  uid: workload.metadata.uid,
                  controller: true,
                  blockOwnerDeletion: true,
                },
              ],
            },
            spec: clone(template.spec ?? {}),
            status: podStatus(false),
          },
          true,
        );
      }
    }
    const after = owned().filter(isCurrent).length;
    if (after !== before) {
      this.recordEvent(workload, after > before ? 'up' : 'down', hash, after);
    }
    // Pods whose delay has passed become ready.
    let nextWake = Infinity;
    for (const pod of owned().filter(isCurrent)) {
      if (isReady(pod)) {
        continue;
      }
      const readyAt =
        this.podReadyAt.get(`${namespace}/${pod.metadata.name}`) ??
        (broken ? Infinity : now);
      if (readyAt <= now) {
        this.update('pods', namespace, pod.metadata.name, {
          ...clone(pod),
          metadata: { ...clone(pod.metadata), resourceVersion: undefined },
          status: podStatus(true, pod.status),
        });
      } else {
        nextWake = Math.min(nextWake, readyAt);
      }
    }
    // Old pods go once every current pod is ready (a rollout never lowers
    // availability, so a broken rollout leaves the old pods serving).
    const current = owned().filter(isCurrent);
    const currentReady = current.filter(isReady);
    const old = owned().filter(pod => !isCurrent(pod));
    if (currentReady.length >= replicas && old.length > 0) {
      old.forEach(deletePod);
      const oldHash = old[0].metadata.labels?.['pod-template-hash'];
      this.recordEvent(workload, 'down', oldHash, 0);
    }

    const pods = owned();
    const ready = pods.filter(isReady);
    const complete =
      currentReady.length === replicas && pods.length === replicas;
    const deadlineMs =
      (workload.spec?.progressDeadlineSeconds ?? 600) *
      1000 *
      this.progressDeadlineScale;
    const exceeded = !complete && now - rollout.since >= deadlineMs;
    if (!complete && !exceeded) {
      nextWake = Math.min(nextWake, rollout.since + deadlineMs);
    }

    const previous: JsonObject = workload.status ?? {};
    const status: JsonObject = {
      observedGeneration: workload.metadata.generation,
      replicas: pods.length,
      updatedReplicas: current.length,
      readyReplicas: ready.length,
      availableReplicas: ready.length,
    };
    if (resource === 'deployments') {
      if (ready.length < pods.length) {
        status.unavailableReplicas = pods.length - ready.length;
      }
      const replicaSet = `${name}-${hash}`;
      let progressing: [string, string, string];
      if (complete) {
        progressing = [
          'True',
          'NewReplicaSetAvailable',
          `ReplicaSet "${replicaSet}" has successfully progressed.`,
        ];
      } else if (exceeded) {
        progressing = [
          'False',
          'ProgressDeadlineExceeded',
          `ReplicaSet "${replicaSet}" has timed out progressing.`,
        ];
      } else {
        progressing = [
          'True',
          'ReplicaSetUpdated',
          `ReplicaSet "${replicaSet}" is progressing.`,
        ];
      }
      const available: [string, string, string] =
        ready.length >= replicas
          ? [
              'True',
              'MinimumReplicasAvailable',
              'Deployment has minimum availability.',
            ]
          : [
              'False',
              'MinimumReplicasUnavailable',
              'Deployment does not have minimum availability.',
            ];
      status.conditions = [
        condition(previous, 'Available', available),
        condition(previous, 'Progressing', progressing),
      ];
    } else {
      status.currentReplicas = current.length;
      status.currentRevision = complete
        ? `${name}-${hash}`
        : previous.currentRevision ?? `${name}-${hash}`;
      status.updateRevision = `${name}-${hash}`;
    }
    if (JSON.stringify(status) !== JSON.stringify(previous)) {
      this.update(resource, namespace, name, {
        ...clone(workload),
        metadata: { ...clone(workload.metadata), resourceVersion: undefined },
        status,
      });
    }
    if (nextWake !== Infinity) {
      this.schedule(resource, namespace, name, nextWake - Date.now());
    }
  }

  /** Records a ScalingReplicaSet event (core/v1 Event) for a workload. */
  private recordEvent(
    workload: JsonObject,
    direction: 'up' | 'down',
    hash: string,
    count: number,
  ) {
    const { name, namespace, uid } = workload.metadata;
    const now = timestamp();
    const isDeployment = workload.kind === 'Deployment';
    this.create('events', namespace, {
      metadata: {
        name: `${name}.${randomUUID().replace(/-/g, '').slice(0, 16)}`,
        namespace,
      },
      involvedObject: {
        kind: workload.kind,
        namespace,
        name,
        uid,
        apiVersion: GROUP_VERSION,
        resourceVersion: workload.metadata.resourceVersion,
      },
      reason: isDeployment
        ? 'ScalingReplicaSet'
        : `Successful${direction === 'up' ? 'Create' : 'Delete'}`,
      message: isDeployment
        ? `Scaled ${direction} replica set ${name}-${hash} to ${count}`
        : `${
            direction === 'up' ? 'create' : 'delete'
          } Pods of StatefulSet ${name}: ${count} current`,
      source: {
        component: isDeployment
          ? 'deployment-controller'
          : 'statefulset-controller',
      },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type: 'Normal',
    });
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

  /** Ready pods, with their owner and images and since when they serve. */
  private servingPods(): ServingPod[] {
    const pods: ServingPod[] = [];
    for (const pod of this.store('pods').values()) {
      const ready = (pod.status?.conditions ?? []).some(
        (c: JsonObject) => c.type === 'Ready' && c.status === 'True',
      );
      if (!ready) continue;
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      const scheduled = this.podReadyAt.get(key);
      pods.push({
        namespace: pod.metadata.namespace,
        name: pod.metadata.name,
        workload:
          (pod.metadata.ownerReferences ?? [])[0]?.name ?? pod.metadata.name,
        images: (pod.spec?.containers ?? []).map(
          (c: JsonObject) => c.image as string,
        ),
        readySince:
          scheduled !== undefined && Number.isFinite(scheduled)
            ? scheduled
            : Date.parse(pod.metadata.creationTimestamp) || Date.now(),
      });
    }
    return pods;
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    try {
      // The pods' own metrics endpoint (see podMetrics.ts), open as an application's usually
      // is, for Prometheus to scrape: not part of the API server, so no token.
      if (req.method === 'GET' && req.url === '/metrics') {
        const text = renderPodMetrics(this.servingPods(), Date.now());
        res.writeHead(200, {
          'Content-Type': 'text/plain; version=0.0.4',
          'Content-Length': Buffer.byteLength(text),
        });
        res.end(text);
        return;
      }
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${this.token}`) {
        throw new StatusError(401, 'Unauthorized', 'Unauthorized');
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      const faults = this.faults;
      if (faults.dropConnections) {
        req.socket.destroy();
        return;
      }
      if (faults.latencyMs) {
        await new Promise(resolve => setTimeout(resolve, faults.latencyMs));
      }
      const failure = faults.failNext;
      if (
        failure &&
        failure.count > 0 &&
        (!failure.path || url.pathname.includes(failure.path))
      ) {
        failure.count -= 1;
        const tooMany = failure.status === 429;
        const code = tooMany ? 429 : 500;
        const body = tooMany
          ? statusBody(
              429,
              'TooManyRequests',
              'Too many requests, please try again later.',
              {
                retryAfterSeconds: failure.retryAfterSeconds ?? 1,
              },
            )
          : statusBody(
              500,
              'InternalError',
              'Internal error occurred: injected fault',
            );
        const text = JSON.stringify(body);
        res.writeHead(code, {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(text),
          ...(tooMany
            ? { 'Retry-After': String(failure.retryAfterSeconds ?? 1) }
            : {}),
        });
        res.end(text);
        return;
      }
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
      const answer = discovery(path);
      if (answer) {
        return { code: 200, body: answer };
      }
    }

    let groupVersion: string;
    let rest: string[];
    if (parts[0] === 'api' && parts[1] === 'v1') {
      groupVersion = 'v1';
      rest = parts.slice(2);
    } else if (
      parts[0] === 'apis' &&
      parts[1] === GROUP &&
      parts[2] === VERSION
    ) {
      groupVersion = GROUP_VERSION;
      rest = parts.slice(3);
    } else {
      throw new StatusError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    }
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest.splice(0, 2);
    }
    const resourceName = rest[0];
    if (
      !isResourceName(resourceName) ||
      RESOURCES[resourceName].apiVersion !== groupVersion ||
      rest.length > (isWorkload(resourceName) ? 3 : 2)
    ) {
      throw new StatusError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    }
    const resource: ResourceName = resourceName;
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
        const items = this.list(resource, namespace, matches);
        if (wantsTable(req.headers.accept)) {
          return {
            code: 200,
            body: toTable(RESOURCES[resource].kind, items, {
              now: Date.now(),
              resourceVersion: String(this.currentResourceVersion),
              includeObject: url.searchParams.get('includeObject'),
            }),
          };
        }
        return {
          code: 200,
          body: {
            kind: RESOURCES[resource].listKind,
            apiVersion: RESOURCES[resource].apiVersion,
            metadata: { resourceVersion: this.currentResourceVersion },
            items,
          },
        };
      }
      if (method === 'POST' && namespace && RESOURCES[resource].creatable) {
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

    if (method === 'GET' && !subresource && wantsTable(req.headers.accept)) {
      return {
        code: 200,
        body: toTable(
          RESOURCES[resource].kind,
          [clone(this.get(resource, namespace, name))],
          {
            now: Date.now(),
            includeObject: url.searchParams.get('includeObject'),
          },
        ),
      };
    }

    if (!isWorkload(resource)) {
      // core/v1 objects are read-only here (pods belong to the controller).
      if (method === 'GET') {
        return { code: 200, body: clone(this.get(resource, namespace, name)) };
      }
      throw notAllowed();
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
    // kubectl get -w asks for Tables: each event's object is a one-row Table, the column
    // definitions only in the first (as the API server sends them).
    const asTable = wantsTable(req.headers.accept);
    let columnsSent = false;
    const watcher: Watcher = {
      resource,
      namespace,
      matches,
      send: (type, object) => {
        if (closed) return;
        let sent = object;
        if (asTable && type !== 'BOOKMARK' && type !== 'ERROR') {
          sent = toTable(RESOURCES[resource].kind, [object], {
            now: Date.now(),
            resourceVersion: object.metadata?.resourceVersion,
            includeObject: url.searchParams.get('includeObject'),
            withColumns: !columnsSent,
          });
          columnsSent = true;
        }
        res.write(`${JSON.stringify({ type, object: sent })}\n`);
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
          apiVersion: RESOURCES[resource].apiVersion,
          metadata: { resourceVersion: this.currentResourceVersion },
        });
        bookmarkTimer = setTimeout(bookmark, this.bookmarkIntervalMs);
      };
      bookmarkTimer = setTimeout(bookmark, this.bookmarkIntervalMs);
    }
  }
}
