import type { JsonObject } from '../patch';
import { timestamp } from '../objects';

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

/** Where a workload's rollout stands, as the controller counted its pods. */
export interface RolloutCounts {
  /** spec.replicas */
  replicas: number;
  /** All pods, of every template. */
  pods: number;
  /** Pods of the current template. */
  updated: number;
  ready: number;
  /** Every pod is of the current template and ready. */
  complete: boolean;
  /** The rollout has not completed within its progress deadline. */
  exceeded: boolean;
}

export function deploymentStatus(
  workload: JsonObject,
  counts: RolloutCounts,
  replicaSet: string,
): JsonObject {
  const previous: JsonObject = workload.status ?? {};
  const status: JsonObject = {
    observedGeneration: workload.metadata.generation,
    replicas: counts.pods,
    updatedReplicas: counts.updated,
    readyReplicas: counts.ready,
    availableReplicas: counts.ready,
  };
  if (counts.ready < counts.pods) {
    status.unavailableReplicas = counts.pods - counts.ready;
  }
  let progressing: [string, string, string];
  if (counts.complete) {
    progressing = [
      'True',
      'NewReplicaSetAvailable',
      `ReplicaSet "${replicaSet}" has successfully progressed.`,
    ];
  } else if (counts.exceeded) {
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
    counts.ready >= counts.replicas
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
  return status;
}

export function statefulSetStatus(
  workload: JsonObject,
  counts: RolloutCounts,
  revision: string,
): JsonObject {
  const previous: JsonObject = workload.status ?? {};
  return {
    observedGeneration: workload.metadata.generation,
    replicas: counts.pods,
    updatedReplicas: counts.updated,
    readyReplicas: counts.ready,
    availableReplicas: counts.ready,
    currentReplicas: counts.updated,
    currentRevision: counts.complete
      ? revision
      : previous.currentRevision ?? revision,
    updateRevision: revision,
  };
}
