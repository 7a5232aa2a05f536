import type { Rollout } from '../types';
import { scaleForStep } from './canary';
import {
  candidateRef,
  describe,
  NoServiceError,
  pinned,
  sameTemplate,
  seconds,
  showsCandidate,
  soonest,
  waitUntil,
  type StepContext,
  type StepResult,
} from './context';
import { abort, aborted, failed } from './endings';
import { promote } from './promotion';
import { pinToStable, unpin } from './traffic';

/**
 * Blue/green's first step: pins the Service to blue's pods (their pod-template-hash), so that
 * green, created at full size beside it, takes no traffic until the switch.
 */
export async function prepareBlueGreen(
  ctx: StepContext,
  r: Rollout,
): Promise<StepResult> {
  let prepared: Rollout;
  try {
    prepared = await pinToStable(ctx, r);
  } catch (error) {
    if (error instanceof NoServiceError) {
      return abort(ctx.now, `${error.message}: blue/green switches a Service`);
    }
    throw error;
  }
  const result = await scaleForStep(ctx, prepared, 0);
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
 * Blue/green's promotion: the switch to green, the rollback window with blue kept at full
 * size, then the stable Deployment takes the new images behind green, so that the workload
 * keeps its name (see `promote`), and green goes.
 */
export async function promoteBlueGreen(
  ctx: StepContext,
  r: Rollout,
): Promise<StepResult> {
  if (r.stage === 'promote') return promote(ctx, r);
  if (r.stage !== 'window') return switchToGreen(ctx, r);
  if (r.phaseDeadlineAt && ctx.now < r.phaseDeadlineAt) {
    return waitUntil(r.phaseDeadlineAt);
  }
  return promote(ctx, r);
}

/** The switch: one write of the Service's selector, from blue's pods to green's. */
async function switchToGreen(
  ctx: StepContext,
  r: Rollout,
): Promise<StepResult> {
  const { candidates } = ctx.driver;
  const { service } = r.candidate;
  const greenHash = await candidates.podTemplateHash(candidateRef(r));
  if (!service || !greenHash) {
    throw new Error(`${r.candidate.workload} has no ready pods to switch to`);
  }
  const started = Date.now();
  await candidates.setServiceSelector(r.target.namespace, {
    name: service.name,
    selector: pinned(service.selector, greenHash),
  });
  const tookMs = Date.now() - started;
  const window = r.candidate.rollbackWindowSeconds ?? 600;
  const until = new Date(ctx.now.getTime() + seconds(window));
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
      stageStartedAt: ctx.now,
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
export async function abortBlueGreen(
  ctx: StepContext,
  r: Rollout,
): Promise<StepResult> {
  const { driver, now } = ctx;
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
      next: new Date(now.getTime() + ctx.settings.recheckMs),
    };
  }
  if (r.stage === 'undo-wait') {
    const status = await driver.rolloutStatus(r.target);
    if (status.state !== 'complete') {
      if (r.phaseDeadlineAt && now >= r.phaseDeadlineAt) {
        return failed(
          r,
          now,
          `the restored ${describe(
            r.target,
          )} did not roll out by ${r.phaseDeadlineAt.toISOString()}`,
        );
      }
      return waitUntil(soonest(ctx, r.phaseDeadlineAt));
    }
  }
  const undone: string[] = [];
  if (service && blueHash) {
    const started = Date.now();
    // Blue's own pods (restored, the template and so the hash are blue's again).
    await driver.candidates.setServiceSelector(r.target.namespace, {
      name: service.name,
      selector: pinned(service.selector, blueHash),
    });
    undone.push(
      `traffic back on ${describe(r.target)} (blue) in ${
        Date.now() - started
      } ms`,
    );
  }
  await driver.candidates.removeCandidate(candidateRef(r));
  await unpin(ctx, r);
  undone.push(`${r.candidate.workload} removed`);
  return aborted(r, now, undone.join('; '));
}
