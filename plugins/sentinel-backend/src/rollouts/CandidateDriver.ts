import type { WorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import type {
  ClusterDriver,
  RolloutStatus,
} from '@internal/backstage-plugin-sentinel-node';
import type { KubernetesSignals } from '../health/healthScore';

/** Labels every candidate workload carries: whose it is, and which rollout made it. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const CANDIDATE_LABEL = 'sentinel.io/candidate';
export const ROLLOUT_ID_ANNOTATION = 'sentinel.io/rollout-id';

/**
 * The rollout cannot go on as asked (no Service to switch, a candidate name taken by a
 * Deployment that is not Sentinel's): the controller aborts it rather than retrying.
 */
export class RolloutRefusal extends Error {
  name = 'RolloutRefusal';
}

/** The label Kubernetes gives each pod after its template; pins a Service to one version. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** A Service and its selector, as blue/green switches it. */
export interface ServiceSelector {
  name: string;
  selector: Record<string, string>;
}

/** The workload a progressive rollout creates beside the stable one. */
export interface CandidateSpec {
  /** `<name>-canary` or `<name>-green`. */
  name: string;
  rolloutId: string;
  containers: Record<string, { image: string }>;
  replicas: number;
}

/**
 * What progressive rollouts need of a cluster beyond plain changes: a candidate workload
 * copied from the stable one, its health, and its removal. Every call is idempotent, so a
 * step repeated after a crash does no harm.
 */
export interface CandidateDriver extends ClusterDriver {
  /**
   * Creates the candidate as a copy of `stable` (same pod labels, so the stable Service also
   * sends it traffic in proportion to its replicas) with the new images and `replicas`, or
   * sets its images and replicas when it exists.
   */
  ensureCandidate(stable: WorkloadRef, spec: CandidateSpec): Promise<void>;
  /** Deletes the candidate; one already gone is fine. */
  removeCandidate(ref: WorkloadRef): Promise<void>;
  /** Whether the workload's latest change is out (all replicas ready). */
  rolloutStatus(ref: WorkloadRef): Promise<RolloutStatus>;
  /**
   * Kubernetes's view of a workload's health: ready ratio, restarts since `restartsBefore`,
   * OOMKilled, CrashLoopBackOff, ProgressDeadlineExceeded. Undefined when it does not exist.
   */
  healthSignals(
    ref: WorkloadRef,
    restartsBefore?: number,
  ): Promise<(KubernetesSignals & { restartCount: number }) | undefined>;
  /**
   * The `pod-template-hash` of the workload's ready pods (its current version), leaving out
   * candidates' pods; undefined while none is ready.
   */
  podTemplateHash(ref: WorkloadRef): Promise<string | undefined>;
  /**
   * The Service in the workload's namespace that sends traffic to its pods (its selector,
   * without a pin to one version, matches the pod labels); undefined when none does.
   */
  findService(ref: WorkloadRef): Promise<ServiceSelector | undefined>;
  /** Replaces a Service's selector (one write: the blue/green switch). */
  setServiceSelector(
    namespace: string,
    service: ServiceSelector,
  ): Promise<void>;
}

export function isCandidateDriver(
  driver: ClusterDriver | undefined,
): driver is CandidateDriver {
  return (
    !!driver &&
    typeof (driver as Partial<CandidateDriver>).ensureCandidate ===
      'function' &&
    typeof (driver as Partial<CandidateDriver>).removeCandidate ===
      'function' &&
    typeof (driver as Partial<CandidateDriver>).healthSignals === 'function'
  );
}
