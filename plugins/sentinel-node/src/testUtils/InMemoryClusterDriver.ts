import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  stringifyWorkloadRef,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
// Imported by package name, as users of this entry point do: its API report then refers to
// the main entry point's types instead of repeating them.
import type {
  ClusterDriver,
  RestoreOptions,
  WorkloadChange,
  WorkloadState,
  WriteOptions,
} from '@internal/backstage-plugin-sentinel-node';
import { applyChange, matchesSnapshot } from '../changes';

/**
 * A ClusterDriver over workloads held in memory, with Kubernetes' optimistic concurrency:
 * every write bumps the resourceVersion and refuses a stale one. For unit tests only.
 *
 * @public
 */
export class InMemoryClusterDriver implements ClusterDriver {
  readonly #workloads = new Map<string, WorkloadState>();
  #version = 0;

  constructor(
    /** The cluster name used in workload references. */
    readonly cluster: string,
    workloads: Omit<WorkloadState, 'resourceVersion'>[] = [],
  ) {
    for (const workload of workloads) {
      this.put(workload);
    }
  }

  /** Writes a workload as someone else would (e.g. `kubectl`), bumping its resourceVersion. */
  put(workload: Omit<WorkloadState, 'resourceVersion'>): WorkloadState {
    const stored = structuredClone({
      ...workload,
      resourceVersion: String(++this.#version),
    });
    this.#workloads.set(stringifyWorkloadRef(workload.ref), stored);
    return structuredClone(stored);
  }

  /** Deletes a workload as someone else would; false when there was none. */
  remove(ref: WorkloadRef): boolean {
    return this.#workloads.delete(stringifyWorkloadRef(ref));
  }

  /** Reads a workload, or undefined when it does not exist. */
  async getWorkload(ref: WorkloadRef): Promise<WorkloadState | undefined> {
    const found = this.#workloads.get(stringifyWorkloadRef(ref));
    return found && structuredClone(found);
  }

  /** Applies one change if `expectedResourceVersion` is current; returns the state after it. */
  async apply(
    ref: WorkloadRef,
    change: WorkloadChange,
    options: WriteOptions,
  ): Promise<WorkloadState> {
    const current = this.#current(ref, options.expectedResourceVersion);
    return this.put(applyChange(current, change));
  }

  /** Puts a workload back as a snapshot recorded it, refusing drift unless `force` is set. */
  async restore(
    snapshot: WorkloadState,
    options: RestoreOptions,
  ): Promise<WorkloadState> {
    const key = stringifyWorkloadRef(snapshot.ref);
    const current = this.#workloads.get(key);
    if (!current) {
      throw new NotFoundError(`workload ${key} does not exist`);
    }
    if (!options.force && !matchesSnapshot(current, options.expected)) {
      throw new ConflictError(
        `workload ${key} changed since Sentinel's change; refusing to overwrite it without force`,
      );
    }
    const { resourceVersion: _ignored, ...state } = snapshot;
    return this.put(state);
  }

  #current(ref: WorkloadRef, expectedResourceVersion: string): WorkloadState {
    const key = stringifyWorkloadRef(ref);
    const current = this.#workloads.get(key);
    if (!current) {
      throw new NotFoundError(`workload ${key} does not exist`);
    }
    if (current.resourceVersion !== expectedResourceVersion) {
      throw new ConflictError(
        `workload ${key} changed since it was read (resourceVersion ${current.resourceVersion}, expected ${expectedResourceVersion})`,
      );
    }
    return current;
  }
}
