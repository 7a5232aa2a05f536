import {
  candidateReplicas,
  effectiveWeight,
  isFinalStep,
} from '../canarySteps';
import type { Rollout } from '../types';
import {
  analysisDeadline,
  candidateRef,
  describe,
  sameTemplate,
  seconds,
  showsCandidate,
  soonest,
  stepName,
  waitUntil,
  type StepContext,
  type StepResult,
} from './context';
import { aborted, analysisFailed, holdForPerson } from './endings';
import { startPromotion } from './promotion';
import { pinToStable, resetRouter, routeOf, routerFor, unpin } from './traffic';

/**
 * Creates or scales the candidate for step `index`, then waits for its pods. Blue/green's
 * green is its only step, at full size and without traffic.
 */
export async function scaleForStep(
  ctx: StepContext,
  rollout: Rollout,
  index: number,
): Promise<StepResult> {
  let r = rollout;
  const step = r.steps[index];
  const routed = routerFor(ctx, r);
  if (routed && !r.candidate.service) {
    // A router sets the canary's share; the stable Service must not send it traffic too.
    r = await pinToStable(ctx, r);
  }
  const replicas = routed
    ? Math.max(1, Math.ceil((r.stable.replicas * step.weight) / 100))
    : candidateReplicas(r.stable.replicas, step.weight);
  await ctx.driver.candidates.ensureCandidate(r.target, {
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
  const deadline = new Date(
    ctx.now.getTime() + seconds(r.analysis.readySeconds),
  );
  const reason =
    r.strategy === 'bluegreen'
      ? `${r.candidate.workload} at full size (${replicas} replica(s)), without traffic; waiting for its pods`
      : `${stepName(r, index)}: ${
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
      stageStartedAt: ctx.now,
      phaseDeadlineAt: deadline,
    },
    events: [reason],
    next: soonest(ctx, deadline),
  };
}

/** Waits for the candidate's pods; once ready, its step's weight and the analysis begin. */
export async function awaitCandidate(
  ctx: StepContext,
  r: Rollout,
): Promise<StepResult> {
  const { now } = ctx;
  const status = await ctx.driver.rolloutStatus(candidateRef(r));
  if (status.state === 'complete') {
    const router = routerFor(ctx, r);
    const weight = r.steps[r.currentStep].weight;
    if (router) await router.setWeight(routeOf(r), weight);
    const reason = `${stepName(r)}: ${r.candidate.workload} is ready${
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
        phaseDeadlineAt: analysisDeadline(r, now),
      },
      events: [reason],
      next: new Date(now.getTime() + seconds(r.analysis.intervalSeconds)),
    };
  }
  if (status.state === 'failed') {
    return analysisFailed(
      ctx,
      r,
      `${r.candidate.workload} failed to roll out: ${status.reason}`,
    );
  }
  if (r.phaseDeadlineAt && now >= r.phaseDeadlineAt) {
    return analysisFailed(
      ctx,
      r,
      `${r.candidate.workload} was not ready within ${r.analysis.readySeconds} s`,
    );
  }
  return waitUntil(soonest(ctx, r.phaseDeadlineAt));
}

/** A step whose analysis passed: promote after the last, else a gate, a pause or the next. */
export async function stepPassed(
  ctx: StepContext,
  r: Rollout,
  why: string,
): Promise<StepResult> {
  const step = r.steps[r.currentStep];
  if (isFinalStep(r.steps, r.currentStep)) {
    return startPromotion(ctx.now, `${stepName(r)} passed (${why}); promoting`);
  }
  if (step.gate) {
    const reason = `${stepName(
      r,
    )} passed (${why}); waiting at a manual gate: resume, promote or abort`;
    return holdForPerson(ctx, reason, 'gate');
  }
  if (step.pauseSeconds) {
    const until = new Date(ctx.now.getTime() + seconds(step.pauseSeconds));
    const reason = `${stepName(r)} passed (${why}); pausing ${
      step.pauseSeconds
    } s`;
    return {
      patch: {
        phase: 'progressing',
        phaseReason: reason,
        stage: 'pause',
        stageStartedAt: ctx.now,
        phaseDeadlineAt: until,
      },
      events: [reason],
      next: until,
    };
  }
  return scaleForStep(ctx, r, r.currentStep + 1);
}

/** The pause after a step: on to the next step once it has passed. */
export async function afterPause(
  ctx: StepContext,
  r: Rollout,
): Promise<StepResult> {
  if (r.phaseDeadlineAt && ctx.now < r.phaseDeadlineAt) {
    return waitUntil(r.phaseDeadlineAt);
  }
  return scaleForStep(ctx, r, r.currentStep + 1);
}

/** A person promoted past the current step: the next one, or the promotion after the last. */
export async function advance(
  ctx: StepContext,
  r: Rollout,
): Promise<StepResult> {
  return isFinalStep(r.steps, r.currentStep)
    ? startPromotion(ctx.now, `promoted past ${stepName(r)} by a person`)
    : scaleForStep(ctx, r, r.currentStep + 1);
}

/**
 * Removes the candidate and, if a promotion had begun, puts the stable workload back as it
 * was. Traffic goes back to the stable workload first. Retried with back-off while the
 * cluster does not answer.
 */
export async function abortCanary(
  ctx: StepContext,
  r: Rollout,
): Promise<StepResult> {
  const { driver } = ctx;
  await resetRouter(ctx, r);
  await unpin(ctx, r);
  await driver.candidates.removeCandidate(candidateRef(r));
  const current = await driver.getWorkload(r.target);
  let restored = '';
  if (
    current &&
    !sameTemplate(current, r.stable) &&
    showsCandidate(current, r)
  ) {
    // The promotion's images go; the replica count stays whatever scaled it since.
    await driver.restore(
      { ...r.stable, replicas: current.replicas },
      { expected: current },
    );
    restored = `; ${describe(r.target)} restored to ${r.stable.containers
      .map(c => c.image)
      .join(', ')}`;
  }
  return aborted(
    r,
    ctx.now,
    `${r.candidate.workload} removed${
      restored || `, ${describe(r.target)} untouched`
    }`,
  );
}
