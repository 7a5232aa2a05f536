import type { LoggerService } from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';
import {
  stringifyWorkloadRef,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import {
  matchesSnapshot,
  type ClusterDriver,
  type TrafficRoute,
  type TrafficRouter,
  type WorkloadState,
} from '@internal/backstage-plugin-sentinel-node';
import type { PrometheusClient } from '../health/PrometheusClient';
import { judgeAnalysis } from '../health/healthScore';
import type { RolloutWakeups } from '../pipeline/RolloutWakeups';
import {
  LeaseLostError,
  ReconcilerKilledError,
  type Controller,
  type StepOutcome,
} from '../reconciler/Reconciler';
import { analyzeInterval } from './analyzeInterval';
import {
  isCandidateDriver,
  POD_TEMPLATE_HASH_LABEL,
  RolloutRefusal,
  type CandidateDriver,
} from './CandidateDriver';
import { candidateReplicas, effectiveWeight, isFinalStep } from './canarySteps';
import type { RolloutObserver } from './rolloutObserver';
import type { RolloutPatch } from './rolloutRows';
import { hasEnded, type RolloutPhase } from './rolloutPhases';
import type { RolloutStore, RolloutStepWrite } from './RolloutStore';
import type { Rollout, StoredAnalysis } from './types';

/** No Service sends traffic to the workload's pods. */
class NoServiceError extends RolloutRefusal {
  name = 'NoServiceError';
}

/**
 * Whether a workload still has the template it had at the rollout's start (images, resources,
 * restartedAt): its replica count may change meanwhile (an autoscaler) without being drift.
 */
function sameTemplate(current: WorkloadState, stable: WorkloadState): boolean {
  return matchesSnapshot({ ...current, replicas: stable.replicas }, stable);
}

/** Whether a workload runs the candidate's images: a promotion of this rollout began. */
function showsCandidate(current: WorkloadState, r: Rollout): boolean {
  return current.containers.every(
    c => (r.candidate.containers[c.name]?.image ?? c.image) === c.image,
  );
}

export interface RolloutControllerOptions {
  store: RolloutStore;
  clusterDrivers: ReadonlyMap<string, ClusterDriver>;
  prometheus?: PrometheusClient;
  logger: LoggerService;
  owner: string;
  /** How long a person's pause (or a pause for a person) may last before the rollout aborts. */
  maxPauseMs: number;
  /** How often to look at a candidate's pods where no watch event wakes the rollout. */
  recheckMs: number;
  /** Attempts at an abort while the cluster does not answer, before it needs a person. */
  abortAttempts: number;
  /** A rollout ended (its plan waits on it). */
  onEnded?: (rollout: Rollout) => void;
  /** Watch events of these workloads wake the rollout. */
  wakeups?: RolloutWakeups;
  /** Metrics and audit events. */
  observer?: RolloutObserver;
  /** Traffic routers by cluster and name (`<cluster>/<name>`), for canaries that use one. */
  trafficRouters?: ReadonlyMap<string, TrafficRouter>;
  now?: () => Date;
}

/** The end of a step: what it persists, and when the rollout is due again. */
interface StepResult {
  patch: RolloutPatch;
  events?: string[];
  analysis?: Omit<StoredAnalysis, 'at'>;
  next: Date | null;
}

const seconds = (s: number) => s * 1000;

/**
 * One step of one canary rollout per call (ADR 006): create the candidate, scale it for the
 * step, wait for its pods, analyze one interval, pause, advance, promote, or abort. Each step
 * acts on the cluster at most once, idempotently, persists what it did fenced by its lease
 * and the phase it saw, and says when to look again; a person's action that lands meanwhile
 * wins. The stable workload is never scaled below its replica count, and never changed except
 * by a promotion (an abort restores it).
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
    if (!isCandidateDriver(driver)) {
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
        result = await this.#step(rollout, driver, now);
      } catch (error) {
        // A killed replica (a test hook) stops here, as a dead process would.
        if (error instanceof ReconcilerKilledError) throw error;
        result =
          error instanceof RolloutRefusal && rollout.phase !== 'aborting'
            ? this.#abort(now, error.message)
            : this.#retry(rollout, now, error);
      }
    }
    return this.#save(rollout, now, result);
  }

  async #step(
    r: Rollout,
    driver: CandidateDriver,
    now: Date,
  ): Promise<StepResult> {
    switch (r.phase) {
      case 'pending':
        return r.strategy === 'bluegreen'
          ? this.#prepareBlueGreen(r, driver, now)
          : this.#scaleForStep(r, driver, now, 0);
      case 'progressing':
        if (r.stage === 'scale') return this.#awaitCandidate(r, driver, now);
        if (r.stage === 'analyze') return this.#analyze(r, driver, now);
        if (r.stage === 'pause') return this.#afterPause(r, driver, now);
        if (r.stage === 'advance') {
          return isFinalStep(r.steps, r.currentStep)
            ? this.#startPromotion(
                now,
                `promoted past ${this.#stepName(r)} by a person`,
              )
            : this.#scaleForStep(r, driver, now, r.currentStep + 1);
        }
        // Resumed by a person: the step again, from its pods.
        return this.#scaleForStep(r, driver, now, r.currentStep);
      case 'paused':
        return this.#paused(r, driver, now);
      case 'promoting':
        return this.#promote(r, driver, now);
      case 'aborting':
        return this.#carryOutAbort(r, driver, now);
      default:
        return { patch: {}, next: null };
    }
  }

  // ---- steps ------------------------------------------------------------------------------

  /** Creates or scales the candidate for step `index`, then waits for its pods. */
  async #scaleForStep(
    rollout: Rollout,
    driver: CandidateDriver,
    now: Date,
    index: number,
  ): Promise<StepResult> {
    let r = rollout;
    const step = r.steps[index];
    const routed = this.#router(r);
    if (routed && !r.candidate.service) {
      // A router sets the canary's share; the stable Service must not send it traffic too.
      r = await this.#pinToStable(r, driver);
    }
    const replicas = routed
      ? Math.max(1, Math.ceil((r.stable.replicas * step.weight) / 100))
      : candidateReplicas(r.stable.replicas, step.weight);
    await driver.ensureCandidate(r.target, {
      name: r.candidate.workload,
      rolloutId: r.id,
      containers: r.candidate.containers,
      replicas,
    });
    // Green takes no traffic before the switch: the Service is pinned to blue's pods.
    // With a router the weight is set once the pods are ready; until then it stays.
    let weight = effectiveWeight(r.stable.replicas, replicas);
    if (r.strategy === 'bluegreen') weight = 0;
    else if (routed) weight = r.weight;
    const deadline = new Date(now.getTime() + seconds(r.analysis.readySeconds));
    const reason =
      r.strategy === 'bluegreen'
        ? `${r.candidate.workload} at full size (${replicas} replica(s)), without traffic; waiting for its pods`
        : `${this.#stepName(r, index)}: ${
            r.candidate.workload
          } scaled to ${replicas} replica(s) (~${weight} % of traffic), waiting for its pods`;
    return {
      patch: {
        phase: 'progressing',
        phaseReason: reason,
        stage: 'scale',
        currentStep: index,
        weight,
        candidate: { ...r.candidate, replicas },
        intervals: [],
        attempts: 0,
        stageStartedAt: now,
        phaseDeadlineAt: deadline,
      },
      events: [reason],
      next: this.#soonest(now, deadline),
    };
  }

  async #awaitCandidate(
    r: Rollout,
    driver: CandidateDriver,
    now: Date,
  ): Promise<StepResult> {
    const status = await driver.rolloutStatus(this.#candidateRef(r));
    if (status.state === 'complete') {
      const router = this.#router(r);
      const weight = r.steps[r.currentStep].weight;
      if (router) await router.setWeight(this.#route(r), weight);
      const reason = `${this.#stepName(r)}: ${r.candidate.workload} is ready${
        router ? `; ${router.name} sends it ${weight} % of traffic` : ''
      }; analyzing every ${r.analysis.intervalSeconds} s`;
      return {
        patch: {
          ...(router && { weight }),
          phaseReason: reason,
          stage: 'analyze',
          intervals: [],
          attempts: 0,
          stageStartedAt: now,
          phaseDeadlineAt: this.#analysisDeadline(r, now),
        },
        events: [reason],
        next: new Date(now.getTime() + seconds(r.analysis.intervalSeconds)),
      };
    }
    if (status.state === 'failed') {
      return this.#analysisFailed(
        r,
        now,
        `${r.candidate.workload} failed to roll out: ${status.reason}`,
      );
    }
    if (r.phaseDeadlineAt && now >= r.phaseDeadlineAt) {
      return this.#analysisFailed(
        r,
        now,
        `${r.candidate.workload} was not ready within ${r.analysis.readySeconds} s`,
      );
    }
    return { patch: {}, next: this.#soonest(now, r.phaseDeadlineAt) };
  }

  /** One analysis interval, and what its verdict means for the step. */
  async #analyze(
    r: Rollout,
    driver: CandidateDriver,
    now: Date,
  ): Promise<StepResult> {
    const { score, restartCount } = await analyzeInterval(
      r,
      driver,
      this.#o.prometheus,
    );
    const intervals = [
      ...r.intervals,
      { verdict: score.verdict, reason: score.reason },
    ];
    const health = {
      score: score.score,
      verdict: score.verdict,
      reason: score.reason,
      checkedAt: now.toISOString(),
      metrics: score.checks,
    };
    const analysis = {
      step: r.currentStep,
      score: score.score,
      verdict: score.verdict,
      reason: score.reason,
      checks: score.checks,
    };
    const judged = judgeAnalysis(intervals, r.analysis);
    const measured: RolloutPatch = {
      intervals,
      health,
      ...(restartCount !== undefined && {
        candidate: { ...r.candidate, restartsSeen: restartCount },
      }),
    };
    const nextInterval = new Date(
      now.getTime() + seconds(r.analysis.intervalSeconds),
    );
    switch (judged.verdict) {
      case 'pass':
        return withMeasurement(
          await this.#stepPassed(r, driver, now, judged.reason),
          measured,
          analysis,
        );
      case 'fail':
        return withMeasurement(
          this.#analysisFailed(r, now, `analysis failed: ${judged.reason}`),
          measured,
          analysis,
        );
      case 'inconclusive': {
        if (r.phase === 'paused') {
          // Still inconclusive while paused for it: keep looking until the deadline.
          return { patch: measured, analysis, next: nextInterval };
        }
        const deadline = new Date(
          now.getTime() + seconds(r.analysis.inconclusiveSeconds),
        );
        const reason = `paused: ${judged.reason}; analyzing again every ${
          r.analysis.intervalSeconds
        } s, ${
          r.analysis.onInconclusive === 'abort'
            ? 'aborting'
            : 'waiting for a person'
        } after ${deadline.toISOString()}`;
        return {
          patch: {
            ...measured,
            phase: 'paused',
            phaseReason: reason,
            phaseDeadlineAt: deadline,
          },
          analysis,
          events: [reason],
          next: nextInterval,
        };
      }
      default:
        if (r.phase === 'paused') {
          // An interval passed while paused for an inconclusive analysis: back to work.
          const reason = `${this.#stepName(r)}: analysis answers again (${
            score.reason
          }); resumed`;
          return {
            patch: {
              ...measured,
              phase: 'progressing',
              phaseReason: reason,
              phaseDeadlineAt: this.#analysisDeadline(r, now),
            },
            analysis,
            events: [reason],
            next: nextInterval,
          };
        }
        if (r.phaseDeadlineAt && now >= r.phaseDeadlineAt) {
          return withMeasurement(
            this.#analysisFailed(
              r,
              now,
              `the analysis reached no verdict by ${r.phaseDeadlineAt.toISOString()} (${
                judged.reason
              })`,
            ),
            measured,
            analysis,
          );
        }
        return {
          patch: {
            ...measured,
            phaseReason: `${this.#stepName(r)}: ${judged.reason}`,
          },
          analysis,
          next: nextInterval,
        };
    }
  }

  async #stepPassed(
    r: Rollout,
    driver: CandidateDriver,
    now: Date,
    why: string,
  ): Promise<StepResult> {
    const step = r.steps[r.currentStep];
    if (isFinalStep(r.steps, r.currentStep)) {
      return this.#startPromotion(
        now,
        `${this.#stepName(r)} passed (${why}); promoting`,
      );
    }
    if (step.gate) {
      const reason = `${this.#stepName(
        r,
      )} passed (${why}); waiting at a manual gate: resume, promote or abort`;
      return this.#holdForPerson(now, reason, 'gate');
    }
    if (step.pauseSeconds) {
      const until = new Date(now.getTime() + seconds(step.pauseSeconds));
      const reason = `${this.#stepName(r)} passed (${why}); pausing ${
        step.pauseSeconds
      } s`;
      return {
        patch: {
          phase: 'progressing',
          phaseReason: reason,
          stage: 'pause',
          stageStartedAt: now,
          phaseDeadlineAt: until,
        },
        events: [reason],
        next: until,
      };
    }
    return this.#scaleForStep(r, driver, now, r.currentStep + 1);
  }

  async #afterPause(
    r: Rollout,
    driver: CandidateDriver,
    now: Date,
  ): Promise<StepResult> {
    if (r.phaseDeadlineAt && now < r.phaseDeadlineAt) {
      return { patch: {}, next: r.phaseDeadlineAt };
    }
    return this.#scaleForStep(r, driver, now, r.currentStep + 1);
  }

  async #paused(
    r: Rollout,
    driver: CandidateDriver,
    now: Date,
  ): Promise<StepResult> {
    const overdue = r.phaseDeadlineAt !== null && now >= r.phaseDeadlineAt;
    if (r.stage === 'analyze') {
      if (!overdue) return this.#analyze(r, driver, now);
      if (r.analysis.onInconclusive === 'abort') {
        return this.#abort(
          now,
          `the analysis stayed inconclusive for ${r.analysis.inconclusiveSeconds} s: ${r.phaseReason}`,
        );
      }
      return this.#holdForPerson(
        now,
        `the analysis stayed inconclusive for ${r.analysis.inconclusiveSeconds} s; waiting for a person to resume, promote or abort`,
      );
    }
    if (overdue) {
      return this.#abort(
        now,
        `paused longer than ${
          this.#o.maxPauseMs / 1000
        } s without anyone resuming or promoting it`,
      );
    }
    return { patch: {}, next: r.phaseDeadlineAt };
  }

  // ---- failure, promotion, abort -----------------------------------------------------------

  /** A failed step: what the workload's rollback policy says. */
  #analysisFailed(r: Rollout, now: Date, reason: string): StepResult {
    if (r.rollbackPolicy === 'auto') return this.#abort(now, reason);
    const policy =
      r.rollbackPolicy === 'freeze'
        ? 'rollback policy freeze: every further change to the workload is held until a person resumes, promotes or aborts'
        : 'rollback policy manual: a person resumes, promotes or aborts';
    return this.#holdForPerson(now, `paused: ${reason}; ${policy}`);
  }

  #holdForPerson(
    now: Date,
    reason: string,
    stage: 'hold' | 'gate' = 'hold',
  ): StepResult {
    const deadline = new Date(now.getTime() + this.#o.maxPauseMs);
    return {
      patch: {
        phase: 'paused',
        phaseReason: reason,
        stage,
        stageStartedAt: now,
        phaseDeadlineAt: deadline,
      },
      events: [reason],
      next: deadline,
    };
  }

  #startPromotion(now: Date, reason: string): StepResult {
    return {
      patch: {
        phase: 'promoting',
        phaseReason: reason,
        stage: 'create',
        stageStartedAt: now,
        phaseDeadlineAt: null,
        attempts: 0,
      },
      events: [reason],
      next: now,
    };
  }

  /**
   * Gives the stable workload the new images, waits for it to roll out, then removes the
   * candidate. Should the stable workload fail to roll out in time, the rollout aborts,
   * which restores it.
   */
  async #promote(
    r: Rollout,
    driver: CandidateDriver,
    now: Date,
  ): Promise<StepResult> {
    if (r.strategy === 'bluegreen' && r.stage !== 'promote') {
      if (r.stage !== 'window') return this.#switchToGreen(r, driver, now);
      if (r.phaseDeadlineAt && now < r.phaseDeadlineAt) {
        return { patch: {}, next: r.phaseDeadlineAt };
      }
      // The window passed: the stable Deployment takes the new images behind green, so that
      // the workload keeps its name; then the Service is unpinned and green removed.
    }
    if (r.stage !== 'promote') {
      const current = await driver.getWorkload(r.target);
      if (!current) {
        return this.#abort(now, `${describe(r.target)} is gone`);
      }
      const promoted = current.containers.every(
        c => (r.candidate.containers[c.name]?.image ?? c.image) === c.image,
      );
      if (!promoted) {
        if (!sameTemplate(current, r.stable)) {
          return this.#abort(
            now,
            `${describe(
              r.target,
            )} was changed by someone else during the rollout; not promoting over it`,
          );
        }
        if (r.strategy === 'canary') {
          // The stable pods are about to change their pod-template-hash: a Service pinned to
          // the old one would drain. Traffic goes back to the Service as it was first.
          await this.#router(r)?.reset(this.#route(r));
          if (r.candidate.service) {
            await driver.setServiceSelector(
              r.target.namespace,
              r.candidate.service,
            );
          }
        }
        await driver.apply(
          r.target,
          { verb: 'rollout', containers: r.candidate.containers },
          { expectedResourceVersion: current.resourceVersion, current },
        );
      }
      const deadline = new Date(
        now.getTime() + seconds(r.analysis.readySeconds),
      );
      const reason = `promoting: ${describe(
        r.target,
      )} takes the new images; waiting for its rollout`;
      return {
        patch: {
          phaseReason: reason,
          stage: 'promote',
          stageStartedAt: now,
          phaseDeadlineAt: deadline,
        },
        events: [reason],
        next: this.#soonest(now, deadline),
      };
    }
    const status = await driver.rolloutStatus(r.target);
    if (status.state === 'complete') {
      await this.#router(r)?.reset(this.#route(r));
      if (r.candidate.service) {
        await driver.setServiceSelector(
          r.target.namespace,
          r.candidate.service,
        );
      }
      await driver.removeCandidate(this.#candidateRef(r));
      const reason = `promoted: ${describe(r.target)} runs ${images(r)}; ${
        r.candidate.workload
      } removed`;
      return {
        patch: {
          phase: 'succeeded',
          phaseReason: reason,
          stage: 'done',
          weight: 100,
          endedAt: now,
          phaseDeadlineAt: null,
        },
        events: [reason],
        next: null,
      };
    }
    if (
      status.state === 'failed' ||
      (r.phaseDeadlineAt && now >= r.phaseDeadlineAt)
    ) {
      return this.#abort(
        now,
        `the promoted ${describe(r.target)} did not roll out${
          status.state === 'failed' ? `: ${status.reason}` : ' in time'
        }`,
      );
    }
    return { patch: {}, next: this.#soonest(now, r.phaseDeadlineAt) };
  }

  #abort(now: Date, reason: string): StepResult {
    const message = `aborting: ${reason}`;
    return {
      patch: {
        phase: 'aborting',
        phaseReason: message,
        stage: 'undo',
        stageStartedAt: now,
        attempts: 0,
        phaseDeadlineAt: null,
      },
      events: [message],
      next: now,
    };
  }

  /**
   * Removes the candidate and, if a promotion had begun, puts the stable workload back as it
   * was. Retried with back-off while the cluster does not answer (see #retry).
   */
  async #carryOutAbort(
    r: Rollout,
    driver: CandidateDriver,
    now: Date,
  ): Promise<StepResult> {
    if (r.strategy === 'bluegreen') return this.#abortBlueGreen(r, driver, now);
    // Traffic back to the stable workload first, then the candidate goes.
    await this.#router(r)?.reset(this.#route(r));
    await this.#unpin(r, driver);
    await driver.removeCandidate(this.#candidateRef(r));
    const current = await driver.getWorkload(r.target);
    let restored = '';
    if (current && !sameTemplate(current, r.stable)) {
      if (showsCandidate(current, r)) {
        // The promotion's images go; the replica count stays whatever scaled it since.
        await driver.restore(
          { ...r.stable, replicas: current.replicas },
          { expected: current },
        );
        restored = `; ${describe(r.target)} restored to ${r.stable.containers
          .map(c => c.image)
          .join(', ')}`;
      }
    }
    const reason = `aborted (${r.phaseReason.replace(/^aborting: /, '')}): ${
      r.candidate.workload
    } removed${restored}${restored ? '' : `, ${describe(r.target)} untouched`}`;
    return {
      patch: {
        phase: 'aborted',
        phaseReason: reason,
        stage: 'done',
        weight: 0,
        endedAt: now,
      },
      events: [reason],
      next: null,
    };
  }

  // ---- blue/green ---------------------------------------------------------------------------

  /**
   * Pins the Service to blue's pods (their pod-template-hash), so that green, created at full
   * size beside it, takes no traffic until the switch.
   */
  async #prepareBlueGreen(
    r: Rollout,
    driver: CandidateDriver,
    now: Date,
  ): Promise<StepResult> {
    let prepared: Rollout;
    try {
      prepared = await this.#pinToStable(r, driver);
    } catch (error) {
      if (error instanceof NoServiceError) {
        return this.#abort(
          now,
          `${error.message}: blue/green switches a Service`,
        );
      }
      throw error;
    }
    const result = await this.#scaleForStep(prepared, driver, now, 0);
    return {
      ...result,
      events: [
        `Service ${prepared.candidate.service!.name} pinned to ${describe(
          r.target,
        )} (blue)`,
        ...(result.events ?? []),
      ],
    };
  }

  /**
   * Pins the Service in front of the stable pods to their pod-template-hash, so that pods
   * beside them (green, or a canary whose share a router sets) take no traffic through it.
   * Returns the rollout with the Service and hash it will persist.
   */
  async #pinToStable(r: Rollout, driver: CandidateDriver): Promise<Rollout> {
    const service = r.candidate.service ?? (await driver.findService(r.target));
    if (!service) {
      throw new NoServiceError(
        `no Service in ${r.target.namespace} selects the pods of ${describe(
          r.target,
        )}`,
      );
    }
    const blueHash =
      r.candidate.blueHash ?? (await driver.podTemplateHash(r.target));
    if (!blueHash) {
      throw new Error(
        `${describe(r.target)} has no ready pods to pin traffic to`,
      );
    }
    await driver.setServiceSelector(r.target.namespace, {
      name: service.name,
      selector: pinned(service.selector, blueHash),
    });
    return { ...r, candidate: { ...r.candidate, service, blueHash } };
  }

  /**
   * When a step's analysis must have reached a verdict: time for a run of passes and one of
   * inconclusive intervals, three times over (flapping verdicts never reach either).
   */
  #analysisDeadline(r: Rollout, now: Date): Date {
    const { intervalSeconds, passAfter, inconclusiveAfter } = r.analysis;
    return new Date(
      now.getTime() +
        seconds(intervalSeconds * (passAfter + inconclusiveAfter) * 3),
    );
  }

  /**
   * Puts the Service back as it was before the rollout pinned it. Where the pin was never
   * recorded (a person's abort landed during the step that made it), the Service is looked up
   * and any pin to one pod-template-hash removed.
   */
  async #unpin(r: Rollout, driver: CandidateDriver): Promise<void> {
    if (r.strategy === 'canary' && !r.candidate.router) return;
    const service = r.candidate.service ?? (await driver.findService(r.target));
    if (service) await driver.setServiceSelector(r.target.namespace, service);
  }

  /** The traffic router of a canary that uses one. */
  #router(r: Rollout): TrafficRouter | undefined {
    if (!r.candidate.router) return undefined;
    const router =
      this.#o.trafficRouters?.get(
        `${r.target.cluster}/${r.candidate.router}`,
      ) ?? this.#o.trafficRouters?.get(`*/${r.candidate.router}`);
    if (!router) {
      throw new Error(
        `no ${r.candidate.router} traffic router is configured for cluster ${r.target.cluster}`,
      );
    }
    return router;
  }

  #route(r: Rollout): TrafficRoute {
    return {
      cluster: r.target.cluster,
      namespace: r.target.namespace,
      workload: r.target.name,
      candidate: r.candidate.workload,
      rolloutId: r.id,
    };
  }

  /** The switch: one write of the Service's selector, from blue's pods to green's. */
  async #switchToGreen(
    r: Rollout,
    driver: CandidateDriver,
    now: Date,
  ): Promise<StepResult> {
    const { service } = r.candidate;
    const greenHash = await driver.podTemplateHash(this.#candidateRef(r));
    if (!service || !greenHash) {
      throw new Error(`${r.candidate.workload} has no ready pods to switch to`);
    }
    const started = Date.now();
    await driver.setServiceSelector(r.target.namespace, {
      name: service.name,
      selector: pinned(service.selector, greenHash),
    });
    const tookMs = Date.now() - started;
    const window = r.candidate.rollbackWindowSeconds ?? 600;
    const until = new Date(now.getTime() + seconds(window));
    const reason = `switched Service ${service.name} to ${
      r.candidate.workload
    } (green) in ${tookMs} ms; ${describe(r.target)} (blue) stays at ${
      r.stable.replicas
    } replica(s) for a rollback until ${until.toISOString()}`;
    return {
      patch: {
        phaseReason: reason,
        stage: 'window',
        weight: 100,
        candidate: { ...r.candidate, greenHash },
        stageStartedAt: now,
        phaseDeadlineAt: until,
      },
      events: [reason],
      next: until,
    };
  }

  /**
   * Traffic back to blue first (one write: the rollback inside the window), then green goes
   * and the Service is unpinned. Should the stable Deployment already have taken the new
   * images, it is restored, and traffic goes back only once it is ready again.
   */
  async #abortBlueGreen(
    r: Rollout,
    driver: CandidateDriver,
    now: Date,
  ): Promise<StepResult> {
    const { service, blueHash } = r.candidate;
    const current = await driver.getWorkload(r.target);
    if (
      r.stage !== 'undo-wait' &&
      current &&
      !sameTemplate(current, r.stable) &&
      showsCandidate(current, r)
    ) {
      // The new images go; the replica count stays whatever scaled it since.
      await driver.restore(
        { ...r.stable, replicas: current.replicas },
        { expected: current },
      );
      const reason = `${r.phaseReason}; ${describe(
        r.target,
      )} restored, waiting for it before traffic goes back`;
      return {
        patch: {
          phaseReason: reason,
          stage: 'undo-wait',
          stageStartedAt: now,
          phaseDeadlineAt: new Date(
            now.getTime() + seconds(r.analysis.readySeconds),
          ),
        },
        events: [reason],
        next: new Date(now.getTime() + this.#o.recheckMs),
      };
    }
    if (r.stage === 'undo-wait') {
      const status = await driver.rolloutStatus(r.target);
      if (status.state !== 'complete') {
        if (r.phaseDeadlineAt && now >= r.phaseDeadlineAt) {
          return this.#failed(
            r,
            `the restored ${describe(
              r.target,
            )} did not roll out by ${r.phaseDeadlineAt.toISOString()}`,
          );
        }
        return { patch: {}, next: this.#soonest(now, r.phaseDeadlineAt) };
      }
    }
    const switchedBack: string[] = [];
    if (service && blueHash) {
      const started = Date.now();
      // Blue's own pods (restored, the template and so the hash are blue's again).
      await driver.setServiceSelector(r.target.namespace, {
        name: service.name,
        selector: pinned(service.selector, blueHash),
      });
      switchedBack.push(
        `traffic back on ${describe(r.target)} (blue) in ${
          Date.now() - started
        } ms`,
      );
    }
    await driver.removeCandidate(this.#candidateRef(r));
    await this.#unpin(r, driver);
    const reason = `aborted (${r.phaseReason
      .replace(/^aborting: /, '')
      .replace(
        /; .* restored, waiting for it before traffic goes back$/,
        '',
      )}): ${[...switchedBack, `${r.candidate.workload} removed`].join('; ')}`;
    return {
      patch: {
        phase: 'aborted',
        phaseReason: reason,
        stage: 'done',
        weight: 0,
        endedAt: now,
      },
      events: [reason],
      next: null,
    };
  }

  #failed(r: Rollout, reason: string): StepResult {
    const message = `failed: ${reason}; a person must restore ${describe(
      r.target,
    )} and remove ${r.candidate.workload}`;
    return {
      patch: {
        phase: 'failed',
        phaseReason: message,
        stage: 'done',
        endedAt: this.#now(),
      },
      events: [message],
      next: null,
    };
  }

  /** The cluster did not answer (or refused): try again with back-off; an abort gives up last. */
  #retry(r: Rollout, now: Date, error: unknown): StepResult {
    const message = isError(error) ? error.message : String(error);
    const attempts = r.attempts + 1;
    if (attempts >= this.#o.abortAttempts) {
      return r.phase === 'aborting'
        ? this.#failed(r, `the abort failed ${attempts} times: ${message}`)
        : this.#abort(now, `${r.phase} failed ${attempts} times: ${message}`);
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

  // ---- persistence --------------------------------------------------------------------------

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
      this.#o.observer?.analyzed(
        r,
        result.analysis.verdict,
        result.analysis.score,
      );
    }
    if (hasEnded(phase)) {
      this.#unwatch(r);
      this.#o.onEnded?.({ ...r, ...result.patch, phase });
    }
    return { next: result.next, released: true };
  }

  #watch(r: Rollout) {
    this.#o.wakeups?.add(this.#candidateRef(r), r.id);
    this.#o.wakeups?.add(r.target, r.id);
  }

  #unwatch(r: Rollout) {
    this.#o.wakeups?.remove(this.#candidateRef(r), r.id);
    this.#o.wakeups?.remove(r.target, r.id);
  }

  /** The next look: at the deadline, or sooner where watch events may not come. */
  #soonest(now: Date, deadline: Date | null): Date {
    const recheck = now.getTime() + this.#o.recheckMs;
    return new Date(deadline ? Math.min(recheck, deadline.getTime()) : recheck);
  }

  #candidateRef(r: Rollout): WorkloadRef {
    return { ...r.target, name: r.candidate.workload };
  }

  #stepName(r: Rollout, index = r.currentStep): string {
    return `step ${index + 1} of ${r.steps.length} (${
      r.steps[index].weight
    } %)`;
  }
}

/** A Service selector that selects only the pods of one version. */
function pinned(
  selector: Record<string, string>,
  hash: string,
): Record<string, string> {
  return { ...selector, [POD_TEMPLATE_HASH_LABEL]: hash };
}

/** A step's result that also records the interval just analyzed. */
function withMeasurement(
  result: StepResult,
  measured: RolloutPatch,
  analysis: StepResult['analysis'],
): StepResult {
  return { ...result, patch: { ...measured, ...result.patch }, analysis };
}

function describe(ref: WorkloadRef): string {
  return stringifyWorkloadRef(ref);
}

function images(r: Rollout): string {
  return Object.values(r.candidate.containers)
    .map(c => c.image)
    .join(', ');
}
