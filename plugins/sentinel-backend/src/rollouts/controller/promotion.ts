import type { Rollout } from '../types';
import {
  candidateRef,
  describe,
  images,
  sameTemplate,
  seconds,
  soonest,
  waitUntil,
  type StepContext,
  type StepResult,
} from './context';
import { abort } from './endings';
import { resetRouter, restoreService } from './traffic';

/** Begins the promotion (after the last step, or at once when a person promotes fully). */
export function startPromotion(now: Date, reason: string): StepResult {
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
 * candidate. Should the stable workload fail to roll out in time, the rollout aborts, which
 * restores it.
 */
export async function promote(
  ctx: StepContext,
  r: Rollout,
): Promise<StepResult> {
  return r.stage === 'promote' ? awaitPromoted(ctx, r) : promoteStable(ctx, r);
}

/** The stable workload takes the candidate's images, unless someone else changed it. */
async function promoteStable(
  ctx: StepContext,
  r: Rollout,
): Promise<StepResult> {
  const { driver, now } = ctx;
  const current = await driver.getWorkload(r.target);
  if (!current) return abort(now, `${describe(r.target)} is gone`);
  const promoted = current.containers.every(
    c => (r.candidate.containers[c.name]?.image ?? c.image) === c.image,
  );
  if (!promoted) {
    if (!sameTemplate(current, r.stable)) {
      return abort(
        now,
        `${describe(
          r.target,
        )} was changed by someone else during the rollout; not promoting over it`,
      );
    }
    if (r.strategy === 'canary') {
      // The stable pods are about to change their pod-template-hash: a Service pinned to
      // the old one would drain. Traffic goes back to the Service as it was first.
      await resetRouter(ctx, r);
      await restoreService(ctx, r);
    }
    await driver.apply(
      r.target,
      { verb: 'rollout', containers: r.candidate.containers },
      { expectedResourceVersion: current.resourceVersion, current },
    );
  }
  const deadline = new Date(now.getTime() + seconds(r.analysis.readySeconds));
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
    next: soonest(ctx, deadline),
  };
}

/** Once the stable workload has rolled out: traffic as it was first, the candidate gone. */
async function awaitPromoted(
  ctx: StepContext,
  r: Rollout,
): Promise<StepResult> {
  const { driver, now } = ctx;
  const status = await driver.rolloutStatus(r.target);
  if (status.state === 'complete') {
    await resetRouter(ctx, r);
    await restoreService(ctx, r);
    await driver.candidates.removeCandidate(candidateRef(r));
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
    return abort(
      now,
      `the promoted ${describe(r.target)} did not roll out${
        status.state === 'failed' ? `: ${status.reason}` : ' in time'
      }`,
    );
  }
  return waitUntil(soonest(ctx, r.phaseDeadlineAt));
}
