import type { LoggerService } from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';
import {
  RolloutRefusal,
  supportsProgressiveRollouts,
  type ClusterDriver,
} from '@internal/backstage-plugin-sentinel-node';
import {
  LeaseLostError,
  ReconcilerKilledError,
  type Controller,
  type StepOutcome,
} from '../../work/Reconciler';
import type { RolloutWakeups } from '../../work/RolloutWakeups';
import type { RolloutObserver } from '../rolloutObserver';
import { hasEnded, type RolloutPhase } from '../rolloutPhases';
import type { RolloutStepWrite, RolloutStore } from '../store/RolloutStore';
import type { Rollout } from '../types';
import { analyze, paused } from './analysis';
import {
  abortBlueGreen,
  prepareBlueGreen,
  promoteBlueGreen,
} from './blueGreen';
import {
  abortCanary,
  advance,
  afterPause,
  awaitCandidate,
  scaleForStep,
} from './canary';
import {
  candidateRef,
  describe,
  type ControllerSettings,
  type StepContext,
  type StepResult,
} from './context';
import { abort, failed } from './endings';
import { promote } from './promotion';

export interface RolloutControllerOptions extends ControllerSettings {
  store: RolloutStore;
  clusterDrivers: ReadonlyMap<string, ClusterDriver>;
  logger: LoggerService;
  owner: string;
  /** Attempts at an abort while the cluster does not answer, before it needs a person. */
  abortAttempts: number;
  /** A rollout ended (its plan waits on it). */
  onEnded?: (rollout: Rollout) => void;
  /** Watch events of these workloads wake the rollout. */
  wakeups?: RolloutWakeups;
  /** Metrics and audit events. */
  observer?: RolloutObserver;
  now?: () => Date;
}

/**
 * One step of one canary or blue/green rollout per call (ADR 006): create the candidate,
 * scale it for the step, wait for its pods, analyze one interval, pause, advance, promote, or
 * abort. Each step acts on the cluster at most once, idempotently, persists what it did fenced
 * by its lease and the phase it saw, and says when to look again; a person's action that lands
 * meanwhile wins. The stable workload is never scaled below its replica count, and never
 * changed except by a promotion (an abort restores it).
 *
 * This file dispatches and persists; the steps are in canary.ts, blueGreen.ts, analysis.ts,
 * promotion.ts, traffic.ts and endings.ts.
 */
export class RolloutController implements Controller<Rollout> {
  readonly #o: RolloutControllerOptions;
  readonly #now: () => Date;

  constructor(options: RolloutControllerOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
  }

  async reconcile(rollout: Rollout): Promise<StepOutcome> {
    if (hasEnded(rollout.phase)) return { next: null };
    const now = this.#now();
    const driver = this.#o.clusterDrivers.get(rollout.target.cluster);
    let result: StepResult;
    if (!supportsProgressiveRollouts(driver)) {
      // A replica configured differently, or a cluster removed: retried, bounded (#retry).
      result = this.#retry(
        rollout,
        now,
        new Error(
          `cluster '${rollout.target.cluster}' has no driver for progressive rollouts on this replica`,
        ),
      );
    } else {
      this.#watch(rollout);
      try {
        result = await step({ driver, now, settings: this.#o }, rollout);
      } catch (error) {
        // A killed replica (a test hook) stops here, as a dead process would.
        if (error instanceof ReconcilerKilledError) throw error;
        result =
          error instanceof RolloutRefusal && rollout.phase !== 'aborting'
            ? abort(now, error.message)
            : this.#retry(rollout, now, error);
      }
    }
    return this.#save(rollout, now, result);
  }

  /** The cluster did not answer (or refused): try again with back-off; an abort gives up last. */
  #retry(r: Rollout, now: Date, error: unknown): StepResult {
    const message = isError(error) ? error.message : String(error);
    const attempts = r.attempts + 1;
    if (attempts >= this.#o.abortAttempts) {
      return r.phase === 'aborting'
        ? failed(r, now, `the abort failed ${attempts} times: ${message}`)
        : abort(now, `${r.phase} failed ${attempts} times: ${message}`);
    }
    const backoff = Math.min(30_000, 1_000 * 2 ** Math.min(attempts - 1, 5));
    this.#o.logger.warn(
      `Sentinel rollout ${r.id} (${describe(r.target)}, ${
        r.phase
      }): ${message}; trying again in ${backoff / 1000} s`,
    );
    return {
      patch: {
        attempts,
        phaseReason: `${r.phaseReason.replace(
          / \(attempt \d+ failed: .*\)$/,
          '',
        )} (attempt ${attempts} failed: ${message})`,
      },
      next: new Date(now.getTime() + backoff),
    };
  }

  async #save(r: Rollout, now: Date, result: StepResult): Promise<StepOutcome> {
    const write: RolloutStepWrite = {
      at: now,
      whilePhase: r.phase,
      patch: result.patch,
      events: result.events,
      analysis: result.analysis,
      nextCheckAt: result.next,
    };
    if (!(await this.#o.store.saveStep(r.id, this.#o.owner, write))) {
      // A person acted meanwhile (the rollout is due again) or another replica has it.
      throw new LeaseLostError(`lease on rollout ${r.id} lost`);
    }
    const phase: RolloutPhase = result.patch.phase ?? r.phase;
    if (phase !== r.phase) {
      this.#o.observer?.phaseChanged(
        r,
        r.phase,
        phase,
        result.patch.phaseReason ?? r.phaseReason,
      );
    }
    if (result.analysis) {
      this.#o.observer?.analyzed(r, result.analysis);
    }
    if (hasEnded(phase)) {
      this.#unwatch(r);
      this.#o.onEnded?.({ ...r, ...result.patch, phase });
    }
    return { next: result.next, released: true };
  }

  #watch(r: Rollout) {
    this.#o.wakeups?.add(candidateRef(r), r.id);
    this.#o.wakeups?.add(r.target, r.id);
  }

  #unwatch(r: Rollout) {
    this.#o.wakeups?.remove(candidateRef(r), r.id);
    this.#o.wakeups?.remove(r.target, r.id);
  }
}

/** The step a rollout takes next, by its phase and stage. */
async function step(ctx: StepContext, r: Rollout): Promise<StepResult> {
  const blueGreen = r.strategy === 'bluegreen';
  switch (r.phase) {
    case 'pending':
      return blueGreen ? prepareBlueGreen(ctx, r) : scaleForStep(ctx, r, 0);
    case 'progressing':
      switch (r.stage) {
        case 'scale':
          return awaitCandidate(ctx, r);
        case 'analyze':
          return analyze(ctx, r);
        case 'pause':
          return afterPause(ctx, r);
        case 'advance':
          return advance(ctx, r);
        default:
          // Resumed by a person: the step again, from its pods.
          return scaleForStep(ctx, r, r.currentStep);
      }
    case 'paused':
      return paused(ctx, r);
    case 'promoting':
      return blueGreen ? promoteBlueGreen(ctx, r) : promote(ctx, r);
    case 'aborting':
      return blueGreen ? abortBlueGreen(ctx, r) : abortCanary(ctx, r);
    default:
      return { patch: {}, next: null };
  }
}
