import type { JsonObject } from './patch';
import { clone, isObject } from './objects';
import type { ResourceName } from './resources';
import { badRequest, StatusError } from './status';
import type { ObjectStore } from './store';

/** The scale and status subresources of a stored object. */

/** The label selector of a workload, as the Scale subresource reports it. */
function selectorString(object: JsonObject): string {
  const labels: Record<string, string> =
    object.spec?.selector?.matchLabels ?? {};
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** A workload as its `autoscaling/v1` Scale. */
export function toScale(object: JsonObject): JsonObject {
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

/** Writes a Scale's `spec.replicas` to the workload; returns the new Scale. */
export function applyScale(
  store: ObjectStore,
  resource: ResourceName,
  namespace: string,
  name: string,
  scale: unknown,
): JsonObject {
  const current = store.get(resource, namespace, name);
  if (!isObject(scale) || !isObject(scale.spec)) {
    throw badRequest('the body must be a Scale');
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
  return toScale(store.update(resource, namespace, name, next));
}

/** Writes only the `status` of `body` to the object. */
export function applyStatus(
  store: ObjectStore,
  resource: ResourceName,
  namespace: string,
  name: string,
  body: unknown,
): JsonObject {
  const current = store.get(resource, namespace, name);
  if (!isObject(body)) {
    throw badRequest('the body must be an object');
  }
  const next = clone(current);
  next.metadata.resourceVersion =
    body.metadata?.resourceVersion ?? current.metadata.resourceVersion;
  next.status = isObject(body.status) ? clone(body.status) : {};
  return store.update(resource, namespace, name, next);
}
