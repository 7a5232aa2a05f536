import type { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, isError } from '@backstage/errors';
import {
  isTerminalPlanStatus,
  stringifyWorkloadRef,
  type DecisionStatus,
  type PlanStatus,
  type PlanTarget,
} from '@internal/backstage-plugin-sentinel-common';
import type {
  ClusterDriver,
  WorkloadState,
} from '@internal/backstage-plugin-sentinel-node';
import type { PlanStore, PlanWork, StoredDecision } from './store/PlanStore';
import type { ChangeLedger } from '../policy/ChangeLedger';
import type { PolicyEngine } from '../policy/PolicyEngine';
import {
  LeaseLostError,
  type Controller,
  type StepOutcome,
} from '../work/Reconciler';
import type { ApplyGate } from './gate/ApplyGate';
import { policyInput } from './gate/ApplyGate';
import type { Judgement } from './gate/judgeAtApply';
import type { PipelineMetrics } from './metrics';
import { statusAfterVerdicts } from './planStatus';
import {
  DecisionFailedError,
  recordChange,
  shows,
  type LastApplied,
  type RecordedChange,
} from './recordedChange';
import {
  progressiveStrategy,
  type ProgressiveRollouts,
} from '../rollouts/ProgressiveRollouts';
import { restoreDecision } from './restoreDecision';
import { rolloutProgress } from './rolloutProgress';
import { simulateDecision } from './simulateDecision';
import { StepRecorder } from './StepRecorder';
import type { RolloutWakeups } from '../work/RolloutWakeups';
import type { WorkloadReader } from '../inventory/WorkloadReader';

export interface PlanControllerOptions {
  store: PlanStore;
  clusterDrivers: ReadonlyMap<string, ClusterDriver>;
  /** Current workload state for decisions (the inventory first). */
  workloads: WorkloadReader;
  /** The verdicts at receipt. */
  policyEngine: PolicyEngine;
  /** Guardrails again at the moment of apply. */
  gate: ApplyGate;
  logger: LoggerService;
  metrics?: PipelineMetrics;
  /** Shares admitted changes with every replica's receipt-time rate limits. */
  ledger?: ChangeLedger;
  wakeups?: RolloutWakeups;
  /** Canary and blue/green rollouts; without them such decisions fail, saying so. */
  rollouts?: ProgressiveRollouts;
  /** Unique per replica; the lease owner. */
  owner: string;
  leaseMs: number;
  /** How long a change may take to roll out before it is rolled back. */
  rolloutTimeoutMs: number;
  /**
   * When to look at a rollout in `cluster` again: a fallback where watch events wake waiting
   * plans, the only way where none come.
   */
  rolloutRecheckMs(cluster: string): number;
  /** Claims these plans now: they were held on a workload whose change just ended. */
  wake?: (ids: string[]) => void;
  now?: () => Date;
  /** Test hooks, called where a crash is most dangerous. */
  hooks?: {
    afterApply?(planId: string, index: number): Promise<void> | void;
  };
}

/** Re-reads and re-checks of one decision when others keep writing its workload. */
const MAX_CONFLICT_ATTEMPTS = 5;
/** Decisions whose change may have reached the cluster: an undo restores them. */
const APPLIED: readonly DecisionStatus[] = [
  'succeeded',
  'applying',
  'rolling_out',
];

/** What a part of a step returns: the step's end, or go on with the plan in this step. */
type Next = StepOutcome | 'continue';

/** One step over one plan: the plan as read, and what the step will persist. */
class PlanStep {
  #renewedAt = Date.now();
  #conflicts = 0;
  readonly #record: StepRecorder;

  constructor(
    private readonly o: PlanControllerOptions,
    private readonly now: () => Date,
    private readonly plan: PlanWork,
  ) {
    this.#record = new StepRecorder(o.store, plan, o.owner, now, o.wake);
  }

  /** What a rollback decision of this plan restores. */
  readonly #lastApplied: LastApplied = d =>
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
      return this.#undo('cancelled', 'cancelled while executing');
    }
    const decision = plan.decisions.find(d => d.status !== 'succeeded');
    if (!decision) return this.#finish('succeeded', 'every decision applied');
    switch (decision.status) {
      case 'pending':
        return this.#apply(decision);
      case 'applying':
        return this.#resume(decision);
      case 'rolling_out':
        return this.#checkRollout(decision);
      default:
        // A decision failed (or an undo began) before a replica died: finish the undo.
        return this.#undo(
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
      this.#record.patch(index, { verdict });
    });
    const next = statusAfterVerdicts(verdicts);
    if (next.status === 'approved') {
      // Persisted with the step's next write (the gate's, usually): one round trip less.
      this.#record.transition('approved', next.message);
      plan.status = 'approved';
      return 'continue';
    }
    return this.#end(next.status, next.message);
  }

  // ---- apply ------------------------------------------------------------------------------

  async #apply(decision: StoredDecision): Promise<Next> {
    const driver = this.o.clusterDrivers.get(decision.target.cluster);
    if (!driver) {
      return this.#fail(
        decision,
        `cluster '${decision.target.cluster}' is not configured`,
      );
    }
    // After a conflict, ask the API server: the inventory may not have seen the write yet.
    const current =
      this.#conflicts > 0
        ? await driver.getWorkload(decision.target)
        : await this.o.workloads.read(decision.target);
    if (!current) {
      return this.#fail(
        decision,
        `workload ${describeTarget(decision)} does not exist`,
      );
    }
    let recorded: RecordedChange;
    try {
      recorded = await recordChange(decision, current, {
        now: this.now(),
        lastApplied: this.#lastApplied,
      });
    } catch (error) {
      if (error instanceof DecisionFailedError) {
        return this.#fail(decision, error.message);
      }
      throw error;
    }
    // Admitted, the gate persists with its check what this step has pending, the decision's
    // reservation and the move to executing, in one transaction.
    const now = this.now();
    const write = this.#record.pendingWrite({
      at: now,
      transitions:
        this.plan.status === 'approved'
          ? [
              {
                to: 'executing',
                message:
                  'execution started: the first decision passed the policy at the moment of apply',
              },
            ]
          : [],
      decisions: [
        {
          index: decision.index,
          patch: {
            status: 'applying',
            change: recorded,
            before: current,
            appliedAt: now,
            error: null,
          },
        },
      ],
      ...(this.plan.heldSince && { heldSince: null }),
    });
    const judgement = await this.o.gate.admit({
      plan: this.plan,
      index: decision.index,
      owner: this.o.owner,
      current,
      now,
      write,
    });
    if (judgement.kind === 'lease_lost') {
      throw new LeaseLostError(`lease on plan ${this.plan.id} lost`);
    }
    if (judgement.kind !== 'admit') return this.#refused(decision, judgement);

    this.#record.persisted('executing', judgement.woken);
    this.plan.status = 'executing';
    this.plan.heldSince = null;
    Object.assign(decision, {
      status: 'applying',
      change: recorded,
      before: current,
      error: null,
    });
    this.o.wakeups?.add(decision.target, this.plan.id);
    await this.o.ledger?.record({
      id: `${this.plan.id}:${decision.index}`,
      at: this.now().toISOString(),
      workload: stringifyWorkloadRef(decision.target),
    });
    return this.#write(decision, driver, recorded, current);
  }

  /** Writes an admitted change; a concurrent write sends it back through the gate. */
  async #write(
    decision: StoredDecision,
    driver: ClusterDriver,
    recorded: RecordedChange,
    before: WorkloadState,
  ): Promise<Next> {
    if (progressiveStrategy(decision)) {
      return this.#startRollout(decision, before);
    }
    let after: WorkloadState;
    try {
      after =
        recorded.kind === 'change'
          ? await driver.apply(decision.target, recorded.change, {
              expectedResourceVersion: before.resourceVersion,
              current: before,
            })
          : await driver.restore(recorded.snapshot, {
              expected: recorded.expected,
              force: recorded.force,
            });
    } catch (error) {
      const now = await driver.getWorkload(decision.target);
      // Someone else may have made this very change a moment earlier: nothing to do.
      if (
        now &&
        now.resourceVersion !== before.resourceVersion &&
        shows(now, recorded)
      ) {
        return this.#landed(decision, driver, recorded, now);
      }
      const message = isError(error) ? error.message : String(error);
      // Someone else changed the workload between the read and the write. A change is
      // absolute (replicas, resources, images): decide it again on what is there now, through
      // the gate (the step may now be too big), a bounded number of times. A rollback never
      // overwrites drift.
      if (
        error instanceof ConflictError &&
        recorded.kind === 'change' &&
        now &&
        ++this.#conflicts < MAX_CONFLICT_ATTEMPTS
      ) {
        decision.status = 'pending';
        this.#record.patch(decision.index, {
          status: 'pending',
          change: null,
          before: null,
          appliedAt: null,
        });
        this.o.wakeups?.remove(decision.target, this.plan.id);
        return 'continue';
      }
      return this.#fail(decision, message, { released: true });
    }
    await this.o.hooks?.afterApply?.(this.plan.id, decision.index);
    return this.#landed(decision, driver, recorded, after);
  }

  /** The change is in the cluster: wait for its rollout, or count it done. */
  async #landed(
    decision: StoredDecision,
    driver: ClusterDriver,
    recorded: RecordedChange,
    after: WorkloadState,
  ): Promise<Next> {
    decision.after = after;
    if (recorded.kind === 'restore' || !driver.rolloutStatus) {
      return this.#succeeded(decision, recorded);
    }
    const now = this.now();
    const deadline = new Date(now.getTime() + this.o.rolloutTimeoutMs);
    const next = new Date(
      now.getTime() + this.o.rolloutRecheckMs(decision.target.cluster),
    );
    decision.status = 'rolling_out';
    this.#record.patch(decision.index, {
      status: 'rolling_out',
      after,
      deadlineAt: deadline,
    });
    // Lost, the decision is `applying` again, and #resume finds the change in the cluster.
    return this.#record.save(
      { release: { nextCheckAt: next }, replayable: true },
      next,
    );
  }

  /** A replica died after the gate admitted the change: did the change reach the cluster? */
  async #resume(decision: StoredDecision): Promise<Next> {
    const driver = this.o.clusterDrivers.get(decision.target.cluster);
    const recorded = decision.change as RecordedChange;
    const before = decision.before as WorkloadState;
    const current = await driver?.getWorkload(decision.target);
    if (!driver || !current) {
      return this.#fail(
        decision,
        `workload ${describeTarget(decision)} is gone`,
      );
    }
    if (progressiveStrategy(decision)) {
      // Starting a rollout twice returns the one the dead replica started.
      return this.#startRollout(decision, before);
    }
    this.o.wakeups?.add(decision.target, this.plan.id);
    if (current.resourceVersion === before.resourceVersion) {
      return this.#write(decision, driver, recorded, before);
    }
    if (shows(current, recorded)) {
      return this.#landed(decision, driver, recorded, current);
    }
    return this.#fail(
      decision,
      `${describeTarget(
        decision,
      )} was changed by someone else while this plan was executing`,
    );
  }

  // ---- rollout ----------------------------------------------------------------------------

  async #checkRollout(decision: StoredDecision): Promise<Next> {
    if (progressiveStrategy(decision)) return this.#checkProgressive(decision);
    const driver = this.o.clusterDrivers.get(decision.target.cluster);
    const recorded = decision.change as RecordedChange;
    if (!driver?.rolloutStatus) return this.#succeeded(decision, recorded);
    const now = this.now();
    // The watch event that woke this plan showed the rollout ended for a spec that includes
    // this change: believe it. Anything else is asked of the API server.
    const cached = this.o.workloads.cachedRollout(decision.target);
    const status =
      cached &&
      cached.rollout.state !== 'progressing' &&
      shows(cached.state, recorded)
        ? cached.rollout
        : await driver.rolloutStatus(decision.target);
    const progress = rolloutProgress(status, {
      workload: describeTarget(decision),
      deadline: decision.deadlineAt ?? now,
      now,
      recheckMs: this.o.rolloutRecheckMs(decision.target.cluster),
    });
    switch (progress.kind) {
      case 'complete':
        return this.#succeeded(decision, recorded);
      case 'failed':
        // The change stays counted as applied, so the undo restores it.
        this.o.metrics?.decision(decision.verb, 'failed');
        this.#record.patch(decision.index, { error: progress.reason });
        return this.#undo(
          'rolled_back',
          `decision ${decision.index} (${describe(decision)}) failed: ${
            progress.reason
          }`,
        );
      default:
        this.o.wakeups?.add(decision.target, this.plan.id);
        return this.#record.save(
          { release: { nextCheckAt: progress.next }, replayable: true },
          progress.next,
        );
    }
  }

  // ---- progressive rollouts ----------------------------------------------------------------

  /**
   * A canary or blue/green decision: the rollout controller takes it from here. The decision
   * waits `rolling_out` (holding every other change to the workload) until the rollout ends,
   * which wakes the plan; the fallback look is only for a wake that was lost.
   */
  async #startRollout(
    decision: StoredDecision,
    before: WorkloadState,
  ): Promise<Next> {
    if (!this.o.rollouts) {
      return this.#fail(
        decision,
        `${String(
          decision.params.strategy,
        )} rollouts are not enabled on this Sentinel`,
        { released: true },
      );
    }
    let rollout;
    try {
      rollout = await this.o.rollouts.start(
        this.plan.id,
        decision,
        before,
        this.now(),
      );
    } catch (error) {
      // The service's rollout settings are wrong (an annotation that does not parse).
      if (error instanceof InputError) {
        return this.#fail(decision, error.message, { released: true });
      }
      throw error;
    }
    decision.status = 'rolling_out';
    this.#record.patch(decision.index, {
      status: 'rolling_out',
      after: before,
      deadlineAt: null,
    });
    this.#record.note(
      `decision ${decision.index}: ${rollout.strategy} rollout ${
        rollout.id
      } of ${describeTarget(decision)} started`,
    );
    const next = this.#progressiveRecheck();
    return this.#record.save({ release: { nextCheckAt: next } }, next);
  }

  async #checkProgressive(decision: StoredDecision): Promise<Next> {
    const outcome = await this.o.rollouts?.outcome(
      this.plan.id,
      decision.index,
    );
    if (!outcome) {
      // Admitted, but its rollout was never stored (a replica died in between): start it.
      return this.#startRollout(decision, decision.before as WorkloadState);
    }
    const { rollout } = outcome;
    switch (outcome.state) {
      case 'running': {
        const next = this.#progressiveRecheck();
        return this.#record.save(
          { release: { nextCheckAt: next }, replayable: true },
          next,
        );
      }
      case 'succeeded': {
        const driver = this.o.clusterDrivers.get(decision.target.cluster);
        const after = await driver?.getWorkload(decision.target);
        if (after) decision.after = after;
        return this.#succeeded(decision, decision.change as RecordedChange);
      }
      case 'aborted':
        // The rollout restored the workload itself: nothing of this decision is applied.
        this.o.metrics?.decision(decision.verb, 'failed');
        decision.status = 'rolled_back';
        this.#record.patch(decision.index, {
          status: 'rolled_back',
          error: rollout.phaseReason,
        });
        this.#record.ended(decision.target);
        return this.#undo(
          'rolled_back',
          `decision ${decision.index} (${describe(decision)}): rollout ${
            rollout.id
          } ${rollout.phaseReason}`,
          { undoneByRollout: true },
        );
      default:
        return this.#fail(
          decision,
          `rollout ${rollout.id} ${rollout.phaseReason}`,
        );
    }
  }

  #progressiveRecheck(): Date {
    return new Date(
      this.now().getTime() +
        Math.max(
          60_000,
          this.o.rolloutRecheckMs(this.plan.decisions[0].target.cluster),
        ),
    );
  }

  async #succeeded(
    decision: StoredDecision,
    recorded: RecordedChange,
  ): Promise<Next> {
    decision.status = 'succeeded';
    this.#record.patch(decision.index, {
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
      this.o.metrics?.rollback('requested');
    }
    this.#record.ended(decision.target);
    return 'continue';
  }

  // ---- refusals, failures, undo -----------------------------------------------------------

  async #refused(
    decision: StoredDecision,
    judgement: Exclude<Judgement, { kind: 'admit' }>,
  ): Promise<Next> {
    const plan = this.plan;
    if (judgement.kind === 'hold') {
      const changed = plan.statusReason !== judgement.reason;
      plan.heldSince ??= this.now();
      return this.#record.save(
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
      return this.#undo('rolled_back', message);
    }
    this.#record.patch(decision.index, { error: judgement.reason });
    return this.#end(
      judgement.kind === 'refuse' ? 'rejected' : 'pending_approval',
      message,
    );
  }

  /** A decision cannot be carried out: undo what the plan applied. */
  async #fail(
    decision: StoredDecision,
    message: string,
    options: { released?: boolean } = {},
  ): Promise<Next> {
    this.o.metrics?.decision(decision.verb, 'failed');
    decision.status = 'failed';
    decision.error = message;
    this.#record.patch(decision.index, {
      status: 'failed',
      error: message,
      // The change never reached the cluster: it no longer counts against rate limits.
      ...(options.released && { appliedAt: null }),
    });
    this.o.wakeups?.remove(decision.target, this.plan.id);
    this.#record.ended(decision.target);
    return this.#undo(
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
  async #undo(
    status: Extract<PlanStatus, 'rolled_back' | 'cancelled'>,
    reason: string,
    options: { undoneByRollout?: boolean } = {},
  ): Promise<Next> {
    await this.#record.flush();
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
        this.#record.patch(decision.index, { status: 'rolled_back' });
        this.o.wakeups?.remove(decision.target, this.plan.id);
        this.#record.ended(decision.target);
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
      const next = this.#progressiveRecheck();
      return this.#record.save(
        {
          statusReason: `${reason}; waiting for the abort of the rollout(s) of decision(s) ${aborting
            .map(d => d.index)
            .join(', ')}`,
          release: { nextCheckAt: next },
        },
        next,
      );
    }
    if (problems.length) {
      return this.#end('failed', `${reason}; ${problems.join('; ')}`);
    }
    if (
      status === 'rolled_back' &&
      applied.length === 0 &&
      !options.undoneByRollout
    ) {
      return this.#end('failed', `${reason}; nothing had been applied`);
    }
    if (applied.length) {
      this.o.metrics?.rollback(
        status === 'cancelled' ? 'cancelled' : 'decision_failed',
      );
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
      this.#record.transition('executing', 'execution started (shadow mode)');
      plan.status = 'executing';
    }
    for (const decision of plan.decisions) {
      if (decision.status === 'simulated') continue;
      const patch = await simulateDecision(decision, {
        workloads: this.o.workloads,
        now: this.now(),
        lastApplied: this.#lastApplied,
      });
      this.#record.patch(decision.index, patch);
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
    const outcome = await this.#record.save(
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

/**
 * One plan, one step at a time: the policy's verdicts at receipt, the gate and the change at
 * the moment of apply, a look at the rollout, the automatic rollback. Each step reads the
 * plan, acts once on the world, persists what it did in one transaction (fenced by the plan's
 * lease) and says when to look again; waiting for a rollout, a freeze or another change is a
 * persisted due time, never a sleeping worker. Every change is recorded before it is applied,
 * and applied with the resourceVersion it was decided on, so a plan resumed by another replica
 * is never applied twice.
 */
export class PlanController implements Controller<PlanWork> {
  readonly #o: PlanControllerOptions;
  readonly #now: () => Date;

  constructor(options: PlanControllerOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
  }

  async reconcile(plan: PlanWork): Promise<StepOutcome> {
    return new PlanStep(this.#o, this.#now, plan).run();
  }
}

function describeTarget(decision: { target: PlanTarget }): string {
  return stringifyWorkloadRef(decision.target);
}

function describe(decision: StoredDecision): string {
  return `${decision.verb} ${describeTarget(decision)}`;
}
