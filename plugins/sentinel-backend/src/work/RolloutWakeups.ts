import {
  stringifyWorkloadRef,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';

/**
 * Which plans this replica left waiting on a rollout, by workload, so that a watch event that
 * shows the rollout ended wakes exactly those plans (one indexed update) instead of every
 * waiting plan polling the API server. Plans another replica left waiting, and events this
 * replica missed, are caught by the plan's fallback check time.
 */
export class RolloutWakeups {
  readonly #waiting = new Map<string, Set<string>>();

  add(ref: WorkloadRef, planId: string): void {
    const key = stringifyWorkloadRef(ref);
    let plans = this.#waiting.get(key);
    if (!plans) {
      plans = new Set();
      this.#waiting.set(key, plans);
    }
    plans.add(planId);
  }

  remove(ref: WorkloadRef, planId: string): void {
    const key = stringifyWorkloadRef(ref);
    const plans = this.#waiting.get(key);
    if (!plans) return;
    plans.delete(planId);
    if (plans.size === 0) this.#waiting.delete(key);
  }

  /** The plans waiting on the rollout of `ref`. */
  plansOn(ref: WorkloadRef): string[] {
    return [...(this.#waiting.get(stringifyWorkloadRef(ref)) ?? [])];
  }

  get size(): number {
    return this.#waiting.size;
  }

  /**
   * Wakes, through `wake`, the items left waiting on a workload whenever `events` shows its
   * rollout no longer progressing. Returns the unsubscribe.
   */
  wakeOn(
    events: {
      onChange(
        listener: (event: {
          ref: WorkloadRef;
          rollout?: { state: string };
        }) => void,
      ): () => void;
    },
    wake: (ids: string[]) => void,
  ): () => void {
    return events.onChange(event => {
      if (event.rollout?.state === 'progressing') return;
      const ids = this.plansOn(event.ref);
      if (ids.length) wake(ids);
    });
  }
}
