import { createHash } from 'node:crypto';
import type { JsonObject } from '../patch';
import { isObject } from '../objects';
import { controllerReference } from './pods';

/**
 * The ReplicaSets a Deployment keeps, one per pod template it has run, as the
 * deployment controller writes them: named `<deployment>-<hash>`, labelled
 * `pod-template-hash`, numbered by the revision annotation. kubectl's
 * `rollout history` lists them and `rollout undo` copies one's template back.
 */

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
const HASH_LABEL = 'pod-template-hash';

/** Deployment annotations its ReplicaSets do not copy (kubectl's undo keeps them too). */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  'deployment.kubernetes.io/max-replicas',
]);

/**
 * The template without what decoding and encoding it through Go types
 * changes (`creationTimestamp: null`, `resources: {}`, empty lists), keys
 * sorted: a template read back by kubectl's `rollout undo` hashes as before.
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(canonical);
  }
  if (!isObject(value)) {
    return value;
  }
  const entries = Object.keys(value)
    .sort()
    .map(key => [key, canonical(value[key])] as const)
    .filter(
      ([, item]) =>
        item !== null &&
        !(Array.isArray(item) && item.length === 0) &&
        !(isObject(item) && Object.keys(item).length === 0),
    );
  return Object.fromEntries(entries);
}

/** 10 hex digits naming a pod template: the `pod-template-hash` label. */
export function templateHash(template: JsonObject): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(template)))
    .digest('hex')
    .slice(0, 10);
}

export function hashOf(object: JsonObject): string | undefined {
  return object.metadata?.labels?.[HASH_LABEL];
}

export function revisionOf(replicaSet: JsonObject): number {
  return Number(replicaSet.metadata?.annotations?.[REVISION] ?? 0) || 0;
}

/**
 * The ReplicaSet's annotations at `revision`: the Deployment's own copied,
 * and, when a ReplicaSet rolled back to moves to a newer revision, its
 * earlier ones kept in the revision history (as the deployment controller
 * does).
 */
export function replicaSetAnnotations(
  deployment: JsonObject,
  revision: number,
  previous: Record<string, string> = {},
): Record<string, string> {
  const copied = Object.entries<string>(
    deployment.metadata.annotations ?? {},
  ).filter(([key]) => !NOT_COPIED.has(key));
  const before = Number(previous[REVISION] ?? 0);
  let history = previous[REVISION_HISTORY];
  if (before && before < revision) {
    history = history ? `${history},${before}` : String(before);
  }
  return {
    ...Object.fromEntries(copied),
    [DESIRED_REPLICAS]: String(deployment.spec?.replicas ?? 1),
    [REVISION]: String(revision),
    ...(history ? { [REVISION_HISTORY]: history } : {}),
  };
}

/** A new ReplicaSet for the Deployment's current template. */
export function newReplicaSet(
  deployment: JsonObject,
  hash: string,
  revision: number,
): JsonObject {
  const template: JsonObject = deployment.spec?.template ?? {};
  const labels = { ...(template.metadata?.labels ?? {}), [HASH_LABEL]: hash };
  const selector: JsonObject = deployment.spec?.selector ?? {};
  return {
    metadata: {
      name: `${deployment.metadata.name}-${hash}`,
      namespace: deployment.metadata.namespace,
      labels,
      annotations: replicaSetAnnotations(deployment, revision),
      ownerReferences: [controllerReference(deployment)],
    },
    spec: {
      replicas: 0,
      selector: {
        ...selector,
        matchLabels: { ...(selector.matchLabels ?? {}), [HASH_LABEL]: hash },
      },
      template: {
        ...template,
        metadata: { ...(template.metadata ?? {}), labels },
      },
    },
    status: { replicas: 0 },
  };
}

/** The ReplicaSet's status for its pods. */
export function replicaSetStatus(
  replicaSet: JsonObject,
  pods: number,
  ready: number,
): JsonObject {
  return {
    replicas: pods,
    fullyLabeledReplicas: pods,
    readyReplicas: ready,
    availableReplicas: ready,
    observedGeneration: replicaSet.metadata.generation,
  };
}

/**
 * The old ReplicaSets to delete beyond `spec.revisionHistoryLimit` (10 by
 * default): the oldest revisions among those scaled to zero with no pods.
 */
export function beyondHistoryLimit(
  deployment: JsonObject,
  old: Array<{ replicaSet: JsonObject; pods: number }>,
): JsonObject[] {
  const limit: number = deployment.spec?.revisionHistoryLimit ?? 10;
  const idle = old
    .filter(({ replicaSet, pods }) => pods === 0 && !replicaSet.spec?.replicas)
    .map(({ replicaSet }) => replicaSet)
    .sort((a, b) => revisionOf(a) - revisionOf(b));
  return idle.slice(0, Math.max(0, idle.length - limit));
}
