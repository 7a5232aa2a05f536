import { isError } from '@backstage/errors';
import {
  isTerminalPlanStatus,
  type PlanStatus,
} from '@internal/backstage-plugin-sentinel-common';
import { LeaseLostError, type StepOutcome } from '../../work/Reconciler';
import { policyInput } from '../gate/ApplyGate';
import { planPath, type RollbackReason } from '../metrics';
import type { Judgement } from '../gate/judgeAtApply';
import { statusAfterVerdicts } from '../planStatus';
import type { PlanWork, StoredDecision } from '../store/PlanStore';
import { apply, resume } from './apply';
import { APPLIED, describe, type Next } from './describe';
import type { PlanControllerOptions } from './PlanController';
import type { LastApplied, RecordedChange } from './recordedChange';
import { restoreDecision } from './restoreDecision';
import { checkRollout } from './rolloutWait';
import { simulateDecision } from './simulateDecision';
import { StepRecorder } from './StepRecorder';

/** One step over one plan: the plan as read, and what the step will persist. */
export class PlanStep {
  #renewedAt = Date.now();

  /** Writes refused because someone else changed the workload, in this step. */
  conflicts = 0;
  readonly record: StepRecorder;

  constructor(
    readonly o: PlanControllerOptions,
    readonly now: () => Date,
    readonly plan: PlanWork,
  ) {
    this.record = new StepRecorder(o.store, plan, o.owner, now, o.wake);
  }

  /** What a rollback decision of this plan restores. */
  readonly lastApplied: LastApplied = d =>
    this.o.store.findLastApplied(
      d.target,
      (d.params.toPlanId as string | undefined) ??
        this.plan.rollbackOf ??
        undefined,
    );

  async run(): Promise<StepOutcome> {
    if (this.plan.status === 'received') {
      const next = await this.#evaluate();
      if (next !== 'continue') return next;
    }
    if (this.plan.status !== 'approved' && this.plan.status !== 'executing') {
      return { next: null };
    }
    if (this.plan.mode === 'shadow') return this.#simulate();
    // Each round finishes a decision or ends the step; a plan's decisions run in order.
    for (let round = 0; round <= this.plan.decisions.length * 2 + 2; round++) {
      const next = await this.#advance();
      if (next !== 'continue') return next;
      await this.#renewIfLong();
    }
    return { next: this.now() };
  }

  async #advance(): Promise<Next> {
    const plan = this.plan;
    if (plan.cancelRequested && plan.status === 'executing') {
      return this.undo('cancelled', 'cancelled while executing');
    }
    const decision = plan.decisions.find(d => d.status !== 'succeeded');
    if (!decision) return this.#finish('succeeded', 'every decision applied');
    switch (decision.status) {
      case 'pending':
        return apply(this, decision);
      case 'applying':
        return resume(this, decision);
      case 'rolling_out':
        return checkRollout(this, decision);
      default:
        // A decision failed (or an undo began) before a replica died: finish the undo.
        return this.undo(
          'rolled_back',
          `decision ${decision.index} (${describe(decision)}) ${
            decision.status
          }${decision.error ? `: ${decision.error}` : ''}`,
        );
    }
  }

  // ---- receipt ----------------------------------------------------------------------------

  async #evaluate(): Promise<Next> {
    const plan = this.plan;
    const verdicts = await this.o.policyEngine.evaluate(
      policyInput(plan),
      this.now(),
    );
    verdicts.forEach((verdict, index) => {
      plan.decisions[index].verdict = verdict;
      this.record.patch(index, { verdict });
    });
    const next = statusAfterVerdicts(verdicts);
    if (next.status === 'approved') {
      // Persisted with the step's next write (the gate's, usually): one round trip less.
      this.record.transition('approved', next.message);
      plan.status = 'approved';
      return 'continue';
    }
    return this.#end(next.status, next.message);
  }

  /** When to look again at a plan waiting on a progressive rollout: only if its end's wake was lost. */
  progressiveRecheck(): Date {
    return new Date(
      this.now().getTime() +
        Math.max(
          60_000,
          this.o.rolloutRecheckMs(this.plan.decisions[0].target.cluster),
        ),
    );
  }

  async succeeded(
    decision: StoredDecision,
    recorded: RecordedChange,
  ): Promise<Next> {
    decision.status = 'succeeded';
    this.record.patch(decision.index, {
      status: 'succeeded',
      error: null,
      ...(decision.after ? { after: decision.after } : {}),
    });
    this.o.wakeups?.remove(decision.target, this.plan.id);
    this.o.metrics?.decision(decision.verb, 'succeeded');
    if (recorded?.kind === 'restore') {
      await this.o.store.updateDecision(
        recorded.undoes.planId,
        recorded.undoes.index,
        { status: 'rolled_back' },
      );
      this.o.metrics?.rollback('requested', 'succeeded');
    }
    this.record.ended(decision.target);
    return 'continue';
  }

  // ---- refusals, failures, undo -----------------------------------------------------------

  async refused(
    decision: StoredDecision,
    judgement: Exclude<Judgement, { kind: 'admit' }>,
  ): Promise<Next> {
    const plan = this.plan;
    if (judgement.kind === 'hold') {
      const changed = plan.statusReason !== judgement.reason;
      plan.heldSince ??= this.now();
      return this.record.save(
        {
          statusReason: judgement.reason,
          heldSince: plan.heldSince,
          notes: changed ? [judgement.reason] : [],
          release: { nextCheckAt: judgement.until },
        },
        judgement.until,
      );
    }
    const anythingApplied = plan.decisions.some(d =>
      APPLIED.includes(d.status),
    );
    const message = `decision ${decision.index}: ${judgement.reason}`;
    if (anythingApplied) {
      return this.undo('rolled_back', message);
    }
    this.record.patch(decision.index, { error: judgement.reason });
    return this.#end(
      judgement.kind === 'refuse' ? 'rejected' : 'pending_approval',
      message,
    );
  }

  /** A decision cannot be carried out: undo what the plan applied. */
  async fail(
    decision: StoredDecision,
    message: string,
    options: { released?: boolean } = {},
  ): Promise<Next> {
    this.o.metrics?.decision(decision.verb, 'failed');
    if (this.plan.rollbackOf) this.o.metrics?.rollback('requested', 'failed');
    decision.status = 'failed';
    decision.error = message;
    this.record.patch(decision.index, {
      status: 'failed',
      error: message,
      // The change never reached the cluster: it no longer counts against rate limits.
      ...(options.released && { appliedAt: null }),
    });
    this.o.wakeups?.remove(decision.target, this.plan.id);
    this.record.ended(decision.target);
    return this.undo(
      'rolled_back',
      `decision ${decision.index} (${describe(decision)}) failed: ${message}`,
    );
  }

  /**
   * Restores, newest first, every decision of the plan that may have been applied, then ends
   * the plan in `status`; a restore that fails leaves the plan `failed`, saying which. What
   * led here is persisted first, so a replica that dies mid-undo is followed by one that
   * finishes it.
   */
  async undo(
    status: Extract<PlanStatus, 'rolled_back' | 'cancelled'>,
    reason: string,
    options: { undoneByRollout?: boolean } = {},
  ): Promise<Next> {
    await this.record.flush();
    const applied = this.plan.decisions
      .filter(d => APPLIED.includes(d.status))
      .reverse();
    const problems: string[] = [];
    const aborting: StoredDecision[] = [];
    for (const decision of applied) {
      try {
        const restored = await restoreDecision(
          this.o.clusterDrivers,
          decision,
          { planId: this.plan.id, rollouts: this.o.rollouts, reason },
        );
        if (restored === 'waiting') {
          aborting.push(decision);
          continue;
        }
        decision.status = 'rolled_back';
        this.record.patch(decision.index, { status: 'rolled_back' });
        this.o.wakeups?.remove(decision.target, this.plan.id);
        this.record.ended(decision.target);
      } catch (error) {
        problems.push(
          `rollback of decision ${decision.index} failed: ${
            isError(error) ? error.message : error
          }`,
        );
      }
    }
    if (aborting.length) {
      // Their rollouts are aborting (recorded); each one's end wakes this plan, which then
      // finishes the undo. The decisions keep holding their workloads meanwhile.
      const next = this.progressiveRecheck();
      return this.record.save(
        {
          statusReason: `${reason}; waiting for the abort of the rollout(s) of decision(s) ${aborting
            .map(d => d.index)
            .join(', ')}`,
          release: { nextCheckAt: next },
        },
        next,
      );
    }
    let rollbackReason: RollbackReason = 'decision_failed';
    if (status === 'cancelled') rollbackReason = 'cancelled';
    else if (options.undoneByRollout) rollbackReason = 'rollout_aborted';
    if (problems.length) {
      this.o.metrics?.rollback(rollbackReason, 'failed');
      return this.#end('failed', `${reason}; ${problems.join('; ')}`);
    }
    if (
      status === 'rolled_back' &&
      applied.length === 0 &&
      !options.undoneByRollout
    ) {
      return this.#end('failed', `${reason}; nothing had been applied`);
    }
    if (applied.length || options.undoneByRollout) {
      this.o.metrics?.rollback(rollbackReason, 'succeeded');
    }
    return this.#end(
      status,
      applied.length
        ? `${reason}; restored ${applied.length} applied decision(s)`
        : reason,
    );
  }

  // ---- shadow mode ------------------------------------------------------------------------

  async #simulate(): Promise<StepOutcome> {
    const plan = this.plan;
    if (plan.status === 'approved') {
      this.record.transition('executing', 'execution started (shadow mode)');
      plan.status = 'executing';
    }
    for (const decision of plan.decisions) {
      if (decision.status === 'simulated') continue;
      const patch = await simulateDecision(decision, {
        workloads: this.o.workloads,
        now: this.now(),
        lastApplied: this.lastApplied,
      });
      this.record.patch(decision.index, patch);
      if (patch.status === 'simulated') {
        this.o.metrics?.decision(decision.verb, 'simulated');
      }
    }
    return this.#end(
      'simulated',
      'shadow mode: nothing applied; each decision records the exact change it would make',
    );
  }

  // ---- the end of a step ------------------------------------------------------------------

  /** Moves the plan to a status a replica does not advance, and ends the step. */
  async #end(
    to: PlanStatus,
    message: string,
    options: { replayable?: boolean } = {},
  ): Promise<StepOutcome> {
    const outcome = await this.record.save(
      {
        transitions: [{ to, message }],
        release: { nextCheckAt: null },
        replayable: options.replayable,
      },
      null,
    );
    this.plan.status = to;
    if (isTerminalPlanStatus(to)) {
      this.o.metrics?.finished({
        status: to,
        mode: this.plan.mode,
        seconds: (this.now().getTime() - this.plan.createdAt.getTime()) / 1000,
        path: planPath(this.plan),
      });
    }
    return outcome;
  }

  /**
   * Every decision rolled out. Lost, the last decision is `rolling_out` (or `applying`) again,
   * and the next step finds its rollout complete (or its change in the cluster) once more.
   */
  #finish(to: 'succeeded', message: string): Promise<StepOutcome> {
    return this.#end(to, message, { replayable: true });
  }

  async #renewIfLong() {
    if (Date.now() - this.#renewedAt < this.o.leaseMs / 3) return;
    this.#renewedAt = Date.now();
    const until = new Date(this.now().getTime() + this.o.leaseMs);
    if (
      !(await this.o.store.queue.renewLease(this.plan.id, this.o.owner, until))
    ) {
      throw new LeaseLostError(`lease on plan ${this.plan.id} lost`);
    }
  }
}
