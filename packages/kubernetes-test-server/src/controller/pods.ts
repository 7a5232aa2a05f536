import type { JsonObject } from '../patch';
import { timestamp } from '../objects';

/**
 * Pod template annotation: how long the controller's pods of this workload take to get ready.
 *
 * @public
 */
export const READY_AFTER_ANNOTATION = 'test.sentinel.io/ready-after-ms';

/** A pod status: Running, with a Ready condition. */
export function podStatus(ready: boolean, previous?: JsonObject): JsonObject {
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

export function isReady(pod: JsonObject): boolean {
  return (pod.status?.conditions ?? []).some(
    (c: JsonObject) => c.type === 'Ready' && c.status === 'True',
  );
}

/** Whether pods of this template never get ready: an image ending in `-broken`. */
export function isBroken(template: JsonObject): boolean {
  return [
    ...(template.spec?.containers ?? []),
    ...(template.spec?.initContainers ?? []),
  ].some(
    (c: JsonObject) =>
      typeof c.image === 'string' && c.image.endsWith('-broken'),
  );
}

/** How long pods of this template take to get ready (ms). */
export function readyDelay(template: JsonObject, fallbackMs: number): number {
  return Number(
    template.metadata?.annotations?.[READY_AFTER_ANNOTATION] ?? fallbackMs,
  );
}

/** A new, not yet ready pod of `template`, owned by `owner`. */
export function newPod(
  name: string,
  namespace: string,
  template: JsonObject,
  hash: string,
  owner: JsonObject,
): JsonObject {
  return {
    metadata: {
      name,
      namespace,
      labels: {
        ...(template.metadata?.labels ?? {}),
        'pod-template-hash': hash,
      },
      ownerReferences: [controllerReference(owner)],
    },
    spec: JSON.parse(JSON.stringify(template.spec ?? {})),
    status: podStatus(false),
  };
}

/** The ownerReferences entry naming `owner` as the controller of an object. */
export function controllerReference(owner: JsonObject): JsonObject {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Whether `object` names `owner` (by uid) as its controller. */
export function isControlledBy(object: JsonObject, owner: JsonObject): boolean {
  return (object.metadata?.ownerReferences ?? []).some(
    (ref: JsonObject) => ref.controller && ref.uid === owner.metadata.uid,
  );
}
