import { InputError } from '@backstage/errors';
import type { WorkloadState } from '@internal/backstage-plugin-sentinel-node';
import { progressiveStrategy } from '../../rollouts/ProgressiveRollouts';
import type { StoredDecision } from '../store/PlanStore';
import { describe, describeTarget, type Next } from './describe';
import type { PlanStep } from './PlanStep';
import { shows, type RecordedChange } from './recordedChange';
import { rolloutProgress } from './rolloutProgress';

/*
 * A decision whose change is rolling out: a look at a Deployment's rollout, or the start of
 * and the wait for a canary or blue/green rollout the rollout controller runs.
 */

export async function checkRollout(
  step: PlanStep,
  decision: StoredDecision,
): Promise<Next> {
  if (progressiveStrategy(decision)) return checkProgressive(step, decision);
  const driver = step.o.clusterDrivers.get(decision.target.cluster);
  const recorded = decision.change as RecordedChange;
  if (!driver?.rolloutStatus) return step.succeeded(decision, recorded);
  const now = step.now();
  // The watch event that woke this plan showed the rollout ended for a spec that includes
  // this change: believe it. Anything else is asked of the API server.
  const cached = step.o.workloads.cachedRollout(decision.target);
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
    recheckMs: step.o.rolloutRecheckMs(decision.target.cluster),
  });
  switch (progress.kind) {
    case 'complete':
      return step.succeeded(decision, recorded);
    case 'failed':
      // The change stays counted as applied, so the undo restores it.
      step.o.metrics?.decision(decision.verb, 'failed');
      step.record.patch(decision.index, { error: progress.reason });
      return step.undo(
        'rolled_back',
        `decision ${decision.index} (${describe(decision)}) failed: ${
          progress.reason
        }`,
      );
    default:
      step.o.wakeups?.add(decision.target, step.plan.id);
      return step.record.save(
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
export async function startRollout(
  step: PlanStep,
  decision: StoredDecision,
  before: WorkloadState,
): Promise<Next> {
  if (!step.o.rollouts) {
    return step.fail(
      decision,
      `${String(
        decision.params.strategy,
      )} rollouts are not enabled on this Sentinel`,
      { released: true },
    );
  }
  let rollout;
  try {
    rollout = await step.o.rollouts.start(
      step.plan.id,
      decision,
      before,
      step.now(),
    );
  } catch (error) {
    // The service's rollout settings are wrong (an annotation that does not parse).
    if (error instanceof InputError) {
      return step.fail(decision, error.message, { released: true });
    }
    throw error;
  }
  decision.status = 'rolling_out';
  step.record.patch(decision.index, {
    status: 'rolling_out',
    after: before,
    deadlineAt: null,
  });
  step.record.note(
    `decision ${decision.index}: ${rollout.strategy} rollout ${
      rollout.id
    } of ${describeTarget(decision)} started`,
  );
  const next = step.progressiveRecheck();
  return step.record.save({ release: { nextCheckAt: next } }, next);
}

export async function checkProgressive(
  step: PlanStep,
  decision: StoredDecision,
): Promise<Next> {
  const outcome = await step.o.rollouts?.outcome(step.plan.id, decision.index);
  if (!outcome) {
    // Admitted, but its rollout was never stored (a replica died in between): start it.
    return startRollout(step, decision, decision.before as WorkloadState);
  }
  const { rollout } = outcome;
  switch (outcome.state) {
    case 'running': {
      const next = step.progressiveRecheck();
      return step.record.save(
        { release: { nextCheckAt: next }, replayable: true },
        next,
      );
    }
    case 'succeeded': {
      const driver = step.o.clusterDrivers.get(decision.target.cluster);
      const after = await driver?.getWorkload(decision.target);
      if (after) decision.after = after;
      return step.succeeded(decision, decision.change as RecordedChange);
    }
    case 'aborted':
      // The rollout restored the workload itself: nothing of this decision is applied.
      step.o.metrics?.decision(decision.verb, 'failed');
      decision.status = 'rolled_back';
      step.record.patch(decision.index, {
        status: 'rolled_back',
        error: rollout.phaseReason,
      });
      step.record.ended(decision.target);
      return step.undo(
        'rolled_back',
        `decision ${decision.index} (${describe(decision)}): rollout ${
          rollout.id
        } ${rollout.phaseReason}`,
        { undoneByRollout: true },
      );
    default:
      return step.fail(
        decision,
        `rollout ${rollout.id} ${rollout.phaseReason}`,
      );
  }
}
