import { ConflictError, isError } from '@backstage/errors';
import { stringifyWorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import type {
  ClusterDriver,
  WorkloadState,
} from '@internal/backstage-plugin-sentinel-node';
import { progressiveStrategy } from '../../rollouts/ProgressiveRollouts';
import { LeaseLostError } from '../../work/Reconciler';
import type { StoredDecision } from '../store/PlanStore';
import { describeTarget, MAX_CONFLICT_ATTEMPTS, type Next } from './describe';
import type { PlanStep } from './PlanStep';
import {
  DecisionFailedError,
  recordChange,
  shows,
  type RecordedChange,
} from './recordedChange';
import { startRollout } from './rolloutWait';

/*
 * A decision at the moment of apply: the change recorded, the gate's check and reservation,
 * the write with the resourceVersion it was decided on, and the resumption of a write a dead
 * replica may or may not have made.
 */

export async function apply(
  step: PlanStep,
  decision: StoredDecision,
): Promise<Next> {
  const driver = step.o.clusterDrivers.get(decision.target.cluster);
  if (!driver) {
    return step.fail(
      decision,
      `cluster '${decision.target.cluster}' is not configured`,
    );
  }
  // After a conflict, ask the API server: the inventory may not have seen the write yet.
  const current =
    step.conflicts > 0
      ? await driver.getWorkload(decision.target)
      : await step.o.workloads.read(decision.target);
  if (!current) {
    return step.fail(
      decision,
      `workload ${describeTarget(decision)} does not exist`,
    );
  }
  let recorded: RecordedChange;
  try {
    recorded = await recordChange(decision, current, {
      now: step.now(),
      lastApplied: step.lastApplied,
    });
  } catch (error) {
    if (error instanceof DecisionFailedError) {
      return step.fail(decision, error.message);
    }
    throw error;
  }
  // Admitted, the gate persists with its check what this step has pending, the decision's
  // reservation and the move to executing, in one transaction.
  const now = step.now();
  const write = step.record.pendingWrite({
    at: now,
    transitions:
      step.plan.status === 'approved'
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
    ...(step.plan.heldSince && { heldSince: null }),
  });
  const judgement = await step.o.gate.admit({
    plan: step.plan,
    index: decision.index,
    owner: step.o.owner,
    current,
    now,
    write,
  });
  if (judgement.kind === 'lease_lost') {
    throw new LeaseLostError(`lease on plan ${step.plan.id} lost`);
  }
  if (judgement.kind !== 'admit') return step.refused(decision, judgement);

  step.record.persisted('executing', judgement.woken);
  step.plan.status = 'executing';
  step.plan.heldSince = null;
  Object.assign(decision, {
    status: 'applying',
    change: recorded,
    before: current,
    error: null,
  });
  step.o.wakeups?.add(decision.target, step.plan.id);
  await step.o.ledger?.record({
    id: `${step.plan.id}:${decision.index}`,
    at: step.now().toISOString(),
    workload: stringifyWorkloadRef(decision.target),
  });
  return writeChange(step, decision, driver, recorded, current);
}

/** Writes an admitted change; a concurrent write sends it back through the gate. */
export async function writeChange(
  step: PlanStep,
  decision: StoredDecision,
  driver: ClusterDriver,
  recorded: RecordedChange,
  before: WorkloadState,
): Promise<Next> {
  if (progressiveStrategy(decision)) {
    return startRollout(step, decision, before);
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
      return landed(step, decision, driver, recorded, now);
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
      ++step.conflicts < MAX_CONFLICT_ATTEMPTS
    ) {
      decision.status = 'pending';
      step.record.patch(decision.index, {
        status: 'pending',
        change: null,
        before: null,
        appliedAt: null,
      });
      step.o.wakeups?.remove(decision.target, step.plan.id);
      return 'continue';
    }
    return step.fail(decision, message, { released: true });
  }
  await step.o.hooks?.afterApply?.(step.plan.id, decision.index);
  return landed(step, decision, driver, recorded, after);
}

/** The change is in the cluster: wait for its rollout, or count it done. */
export async function landed(
  step: PlanStep,
  decision: StoredDecision,
  driver: ClusterDriver,
  recorded: RecordedChange,
  after: WorkloadState,
): Promise<Next> {
  decision.after = after;
  if (recorded.kind === 'restore' || !driver.rolloutStatus) {
    return step.succeeded(decision, recorded);
  }
  const now = step.now();
  const deadline = new Date(now.getTime() + step.o.rolloutTimeoutMs);
  const next = new Date(
    now.getTime() + step.o.rolloutRecheckMs(decision.target.cluster),
  );
  decision.status = 'rolling_out';
  step.record.patch(decision.index, {
    status: 'rolling_out',
    after,
    deadlineAt: deadline,
  });
  // Lost, the decision is `applying` again, and #resume finds the change in the cluster.
  return step.record.save(
    { release: { nextCheckAt: next }, replayable: true },
    next,
  );
}

/** A replica died after the gate admitted the change: did the change reach the cluster? */
export async function resume(
  step: PlanStep,
  decision: StoredDecision,
): Promise<Next> {
  const driver = step.o.clusterDrivers.get(decision.target.cluster);
  const recorded = decision.change as RecordedChange;
  const before = decision.before as WorkloadState;
  const current = await driver?.getWorkload(decision.target);
  if (!driver || !current) {
    return step.fail(decision, `workload ${describeTarget(decision)} is gone`);
  }
  if (progressiveStrategy(decision)) {
    // Starting a rollout twice returns the one the dead replica started.
    return startRollout(step, decision, before);
  }
  step.o.wakeups?.add(decision.target, step.plan.id);
  if (current.resourceVersion === before.resourceVersion) {
    return writeChange(step, decision, driver, recorded, before);
  }
  if (shows(current, recorded)) {
    return landed(step, decision, driver, recorded, current);
  }
  return step.fail(
    decision,
    `${describeTarget(
      decision,
    )} was changed by someone else while this plan was executing`,
  );
}
