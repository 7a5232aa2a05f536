import type { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, isError } from '@backstage/errors';
import {
  isTerminalPlanStatus,
  stringifyWorkloadRef,
  type Plan,
  type PlanStatus,
  type PlanTarget,
} from '@internal/backstage-plugin-sentinel-common';
import {
  applyChange,
  isChangeApplied,
  matchesSnapshot,
  unknownContainers,
  type ClusterDriver,
  type WorkloadChange,
  type WorkloadState,
} from '@internal/backstage-plugin-sentinel-node';
import type { PlanStore, StoredDecision } from '../database/PlanStore';
import type { ChangeLedger } from '../policy/ChangeLedger';
import type { PolicyEngine } from '../policy/PolicyEngine';
import type { PipelineMetrics } from './metrics';
import { statusAfterVerdicts } from './planStatus';

/** What a decision records before it touches the cluster, so a resume can tell what happened. */
type RecordedChange =
  | { kind: 'change'; change: WorkloadChange }
  | {
      kind: 'restore';
      snapshot: WorkloadState;
      /** The workload as the undone change left it: anything else is drift. */
      expected: WorkloadState;
      /** Restore over drift (an admin asked for it). */
      force?: boolean;
      undoes: { planId: string; index: number };
    };

/** Thrown by a test hook to stop an executor as abruptly as a killed process would. */
export class ExecutorKilledError extends Error {
  name = 'ExecutorKilledError';
}

/** The replica lost its lease on a plan: another replica has taken it over. */
class LeaseLostError extends Error {
  name = 'LeaseLostError';
}

class DecisionFailedError extends Error {
  name = 'DecisionFailedError';
}

/** The change reached the cluster but never became healthy: it must be undone. */
class RolloutFailedError extends DecisionFailedError {
  name = 'RolloutFailedError';
}

export interface PlanExecutorOptions {
  store: PlanStore;
  clusterDrivers: ReadonlyMap<string, ClusterDriver>;
  policyEngine: PolicyEngine;
  logger: LoggerService;
  metrics?: PipelineMetrics;
  /** Shares applied changes with every replica's rate limits. */
  ledger?: ChangeLedger;
  /** Unique per replica; recorded as the lease owner. */
  owner: string;
  leaseMs?: number;
  pollIntervalMs?: number;
  /** How many plans one replica advances at once. */
  concurrency?: number;
  approvalTimeoutMs?: number;
  /** How long a change may take to roll out before it is rolled back. */
  rolloutTimeoutMs?: number;
  rolloutPollMs?: number;
  now?: () => Date;
  /** Test hooks, called at the points where a crash is most dangerous. */
  hooks?: {
    afterApply?(planId: string, index: number): Promise<void> | void;
  };
}

const ACTOR = 'sentinel';
const MAX_CONFLICT_ATTEMPTS = 5;
const HOUSEKEEPING_INTERVAL_MS = 5_000;

/**
 * Advances plans through the pipeline on whichever replica holds their database lease:
 * policy verdicts, execution, automatic rollback of a failed plan, cancellation and
 * approval timeouts. Every change is recorded before it is applied, and applied with the
 * resourceVersion it was decided on, so a plan resumed by another replica is never applied
 * twice.
 */
export class PlanExecutor {
  readonly #o: Required<
    Omit<PlanExecutorOptions, 'hooks' | 'metrics' | 'ledger'>
  > &
    Pick<PlanExecutorOptions, 'hooks' | 'metrics' | 'ledger'>;
  #running = false;
  #workers: Promise<void>[] = [];
  readonly #sleepers = new Set<() => void>();
  #kicks = 0;
  #lastHousekeeping = 0;

  constructor(options: PlanExecutorOptions) {
    this.#o = {
      leaseMs: 30_000,
      pollIntervalMs: 1_000,
      concurrency: 4,
      approvalTimeoutMs: 24 * 3600_000,
      rolloutTimeoutMs: 10 * 60_000,
      rolloutPollMs: 1_000,
      now: () => new Date(),
      ...options,
    };
  }

  /** Starts `concurrency` workers that claim and advance plans until stop() is called. */
  start() {
    if (this.#running) return;
    this.#running = true;
    this.#workers = Array.from({ length: this.#o.concurrency }, () =>
      this.#work(),
    );
  }

  async stop() {
    this.#running = false;
    this.#wakeAll();
    await Promise.all(this.#workers);
  }

  /** Asks the workers to look for work now (e.g. right after a submission or approval). */
  kick() {
    this.#kicks += 1;
    this.#wakeAll();
  }

  #wakeAll() {
    for (const wake of this.#sleepers) wake();
  }

  async #work() {
    while (this.#running) {
      const kicksBefore = this.#kicks;
      let claimed = 0;
      try {
        claimed = await this.#cycle(1);
      } catch (error) {
        if (error instanceof ExecutorKilledError) {
          this.#running = false;
          this.#wakeAll();
          return;
        }
        this.#o.logger.error(`Sentinel executor cycle failed: ${error}`);
      }
      if (claimed === 0 && this.#kicks === kicksBefore && this.#running) {
        await new Promise<void>(resolve => {
          let timer: ReturnType<typeof setTimeout> | undefined = undefined;
          const wake = () => {
            clearTimeout(timer);
            this.#sleepers.delete(wake);
            resolve();
          };
          timer = setTimeout(wake, this.#o.pollIntervalMs);
          timer.unref?.(); // polling never keeps the process alive
          this.#sleepers.add(wake);
        });
      }
    }
  }

  /** One cycle over up to `concurrency` plans (used by tests and tools). */
  async runOnce(): Promise<number> {
    return this.#cycle(this.#o.concurrency);
  }

  async #cycle(limit: number): Promise<number> {
    await this.#housekeeping();
    const ids = await this.#o.store.claimPlans({
      owner: this.#o.owner,
      now: this.#o.now(),
      leaseMs: this.#o.leaseMs,
      limit,
    });
    const results = await Promise.allSettled(ids.map(id => this.#advance(id)));
    for (const result of results) {
      if (result.status === 'rejected') {
        if (result.reason instanceof ExecutorKilledError) throw result.reason;
        this.#o.logger.error(
          `Sentinel failed to advance a plan: ${result.reason}`,
        );
      }
    }
    return ids.length;
  }

  /** Approval timeouts and the queue-depth gauge, at most every few seconds per replica. */
  async #housekeeping() {
    const now = this.#o.now().getTime();
    if (now - this.#lastHousekeeping < HOUSEKEEPING_INTERVAL_MS) return;
    this.#lastHousekeeping = now;
    await this.#expireApprovals();
    if (this.#o.metrics) {
      this.#o.metrics.setQueueDepth(await this.#o.store.countActive());
    }
  }

  async #expireApprovals() {
    const now = this.#o.now();
    const stale = await this.#o.store.listStalePendingApproval(
      new Date(now.getTime() - this.#o.approvalTimeoutMs),
    );
    for (const id of stale) {
      const hours = Math.round(this.#o.approvalTimeoutMs / 360_000) / 10;
      if (
        await this.#o.store.transition(id, {
          from: ['pending_approval'],
          to: 'rejected',
          actor: ACTOR,
          message: `no approval within ${hours} h; nothing was applied`,
          at: now,
        })
      ) {
        this.#o.metrics?.finished({
          status: 'rejected',
          mode: 'enforce',
          seconds: this.#o.approvalTimeoutMs / 1000,
        });
      }
    }
  }

  async #advance(id: string) {
    try {
      const plan = await this.#o.store.getPlan(id);
      if (!plan) return;
      let status = plan.status;
      if (status === 'received') {
        status = await this.#evaluate(plan);
      }
      if (status === 'approved') {
        await this.#move(plan, ['approved'], 'executing', 'execution started');
        status = 'executing';
      }
      if (status === 'executing') {
        await this.#execute(plan);
      }
    } catch (error) {
      if (error instanceof ExecutorKilledError) throw error;
      if (error instanceof LeaseLostError) {
        this.#o.logger.warn(
          `Sentinel lost the lease on plan ${id}; another replica resumes it`,
        );
        return;
      }
      throw error;
    }
    await this.#o.store.releaseLease(id, this.#o.owner);
  }

  async #move(
    plan: Plan,
    from: PlanStatus[],
    to: PlanStatus,
    message: string,
  ): Promise<void> {
    const at = this.#o.now();
    const moved = await this.#o.store.transition(plan.id, {
      from,
      to,
      actor: ACTOR,
      message,
      at,
      leaseOwner: this.#o.owner,
    });
    if (!moved) {
      throw new LeaseLostError(
        `plan ${plan.id} is no longer ${from.join('/')} under this lease`,
      );
    }
    if (isTerminalPlanStatus(to)) {
      this.#o.metrics?.finished({
        status: to,
        mode: plan.mode,
        seconds: (at.getTime() - Date.parse(plan.createdAt)) / 1000,
      });
    }
  }

  async #evaluate(plan: Plan): Promise<PlanStatus> {
    const verdicts = await this.#o.policyEngine.evaluate(
      {
        source: plan.source,
        mode: plan.mode,
        decisions: plan.decisions.map(d => ({
          verb: d.verb,
          target: d.target,
          params: d.params,
          confidence: d.confidence ?? undefined,
          entityRef: d.entityRef,
        })),
      },
      this.#o.now(),
    );
    for (const [index, verdict] of verdicts.entries()) {
      await this.#o.store.updateDecision(
        plan.id,
        index,
        { verdict },
        this.#fence,
      );
    }
    const next = statusAfterVerdicts(verdicts);
    await this.#move(plan, ['received'], next.status, next.message);
    return next.status;
  }

  get #fence() {
    return { leaseOwner: this.#o.owner };
  }

  async #renew(planId: string) {
    const until = new Date(this.#o.now().getTime() + this.#o.leaseMs);
    if (!(await this.#o.store.renewLease(planId, this.#o.owner, until))) {
      throw new LeaseLostError(`lease on plan ${planId} lost`);
    }
  }

  #driver(target: PlanTarget): ClusterDriver {
    const driver = this.#o.clusterDrivers.get(target.cluster);
    if (!driver) {
      throw new DecisionFailedError(
        `cluster '${target.cluster}' is not configured`,
      );
    }
    return driver;
  }

  async #execute(plan: Plan) {
    const decisions = await this.#o.store.getStoredDecisions(plan.id);
    if (plan.mode === 'shadow') {
      await this.#simulate(plan, decisions);
      return;
    }
    for (const decision of decisions) {
      if (decision.status === 'succeeded') continue;
      await this.#renew(plan.id);
      if (await this.#o.store.isCancelRequested(plan.id)) {
        await this.#undo(
          plan,
          decisions,
          'cancelled',
          'cancelled while executing',
        );
        return;
      }
      try {
        await this.#runDecision(plan, decision);
        this.#o.metrics?.decision(decision.verb, 'succeeded');
      } catch (error) {
        if (
          error instanceof ExecutorKilledError ||
          error instanceof LeaseLostError
        ) {
          throw error;
        }
        const message = isError(error) ? error.message : String(error);
        this.#o.metrics?.decision(decision.verb, 'failed');
        // A change that landed but never became healthy stays 'applying', so the undo below
        // restores it along with the decisions before it.
        await this.#o.store.updateDecision(
          plan.id,
          decision.index,
          {
            status: error instanceof RolloutFailedError ? 'applying' : 'failed',
            error: message,
          },
          this.#fence,
        );
        const fresh = await this.#o.store.getStoredDecisions(plan.id);
        await this.#undo(
          plan,
          fresh,
          'rolled_back',
          `decision ${decision.index} (${decision.verb} ${stringifyWorkloadRef(
            decision.target,
          )}) failed: ${message}`,
        );
        return;
      }
    }
    await this.#move(
      plan,
      ['executing'],
      'succeeded',
      'every decision applied',
    );
  }

  async #simulate(plan: Plan, decisions: StoredDecision[]) {
    for (const decision of decisions) {
      if (decision.status === 'simulated') continue;
      const driver = this.#driver(decision.target);
      const before = await driver.getWorkload(decision.target);
      if (!before) {
        await this.#o.store.updateDecision(
          plan.id,
          decision.index,
          {
            status: 'failed',
            error: `workload ${stringifyWorkloadRef(
              decision.target,
            )} does not exist`,
          },
          this.#fence,
        );
        continue;
      }
      const recorded = await this.#recordedChange(plan, decision, before);
      const after =
        recorded.kind === 'change'
          ? applyTo(before, recorded.change)
          : { ...recorded.snapshot, resourceVersion: before.resourceVersion };
      await this.#o.store.updateDecision(
        plan.id,
        decision.index,
        { status: 'simulated', change: recorded, before, after },
        this.#fence,
      );
      this.#o.metrics?.decision(decision.verb, 'simulated');
    }
    await this.#move(
      plan,
      ['executing'],
      'simulated',
      'shadow mode: nothing applied; each decision records the exact change it would make',
    );
  }

  /** The exact change a decision stands for, decided before anything is applied. */
  async #recordedChange(
    plan: Plan,
    decision: StoredDecision,
    current: WorkloadState,
  ): Promise<RecordedChange> {
    const p = decision.params as Record<string, any>;
    switch (decision.verb) {
      case 'scale':
        return {
          kind: 'change',
          change: { verb: 'scale', replicas: p.replicas },
        };
      case 'restart':
        return {
          kind: 'change',
          change: { verb: 'restart', at: this.#o.now().toISOString() },
        };
      case 'set_resources':
      case 'rollout': {
        const change = {
          verb: decision.verb,
          containers: p.containers,
        } as WorkloadChange;
        const missing = unknownContainers(current, change);
        if (missing.length) {
          throw new DecisionFailedError(
            `${stringifyWorkloadRef(
              decision.target,
            )} has no container(s) ${missing.join(', ')}`,
          );
        }
        return { kind: 'change', change };
      }
      case 'rollback': {
        const last = await this.#o.store.findLastApplied(
          decision.target,
          p.toPlanId ?? plan.rollbackOf ?? undefined,
        );
        if (!last || !last.decision.before || !last.decision.after) {
          throw new DecisionFailedError(
            `nothing to roll back on ${stringifyWorkloadRef(decision.target)}`,
          );
        }
        return {
          kind: 'restore',
          snapshot: last.decision.before as WorkloadState,
          expected: last.decision.after as WorkloadState,
          force: p.force === true,
          undoes: { planId: last.planId, index: last.decision.index },
        };
      }
      default:
        throw new DecisionFailedError(`unknown verb ${decision.verb}`);
    }
  }

  async #runDecision(plan: Plan, decision: StoredDecision) {
    const driver = this.#driver(decision.target);
    const current = await driver.getWorkload(decision.target);
    if (!current) {
      throw new DecisionFailedError(
        `workload ${stringifyWorkloadRef(decision.target)} does not exist`,
      );
    }

    let recorded: RecordedChange;
    let before: WorkloadState;
    if (decision.status === 'applying') {
      // Resuming after a replica died: did its change reach the cluster?
      recorded = decision.change as RecordedChange;
      before = decision.before as WorkloadState;
      if (current.resourceVersion !== before.resourceVersion) {
        if (this.#shows(current, recorded)) {
          await this.#awaitRollout(plan, decision, driver, recorded);
          await this.#succeeded(plan, decision, recorded, current);
          return;
        }
        throw new DecisionFailedError(
          `${stringifyWorkloadRef(
            decision.target,
          )} was changed by someone else while this plan was executing`,
        );
      }
    } else {
      before = current;
      recorded = await this.#recordedChange(plan, decision, current);
      const recordedOk = await this.#o.store.updateDecision(
        plan.id,
        decision.index,
        { status: 'applying', change: recorded, before },
        this.#fence,
      );
      if (!recordedOk)
        throw new LeaseLostError(`lease on plan ${plan.id} lost`);
    }

    let after: WorkloadState;
    for (let attempt = 1; ; attempt++) {
      try {
        after =
          recorded.kind === 'change'
            ? await driver.apply(decision.target, recorded.change, {
                expectedResourceVersion: before.resourceVersion,
              })
            : await driver.restore(recorded.snapshot, {
                expected: recorded.expected,
                force: recorded.force,
              });
        break;
      } catch (error) {
        const now = await driver.getWorkload(decision.target);
        // Another replica may have applied this very change a moment earlier.
        if (
          now &&
          now.resourceVersion !== before.resourceVersion &&
          this.#shows(now, recorded)
        ) {
          await this.#succeeded(plan, decision, recorded, now);
          return;
        }
        // Someone else changed the workload between our read and our write. A change is
        // absolute (replicas, resources, images), so it is re-based on what is there now,
        // a bounded number of times; a rollback never overwrites drift.
        if (
          !(error instanceof ConflictError) ||
          recorded.kind !== 'change' ||
          !now ||
          attempt >= MAX_CONFLICT_ATTEMPTS
        ) {
          throw error;
        }
        before = now;
        const rebased = await this.#o.store.updateDecision(
          plan.id,
          decision.index,
          { before },
          this.#fence,
        );
        if (!rebased) throw new LeaseLostError(`lease on plan ${plan.id} lost`);
      }
    }
    await this.#o.hooks?.afterApply?.(plan.id, decision.index);
    await this.#awaitRollout(plan, decision, driver, recorded);
    await this.#succeeded(plan, decision, recorded, after!);
  }

  /**
   * Waits until a change has rolled out, renewing the lease meanwhile. A change whose rollout
   * fails or outlasts the timeout is a RolloutFailedError: the plan rolls it back.
   */
  async #awaitRollout(
    plan: Plan,
    decision: StoredDecision,
    driver: ClusterDriver,
    recorded: RecordedChange,
  ) {
    if (recorded.kind !== 'change' || !driver.rolloutStatus) return;
    const started = Date.now();
    for (;;) {
      const status = await driver.rolloutStatus(decision.target);
      if (status.state === 'complete') return;
      if (status.state === 'failed') {
        throw new RolloutFailedError(
          `${stringifyWorkloadRef(decision.target)} did not become healthy: ${
            status.reason
          }`,
        );
      }
      if (Date.now() - started > this.#o.rolloutTimeoutMs) {
        throw new RolloutFailedError(
          `${stringifyWorkloadRef(
            decision.target,
          )} did not become healthy within ${Math.round(
            this.#o.rolloutTimeoutMs / 1000,
          )} s`,
        );
      }
      await this.#renew(plan.id);
      await new Promise(resolve => setTimeout(resolve, this.#o.rolloutPollMs));
    }
  }

  #shows(state: WorkloadState, recorded: RecordedChange): boolean {
    return recorded.kind === 'change'
      ? isChangeApplied(state, recorded.change)
      : matchesSnapshot(state, recorded.snapshot);
  }

  async #succeeded(
    plan: Plan,
    decision: StoredDecision,
    recorded: RecordedChange,
    after: WorkloadState,
  ) {
    const appliedAt = this.#o.now();
    const ok = await this.#o.store.updateDecision(
      plan.id,
      decision.index,
      { status: 'succeeded', after, error: null, appliedAt },
      this.#fence,
    );
    if (!ok) throw new LeaseLostError(`lease on plan ${plan.id} lost`);
    await this.#o.ledger?.record({
      id: `${plan.id}:${decision.index}`,
      at: appliedAt.toISOString(),
      workload: stringifyWorkloadRef(decision.target),
    });
    if (recorded.kind === 'restore') {
      await this.#o.store.updateDecision(
        recorded.undoes.planId,
        recorded.undoes.index,
        {
          status: 'rolled_back',
        },
      );
      this.#o.metrics?.rollback('requested');
    }
  }

  /**
   * Restores, newest first, every decision of the plan that was applied, then ends the plan
   * in `status`; a restore that fails leaves the plan `failed`, saying which.
   */
  async #undo(
    plan: Plan,
    decisions: StoredDecision[],
    status: Extract<PlanStatus, 'rolled_back' | 'cancelled'>,
    reason: string,
  ) {
    const applied = decisions
      .filter(d => d.status === 'succeeded' || d.status === 'applying')
      .reverse();
    const problems: string[] = [];
    for (const decision of applied) {
      try {
        await this.#restore(plan, decision);
      } catch (error) {
        if (
          error instanceof ExecutorKilledError ||
          error instanceof LeaseLostError
        )
          throw error;
        problems.push(
          `rollback of decision ${decision.index} failed: ${
            isError(error) ? error.message : error
          }`,
        );
      }
    }
    if (problems.length) {
      await this.#move(
        plan,
        ['executing'],
        'failed',
        `${reason}; ${problems.join('; ')}`,
      );
    } else if (status === 'rolled_back' && applied.length === 0) {
      await this.#move(
        plan,
        ['executing'],
        'failed',
        `${reason}; nothing had been applied`,
      );
    } else {
      await this.#move(
        plan,
        ['executing'],
        status,
        applied.length
          ? `${reason}; restored ${applied.length} applied decision(s)`
          : reason,
      );
      if (applied.length)
        this.#o.metrics?.rollback(
          status === 'cancelled' ? 'cancelled' : 'decision_failed',
        );
    }
  }

  async #restore(plan: Plan, decision: StoredDecision) {
    const recorded = decision.change as RecordedChange | null;
    const before = decision.before as WorkloadState | null;
    if (!recorded || !before) return;
    const driver = this.#driver(decision.target);
    const current = await driver.getWorkload(decision.target);
    if (!current)
      throw new Error(
        `workload ${stringifyWorkloadRef(decision.target)} is gone`,
      );
    // Nothing to do when the change never landed or was already undone.
    if (!matchesSnapshot(current, before)) {
      // A change still 'applying' may or may not have landed: what is there now is expected.
      const after = decision.after as WorkloadState | null;
      await driver.restore(before, { expected: after ?? current });
    }
    await this.#o.store.updateDecision(
      plan.id,
      decision.index,
      { status: 'rolled_back' },
      this.#fence,
    );
  }
}

function applyTo(state: WorkloadState, change: WorkloadChange): WorkloadState {
  return {
    ...applyChange(state, change),
    resourceVersion: state.resourceVersion,
  };
}
