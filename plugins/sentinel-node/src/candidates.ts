import type { WorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import type { ClusterDriver } from './ClusterDriver';

/**
 * Labels every candidate workload carries: whose it is, and which rollout made it.
 *
 * @public
 */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/**
 * The label that tells a candidate's pods apart from the stable workload's.
 *
 * @public
 */
export const CANDIDATE_LABEL = 'sentinel.io/candidate';
/**
 * The annotation naming the rollout that made a candidate.
 *
 * @public
 */
export const ROLLOUT_ID_ANNOTATION = 'sentinel.io/rollout-id';
/**
 * The label Kubernetes gives each pod after its template; pins a Service to one version.
 *
 * @public
 */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/**
 * The rollout cannot go on as asked (no Service to switch, a candidate name taken by a
 * workload that is not Sentinel's): the controller aborts it rather than retrying.
 *
 * @public
 */
export class RolloutRefusal extends Error {
  /** The error's name. */
  name = 'RolloutRefusal';
}

/**
 * Kubernetes' view of a workload's health, checked before any metric.
 *
 * @public
 */
export interface KubernetesSignals {
  /** Ready pods over desired ones. */
  readyRatio: number;
  /** Container restarts during the interval. */
  restarts: number;
  /** A container was killed for running out of memory. */
  oomKilled: boolean;
  /** A container is in CrashLoopBackOff. */
  crashLoopBackOff: boolean;
  /** The workload's rollout passed its progress deadline. */
  progressDeadlineExceeded: boolean;
}

/**
 * A Service and its selector, as blue/green switches it.
 *
 * @public
 */
export interface ServiceSelector {
  /** The Service's name, in the workload's namespace. */
  name: string;
  /** Its pod selector. */
  selector: Record<string, string>;
}

/**
 * The workload a progressive rollout creates beside the stable one.
 *
 * @public
 */
export interface CandidateSpec {
  /** `<name>-canary` or `<name>-green`. */
  name: string;
  /** The rollout that makes it (an annotation on the candidate). */
  rolloutId: string;
  /** The new image of each container, by container name. */
  containers: Record<string, { image: string }>;
  /** How many pods it runs. */
  replicas: number;
}

/**
 * What canary and blue/green rollouts need of a cluster beyond plain changes: a candidate
 * workload copied from the stable one, its health, its removal, and the Service in front of
 * both. Every call is idempotent, so a step repeated after a crash does no harm.
 *
 * @public
 */
export interface CandidateOperations {
  /**
   * Creates the candidate as a copy of `stable` (same pod labels, so the stable Service also
   * sends it traffic in proportion to its replicas, plus CANDIDATE_LABEL and MANAGED_BY_LABEL)
   * with the new images and `replicas`, or sets its images and replicas when it exists. A
   * workload of that name that is not Sentinel's is refused with a RolloutRefusal.
   */
  ensureCandidate(stable: WorkloadRef, spec: CandidateSpec): Promise<void>;
  /** Deletes the candidate; one already gone, or one that is not Sentinel's, is left alone. */
  removeCandidate(ref: WorkloadRef): Promise<void>;
  /**
   * The workload's health signals: ready ratio, restarts since `restartsBefore`, OOMKilled,
   * CrashLoopBackOff, ProgressDeadlineExceeded, and the pods' restart count now. Undefined
   * when the workload does not exist.
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
   * The Service in the workload's namespace that sends traffic to its pods, with its selector
   * as it was before any pin to one version; undefined when none does.
   */
  findService(ref: WorkloadRef): Promise<ServiceSelector | undefined>;
  /** Replaces a Service's selector (one write: the blue/green switch). */
  setServiceSelector(
    namespace: string,
    service: ServiceSelector,
  ): Promise<void>;
}

/**
 * A driver that can run canary and blue/green rollouts: it has both optional parts.
 *
 * @public
 */
export type ProgressiveClusterDriver = ClusterDriver &
  Required<Pick<ClusterDriver, 'candidates' | 'rolloutStatus'>>;

/**
 * Whether a driver can run canary and blue/green rollouts (see ClusterDriver.candidates).
 *
 * @public
 */
export function supportsProgressiveRollouts(
  driver: ClusterDriver | undefined,
): driver is ProgressiveClusterDriver {
  return !!driver?.candidates && typeof driver.rolloutStatus === 'function';
}
