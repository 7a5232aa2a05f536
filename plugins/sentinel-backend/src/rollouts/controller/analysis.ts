import { analyzeInterval } from '../analysis/analyzeInterval';
import { judgeAnalysis } from '../analysis/healthScore';
import type { RolloutPatch } from '../store/rolloutRows';
import type { Rollout } from '../types';
import { stepPassed } from './canary';
import {
  analysisDeadline,
  seconds,
  stepName,
  type StepContext,
  type StepResult,
} from './context';
import { abort, analysisFailed, holdForPerson } from './endings';

/** One analysis interval, and what its verdict means for the step. */
export async function analyze(
  ctx: StepContext,
  r: Rollout,
): Promise<StepResult> {
  const { now } = ctx;
  const { score, restartCount } = await analyzeInterval(
    r,
    ctx.driver.candidates,
    ctx.settings.prometheus,
  );
  const intervals = [
    ...r.intervals,
    { verdict: score.verdict, reason: score.reason },
  ];
  const analysis = {
    step: r.currentStep,
    score: score.score,
    verdict: score.verdict,
    reason: score.reason,
    checks: score.checks,
  };
  const measured: RolloutPatch = {
    intervals,
    health: {
      score: score.score,
      verdict: score.verdict,
      reason: score.reason,
      checkedAt: now.toISOString(),
      metrics: score.checks,
    },
    ...(restartCount !== undefined && {
      candidate: { ...r.candidate, restartsSeen: restartCount },
    }),
  };
  /** The step's result, recording the interval just analyzed. */
  const recorded = (result: StepResult): StepResult => ({
    ...result,
    patch: { ...measured, ...result.patch },
    analysis,
  });
  const nextInterval = new Date(
    now.getTime() + seconds(r.analysis.intervalSeconds),
  );
  const judged = judgeAnalysis(intervals, r.analysis);
  switch (judged.verdict) {
    case 'pass':
      return recorded(await stepPassed(ctx, r, judged.reason));
    case 'fail':
      return recorded(
        analysisFailed(ctx, r, `analysis failed: ${judged.reason}`),
      );
    case 'inconclusive': {
      if (r.phase === 'paused') {
        // Still inconclusive while paused for it: keep looking until the deadline.
        return recorded({ patch: {}, next: nextInterval });
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
      return recorded({
        patch: {
          phase: 'paused',
          phaseReason: reason,
          phaseDeadlineAt: deadline,
        },
        events: [reason],
        next: nextInterval,
      });
    }
    default:
      if (r.phase === 'paused') {
        // An interval passed while paused for an inconclusive analysis: back to work.
        const reason = `${stepName(r)}: analysis answers again (${
          score.reason
        }); resumed`;
        return recorded({
          patch: {
            phase: 'progressing',
            phaseReason: reason,
            phaseDeadlineAt: analysisDeadline(r, now),
          },
          events: [reason],
          next: nextInterval,
        });
      }
      if (r.phaseDeadlineAt && now >= r.phaseDeadlineAt) {
        return recorded(
          analysisFailed(
            ctx,
            r,
            `the analysis reached no verdict by ${r.phaseDeadlineAt.toISOString()} (${
              judged.reason
            })`,
          ),
        );
      }
      return recorded({
        patch: { phaseReason: `${stepName(r)}: ${judged.reason}` },
        next: nextInterval,
      });
  }
}

/**
 * A paused rollout: paused for an inconclusive analysis, it keeps analyzing until its
 * deadline, then aborts or waits for a person as configured; paused by or for a person, it
 * aborts once the longest pause has passed.
 */
export async function paused(
  ctx: StepContext,
  r: Rollout,
): Promise<StepResult> {
  const { now } = ctx;
  const overdue = r.phaseDeadlineAt !== null && now >= r.phaseDeadlineAt;
  if (r.stage === 'analyze') {
    if (!overdue) return analyze(ctx, r);
    if (r.analysis.onInconclusive === 'abort') {
      return abort(
        now,
        `the analysis stayed inconclusive for ${r.analysis.inconclusiveSeconds} s: ${r.phaseReason}`,
      );
    }
    return holdForPerson(
      ctx,
      `the analysis stayed inconclusive for ${r.analysis.inconclusiveSeconds} s; waiting for a person to resume, promote or abort`,
    );
  }
  if (overdue) {
    return abort(
      now,
      `paused longer than ${
        ctx.settings.maxPauseMs / 1000
      } s without anyone resuming or promoting it`,
    );
  }
  return { patch: {}, next: r.phaseDeadlineAt };
}
