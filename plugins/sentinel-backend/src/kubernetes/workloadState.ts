import { type V1Deployment, type V1StatefulSet } from '@kubernetes/client-node';
import type { WorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import type {
  RolloutStatus,
  WorkloadChange,
  WorkloadState,
} from '@internal/backstage-plugin-sentinel-node';

/** The pod template annotation `kubectl rollout restart` sets. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** The two kinds of workload Sentinel changes. */
export type Workload = V1Deployment | V1StatefulSet;

/** As `kubectl rollout status` judges it. Pure. */
export function rolloutStatusOf(
  ref: WorkloadRef,
  workload: Workload,
): RolloutStatus {
  const desired = workload.spec?.replicas ?? 1;
  const status = workload.status;
  const observed =
    (status?.observedGeneration ?? 0) >= (workload.metadata?.generation ?? 0);
  if (ref.kind === 'Deployment') {
    const progressing = (workload as V1Deployment).status?.conditions?.find(
      c => c.type === 'Progressing',
    );
    if (progressing?.reason === 'ProgressDeadlineExceeded') {
      return {
        state: 'failed',
        reason: `progress deadline exceeded${
          progressing.message ? `: ${progressing.message}` : ''
        }`,
      };
    }
    const s = (workload as V1Deployment).status;
    const done =
      observed &&
      (s?.updatedReplicas ?? 0) === desired &&
      (s?.availableReplicas ?? 0) === desired &&
      (s?.replicas ?? 0) === desired;
    return { state: done ? 'complete' : 'progressing' };
  }
  const s = (workload as V1StatefulSet).status;
  const done =
    observed &&
    (s?.readyReplicas ?? 0) === desired &&
    (s?.updatedReplicas ?? desired) === desired &&
    (!s?.updateRevision || s.updateRevision === s.currentRevision);
  return { state: done ? 'complete' : 'progressing' };
}

/** The pod template part of a change (every verb but scale). Pure. */
export function templatePatch(
  change: Exclude<WorkloadChange, { verb: 'scale' }>,
) {
  switch (change.verb) {
    case 'restart':
      return {
        metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: change.at } },
      };
    case 'rollout':
      return {
        spec: {
          containers: Object.entries(change.containers).map(([name, c]) => ({
            name,
            image: c.image,
          })),
        },
      };
    case 'set_resources':
      return {
        spec: {
          containers: Object.entries(change.containers).map(([name, r]) => ({
            name,
            resources: r,
          })),
        },
      };
    default:
      throw new Error(`unknown verb ${(change as { verb: string }).verb}`);
  }
}

/** What Sentinel reads of a Deployment or StatefulSet object. */
export function toState(ref: WorkloadRef, workload: Workload): WorkloadState {
  const template = workload.spec?.template;
  const restartedAt =
    template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION];
  return {
    ref,
    resourceVersion: workload.metadata?.resourceVersion ?? '',
    replicas: workload.spec?.replicas ?? 1,
    containers: (template?.spec?.containers ?? []).map(c => ({
      name: c.name,
      image: c.image ?? '',
      resources: {
        ...(c.resources?.requests && { requests: { ...c.resources.requests } }),
        ...(c.resources?.limits && { limits: { ...c.resources.limits } }),
      } as WorkloadState['containers'][number]['resources'],
    })),
    ...(restartedAt !== undefined && { restartedAt }),
  };
}
