import type {
  PlanStatus,
  PlanTarget,
} from '@internal/backstage-plugin-sentinel-common';
import type {
  DecisionPatch,
  PlanStore,
  PlanWork,
  StepWrite,
} from '../store/PlanStore';
import { LeaseLostError, type StepOutcome } from '../../work/Reconciler';

/**
 * What one step over a plan will persist: decision patches, status transitions and the
 * workloads whose change ended, gathered as the step goes and written together, in one round
 * trip, fenced by the lease and by the status last saved.
 */
export class StepRecorder {
  #patches: { index: number; patch: DecisionPatch }[] = [];
  #transitions: { to: PlanStatus; message: string }[] = [];
  #ended: PlanTarget[] = [];
  #notes: string[] = [];
  /** The plan's status as last persisted: what the next write is fenced on. */
  #saved: PlanStatus;

  constructor(
    private readonly store: PlanStore,
    private readonly plan: PlanWork,
    private readonly owner: string,
    private readonly now: () => Date,
    /** Called with the plans held on a workload that became due (the reconciler's wake). */
    private readonly onWake?: (ids: string[]) => void,
  ) {
    this.#saved = plan.status;
  }

  patch(index: number, patch: DecisionPatch): void {
    this.#patches.push({ index, patch });
  }

  /** A status change, persisted with the step's next write. */
  transition(to: PlanStatus, message: string): void {
    this.#transitions.push({ to, message });
  }

  /** A timeline entry without a change of status, persisted with the step's next write. */
  note(message: string): void {
    this.#notes.push(message);
  }

  /** The change to `target` has ended: plans held on it become due with the next write. */
  ended(target: PlanTarget): void {
    this.#ended.push(target);
  }

  /**
   * Everything pending plus `extra`, as one write for another transaction to persist (the
   * gate's). Call `persisted` when it was.
   */
  pendingWrite(extra: {
    at: Date;
    transitions?: { to: PlanStatus; message: string }[];
    decisions?: { index: number; patch: DecisionPatch }[];
    heldSince?: Date | null;
  }): StepWrite {
    return {
      at: extra.at,
      whileStatus: this.#saved,
      transitions: [...this.#transitions, ...(extra.transitions ?? [])],
      decisions: [...this.#patches, ...(extra.decisions ?? [])],
      wakeHeldOn: [...this.#ended],
      ...(this.#notes.length && { notes: [...this.#notes] }),
      ...(extra.heldSince !== undefined && { heldSince: extra.heldSince }),
    };
  }

  /** A `pendingWrite` was persisted, leaving the plan in `status` and waking `woken`. */
  persisted(status: PlanStatus, woken: string[]): void {
    this.#patches = [];
    this.#transitions = [];
    this.#notes = [];
    if (woken.length) this.onWake?.(woken);
    this.#ended = [];
    this.#saved = status;
  }

  /** Persists what is pending now (before acting on the world again). */
  async flush(): Promise<void> {
    if (
      this.#patches.length ||
      this.#ended.length ||
      this.#notes.length ||
      this.#transitions.length
    ) {
      await this.save({});
    }
  }

  /**
   * Writes what is pending with `write`. With a release the step ends: the plan is due again
   * at `next` (null: only a person or an event brings it back).
   */
  async save(
    write: Omit<StepWrite, 'at' | 'whileStatus'>,
    next?: Date | null,
  ): Promise<StepOutcome> {
    const full = this.pendingWrite({
      at: this.now(),
      transitions: write.transitions,
    });
    const saved = await this.store.saveStep(this.plan.id, this.owner, {
      ...write,
      ...full,
      notes: [...(full.notes ?? []), ...(write.notes ?? [])],
    });
    if (!saved) throw new LeaseLostError(`lease on plan ${this.plan.id} lost`);
    const last = full.transitions![full.transitions!.length - 1];
    this.persisted(last?.to ?? this.#saved, saved.woken);
    return { next: next ?? null, released: write.release !== undefined };
  }
}
