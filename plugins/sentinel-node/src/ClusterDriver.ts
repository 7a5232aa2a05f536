import type { WorkloadRef } from '@internal/backstage-plugin-sentinel-common';

/** CPU and memory as Kubernetes quantities, e.g. `{ cpu: '250m', memory: '512Mi' }`. */
export interface ResourceList {
  cpu?: string;
  memory?: string;
}

/** Requests and limits of one container. */
export interface ResourceRequirements {
  requests?: ResourceList;
  limits?: ResourceList;
}

/** What Sentinel reads and changes of one container. */
export interface ContainerState {
  name: string;
  image: string;
  resources: ResourceRequirements;
}

/**
 * What Sentinel reads and changes of one workload. Taken before every change as the
 * snapshot a rollback restores.
 */
export interface WorkloadState {
  ref: WorkloadRef;
  /** The Kubernetes resourceVersion this state was read at. */
  resourceVersion: string;
  replicas: number;
  containers: ContainerState[];
  /** The pod template's restartedAt annotation, as `kubectl rollout restart` sets it. */
  restartedAt?: string;
}

/** One change to a workload, by verb. */
export type WorkloadChange =
  | { verb: 'scale'; replicas: number }
  | {
      verb: 'set_resources';
      containers: Record<string, ResourceRequirements>;
    }
  | { verb: 'restart'; at: string }
  | { verb: 'rollout'; containers: Record<string, { image: string }> };

/** Options of every write: optimistic concurrency against what Sentinel last read. */
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

/** How a workload's latest change is rolling out. */
export type RolloutStatus =
  | { state: 'progressing' | 'complete' }
  | { state: 'failed'; reason: string };

/** Options of a restore. */
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
}
