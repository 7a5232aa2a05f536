import { randomUUID } from 'node:crypto';
import type { JsonObject } from './patch';
import { clone, isObject, timestamp } from './objects';
import { qualified, RESOURCES, type ResourceName } from './resources';
import { badRequest, StatusError } from './status';

/**
 * A watch event type as sent on the wire.
 *
 * @public
 */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** A change as the store records it: for watches (live and replayed) and the controller. */
export interface StoredEvent {
  resourceVersion: number;
  resource: ResourceName;
  type: WatchEventType;
  object: JsonObject;
  /** For MODIFIED: the object before the change (selectors may stop or start matching). */
  previous?: JsonObject;
}

export function notFound(resource: ResourceName, name: string): StatusError {
  return new StatusError(
    404,
    'NotFound',
    `${qualified(resource)} "${name}" not found`,
    { name, group: RESOURCES[resource].group, kind: resource },
  );
}

export function conflict(resource: ResourceName, name: string): StatusError {
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
 * The objects the server holds, by resource, namespace and name, with one
 * global resourceVersion that every write bumps and a bounded history of
 * changes for watches that resume. Objects go in and come out as copies;
 * `find` and `get` return the stored object itself, which callers must not
 * change.
 */
export class ObjectStore {
  private readonly objects = new Map<ResourceName, Map<string, JsonObject>>();
  private readonly history: StoredEvent[] = [];
  private readonly listeners = new Set<(event: StoredEvent) => void>();
  /**
   * Starts at 1, as if a bootstrap write had happened, so that a list from an
   * empty server never answers resourceVersion "0" (which means "any" in a watch).
   */
  private resourceVersion = 1;
  /** The newest resourceVersion whose event was dropped from the history. */
  private compactedResourceVersion = 0;

  constructor(private readonly historyLimit: number) {}

  /** The current (newest) resourceVersion. */
  get currentResourceVersion(): string {
    return String(this.resourceVersion);
  }

  /** Calls `listener` after every write, in order; returns the unsubscribe function. */
  subscribe(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The stored object (not a copy), or undefined. */
  find(
    resource: ResourceName,
    namespace: string,
    name: string,
  ): JsonObject | undefined {
    return this.table(resource).get(`${namespace}/${name}`);
  }

  /** The stored object (not a copy); NotFound when there is none. */
  get(resource: ResourceName, namespace: string, name: string): JsonObject {
    const object = this.find(resource, namespace, name);
    if (!object) {
      throw notFound(resource, name);
    }
    return object;
  }

  /** The stored objects (not copies) of a resource, of one namespace or all, in no order. */
  scan(resource: ResourceName, namespace?: string): JsonObject[] {
    const all = [...this.table(resource).values()];
    return namespace
      ? all.filter(o => o.metadata.namespace === namespace)
      : all;
  }

  /** Copies of the matching objects, ordered by namespace and name. */
  list(
    resource: ResourceName,
    namespace?: string,
    matches: (object: JsonObject) => boolean = () => true,
  ): JsonObject[] {
    return [...this.table(resource).values()]
      .filter(o => !namespace || o.metadata.namespace === namespace)
      .filter(matches)
      .sort((a, b) =>
        `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
          `${b.metadata.namespace}/${b.metadata.name}`,
        ),
      )
      .map(clone);
  }

  /**
   * Stores a new object: uid, resourceVersion, generation 1 and
   * creationTimestamp are the server's; status is dropped unless `keepStatus`
   * (objects seeded in process, and the controller's own).
   */
  create(
    resource: ResourceName,
    requestNamespace: string,
    body: unknown,
    keepStatus = false,
  ): JsonObject {
    const type = RESOURCES[resource];
    // Cluster-scoped objects (Namespaces, ClusterRoles) are kept under namespace ''.
    const namespace = type.namespaced ? requestNamespace : '';
    if (!isObject(body)) {
      throw badRequest('the body must be an object');
    }
    const metadata: JsonObject = isObject(body.metadata)
      ? clone(body.metadata)
      : {};
    if (!type.namespaced) {
      // As the API server does: a namespace given for a cluster-scoped object is cleared.
      delete metadata.namespace;
    } else if (metadata.namespace && metadata.namespace !== namespace) {
      throw badRequest(
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
    if (this.find(resource, namespace, metadata.name)) {
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
        ...(type.namespaced && { namespace }),
        uid: randomUUID(),
        resourceVersion: this.nextResourceVersion(),
        generation: 1,
        creationTimestamp: timestamp(),
      },
    };
    if (type.hasSpec) {
      object.spec = isObject(body.spec) ? clone(body.spec) : {};
      object.status =
        keepStatus && isObject(body.status) ? clone(body.status) : {};
      if (resource === 'namespaces' && !keepStatus) {
        object.status = { phase: 'Active' };
      }
    }
    this.table(resource).set(`${namespace}/${metadata.name}`, object);
    this.record(resource, 'ADDED', object);
    return clone(object);
  }

  /**
   * Stores an object of the server's initial state (its bootstrap RBAC policy) as if it had
   * always been there: at resourceVersion 1, the one an empty server lists, with no watch
   * event and no new resourceVersion, so that the first write is still "2".
   */
  bootstrap(resource: ResourceName, body: JsonObject): void {
    const type = RESOURCES[resource];
    const namespace = type.namespaced ? body.metadata.namespace : '';
    this.table(resource).set(`${namespace}/${body.metadata.name}`, {
      ...clone(body),
      apiVersion: type.apiVersion,
      kind: type.kind,
      metadata: {
        ...clone(body.metadata),
        uid: randomUUID(),
        resourceVersion: '1',
        creationTimestamp: timestamp(),
      },
    });
  }

  /**
   * Replaces a stored object with `next` (already validated), honouring a
   * resourceVersion in `next` as a precondition; `generation` goes up when
   * `spec` changes.
   */
  update(
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
    const namespaced = RESOURCES[resource].namespaced;
    const { namespace: _given, ...given } = isObject(next.metadata)
      ? next.metadata
      : ({} as JsonObject);
    const object: JsonObject = {
      ...clone(next),
      apiVersion: RESOURCES[resource].apiVersion,
      kind: RESOURCES[resource].kind,
      metadata: clone({
        // Kept unless the update sets them, as the API server does.
        managedFields: current.metadata.managedFields,
        ...given,
        name,
        ...(namespaced && { namespace }),
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        generation: current.metadata.generation + (specChanged ? 1 : 0),
        resourceVersion: this.nextResourceVersion(),
      }),
    };
    this.table(resource).set(`${namespace}/${name}`, object);
    this.record(resource, 'MODIFIED', object, current);
    return clone(object);
  }

  /** Deletes an object, honouring `DeleteOptions.preconditions`; returns it as deleted. */
  remove(
    resource: ResourceName,
    namespace: string,
    name: string,
    options?: unknown,
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
    this.table(resource).delete(`${namespace}/${name}`);
    const deleted = clone(current);
    deleted.metadata.resourceVersion = this.nextResourceVersion();
    this.record(resource, 'DELETED', deleted);
    return clone(deleted);
  }

  /**
   * The retained events newer than `from`; a `410 Expired` StatusError when
   * some of them were already dropped from the history.
   */
  eventsAfter(from: number): StoredEvent[] {
    if (from < this.compactedResourceVersion) {
      throw new StatusError(
        410,
        'Expired',
        `too old resource version: ${from} (${
          this.compactedResourceVersion + 1
        })`,
      );
    }
    return this.history.filter(event => event.resourceVersion > from);
  }

  private table(resource: ResourceName): Map<string, JsonObject> {
    let table = this.objects.get(resource);
    if (!table) {
      table = new Map();
      this.objects.set(resource, table);
    }
    return table;
  }

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
    for (const listener of this.listeners) {
      listener(event);
    }
  }
}
