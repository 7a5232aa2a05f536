import { randomUUID } from 'node:crypto';
import type { JsonObject } from '../patch';
import { timestamp } from '../objects';

/**
 * The core/v1 Event a workload controller records when it scales: Deployments
 * `ScalingReplicaSet` ("Scaled up replica set web-<hash> to 4"), StatefulSets
 * `SuccessfulCreate` / `SuccessfulDelete`.
 */
export function scalingEvent(
  workload: JsonObject,
  direction: 'up' | 'down',
  replicaSet: string,
  count: number,
): JsonObject {
  const { name, namespace, uid } = workload.metadata;
  const now = timestamp();
  const isDeployment = workload.kind === 'Deployment';
  return {
    metadata: {
      name: `${name}.${randomUUID().replace(/-/g, '').slice(0, 16)}`,
      namespace,
    },
    involvedObject: {
      kind: workload.kind,
      namespace,
      name,
      uid,
      apiVersion: workload.apiVersion,
      resourceVersion: workload.metadata.resourceVersion,
    },
    reason: isDeployment
      ? 'ScalingReplicaSet'
      : `Successful${direction === 'up' ? 'Create' : 'Delete'}`,
    message: isDeployment
      ? `Scaled ${direction} replica set ${replicaSet} to ${count}`
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
  };
}
