import type { Rollout } from '../types';
import { describe, type StepContext, type StepResult } from './context';

/** Starts an abort: the next step carries it out (see `abortCanary`, `abortBlueGreen`). */
export function abort(now: Date, reason: string): StepResult {
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
 * The end of a carried-out abort: the rollout is aborted, with no traffic on the candidate.
 * `undone` says what the abort did (candidate removed, traffic back, stable restored).
 */
export function aborted(r: Rollout, now: Date, undone: string): StepResult {
  const reason = `aborted (${abortReason(r)}): ${undone}`;
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

/** Why the rollout is aborting, without the prefixes and notes the abort's steps added. */
function abortReason(r: Rollout): string {
  return r.phaseReason
    .replace(/^aborting: /, '')
    .replace(/; .* restored, waiting for it before traffic goes back$/, '');
}

/** The rollout cannot be undone by Sentinel: a person must restore the workload. */
export function failed(r: Rollout, now: Date, reason: string): StepResult {
  const message = `failed: ${reason}; a person must restore ${describe(
    r.target,
  )} and remove ${r.candidate.workload}`;
  return {
    patch: {
      phase: 'failed',
      phaseReason: message,
      stage: 'done',
      endedAt: now,
    },
    events: [message],
    next: null,
  };
}

/** Paused until a person resumes, promotes or aborts; aborts after the longest pause. */
export function holdForPerson(
  ctx: StepContext,
  reason: string,
  stage: 'hold' | 'gate' = 'hold',
): StepResult {
  const deadline = new Date(ctx.now.getTime() + ctx.settings.maxPauseMs);
  return {
    patch: {
      phase: 'paused',
      phaseReason: reason,
      stage,
      stageStartedAt: ctx.now,
      phaseDeadlineAt: deadline,
    },
    events: [reason],
    next: deadline,
  };
}

/** A failed step: what the workload's rollback policy says. */
export function analysisFailed(
  ctx: StepContext,
  r: Rollout,
  reason: string,
): StepResult {
  if (r.rollbackPolicy === 'auto') return abort(ctx.now, reason);
  const policy =
    r.rollbackPolicy === 'freeze'
      ? 'rollback policy freeze: every further change to the workload is held until a person resumes, promotes or aborts'
      : 'rollback policy manual: a person resumes, promotes or aborts';
  return holdForPerson(ctx, `paused: ${reason}; ${policy}`);
}
