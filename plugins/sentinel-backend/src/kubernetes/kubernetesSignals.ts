import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { KubernetesSignals } from '@internal/backstage-plugin-sentinel-node';

/**
 * What Kubernetes says about a workload's health, from its object and its pods as the API
 * server returns them: the signals `scoreInterval` treats as critical checks. `restartsBefore`
 * is the pods' restart count at the start of the interval (restarts are counted within it).
 */
export function kubernetesSignals(
  workload: Pick<V1Deployment, 'spec' | 'status'>,
  pods: Pick<V1Pod, 'status'>[],
  restartsBefore = 0,
): KubernetesSignals & { restartCount: number } {
  const statuses = pods.flatMap(p => [
    ...(p.status?.initContainerStatuses ?? []),
    ...(p.status?.containerStatuses ?? []),
  ]);
  const restartCount = statuses.reduce(
    (sum, s) => sum + (s.restartCount ?? 0),
    0,
  );
  const desired = workload.spec?.replicas ?? 1;
  const ready = workload.status?.readyReplicas ?? 0;
  return {
    readyRatio: desired > 0 ? Math.min(1, ready / desired) : 1,
    restarts: Math.max(0, restartCount - restartsBefore),
    restartCount,
    oomKilled: statuses.some(
      s =>
        s.lastState?.terminated?.reason === 'OOMKilled' ||
        s.state?.terminated?.reason === 'OOMKilled',
    ),
    crashLoopBackOff: statuses.some(
      s => s.state?.waiting?.reason === 'CrashLoopBackOff',
    ),
    progressDeadlineExceeded: (workload.status?.conditions ?? []).some(
      c =>
        c.type === 'Progressing' &&
        c.status === 'False' &&
        c.reason === 'ProgressDeadlineExceeded',
    ),
  };
}
