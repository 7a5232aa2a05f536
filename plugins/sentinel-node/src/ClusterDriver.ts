import type { WorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import type { CandidateOperations } from './candidates';

/**
 * CPU and memory as Kubernetes quantities, e.g. `{ cpu: '250m', memory: '512Mi' }`.
 *
 * @public
 */
export interface ResourceList {
  /** CPU, e.g. `250m` or `2`. */
  cpu?: string;
  /** Memory, e.g. `512Mi`. */
  memory?: string;
}

/**
 * Requests and limits of one container.
 *
 * @public
 */
export interface ResourceRequirements {
  /** What the container is guaranteed. */
  requests?: ResourceList;
  /** What the container may use at most. */
  limits?: ResourceList;
}

/**
 * What Sentinel reads and changes of one container.
 *
 * @public
 */
export interface ContainerState {
  /** The container's name in the pod template. */
  name: string;
  /** The container's image reference. */
  image: string;
  /** The container's requests and limits. */
  resources: ResourceRequirements;
}

/**
 * What Sentinel reads and changes of one workload. Taken before every change as the
 * snapshot a rollback restores.
 *
 * @public
 */
export interface WorkloadState {
  /** Which workload this is. */
  ref: WorkloadRef;
  /** The Kubernetes resourceVersion this state was read at. */
  resourceVersion: string;
  /** The desired number of replicas. */
  replicas: number;
  /** The pod template's containers. */
  containers: ContainerState[];
  /** The pod template's restartedAt annotation, as `kubectl rollout restart` sets it. */
  restartedAt?: string;
}

/**
 * One change to a workload, by verb.
 *
 * @public
 */
export type WorkloadChange =
  | { verb: 'scale'; replicas: number }
  | {
      verb: 'set_resources';
      containers: Record<string, ResourceRequirements>;
    }
  | { verb: 'restart'; at: string }
  | { verb: 'rollout'; containers: Record<string, { image: string }> };

/**
 * Options of every write: optimistic concurrency against what Sentinel last read.
 *
 * @public
 */
export interface WriteOptions {
  /**
   * The resourceVersion the caller based its decision on. A write against a workload that has
   * changed since fails with a ConflictError instead of overwriting someone else's change.
   */
  expectedResourceVersion: string;
  /**
   * The workload as the caller read it (at `expectedResourceVersion`): lets a driver report
   * the state after the change without reading the workload again.
   */
  current?: WorkloadState;
}

/**
 * How a workload's latest change is rolling out.
 *
 * @public
 */
export type RolloutStatus =
  | { state: 'progressing' | 'complete' }
  | { state: 'failed'; reason: string };

/**
 * Options of a restore.
 *
 * @public
 */
export interface RestoreOptions {
  /** The workload as Sentinel's change left it. */
  expected: WorkloadState;
  /** Restore over drift (an admin's decision). */
  force?: boolean;
}

/**
 * Applies changes to the workloads of one cluster. The Kubernetes driver is the real one;
 * this package's `testUtils` entry point has an in-memory one for tests
 * (`InMemoryClusterDriver`).
 *
 * @public
 */
export interface ClusterDriver {
  /** The cluster name used in workload references. */
  readonly cluster: string;

  /** Reads a workload, or undefined when it does not exist. */
  getWorkload(ref: WorkloadRef): Promise<WorkloadState | undefined>;

  /** Applies one change and returns the state after it. */
  apply(
    ref: WorkloadRef,
    change: WorkloadChange,
    options: WriteOptions,
  ): Promise<WorkloadState>;

  /**
   * Puts a workload back exactly as a snapshot recorded it. `expected` is the state Sentinel's
   * own change left; a workload that differs from it (replicas, containers, restartedAt; not
   * merely its resourceVersion, which status updates bump) has drifted, and the restore fails
   * with a ConflictError unless `force` is set.
   */
  restore(
    snapshot: WorkloadState,
    options: RestoreOptions,
  ): Promise<WorkloadState>;

  /**
   * Whether the workload's latest change has rolled out (all replicas updated and available),
   * is still rolling out, or has failed (e.g. its progress deadline passed). Drivers without
   * rollouts (the in-memory one) leave it out, and changes count as done once applied.
   */
  rolloutStatus?(ref: WorkloadRef): Promise<RolloutStatus>;

  /**
   * Canary and blue/green rollouts on this cluster: a driver with these operations and
   * `rolloutStatus` runs them (see `supportsProgressiveRollouts`); without them Sentinel
   * refuses such a decision when the plan is submitted, naming the cluster.
   */
  readonly candidates?: CandidateOperations;
}
