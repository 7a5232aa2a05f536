import { stringifyWorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import {
  applyChange,
  isChangeApplied,
  matchesSnapshot,
  unknownContainers,
  type WorkloadChange,
  type WorkloadState,
} from '@internal/backstage-plugin-sentinel-node';
import type { StoredDecision } from '../store/PlanStore';

/** What a decision records before it touches the cluster, so a resume can tell what happened. */
export type RecordedChange =
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

/** A decision that cannot be carried out; the plan rolls back what it applied. */
export class DecisionFailedError extends Error {
  name = 'DecisionFailedError';
}

/** What a rollback decision restores: the last change to its target that is not undone. */
export type LastApplied = (
  decision: StoredDecision,
) => Promise<{ planId: string; decision: StoredDecision } | undefined>;

/**
 * The exact change a decision stands for, per verb, decided before anything is applied
 * against the workload as it is now.
 */
export async function recordChange(
  decision: StoredDecision,
  current: WorkloadState,
  context: { now: Date; lastApplied: LastApplied },
): Promise<RecordedChange> {
  const p = decision.params as Record<string, any>;
  const workload = stringifyWorkloadRef(decision.target);
  switch (decision.verb) {
    case 'scale':
      return {
        kind: 'change',
        change: { verb: 'scale', replicas: p.replicas },
      };
    case 'restart':
      return {
        kind: 'change',
        change: { verb: 'restart', at: context.now.toISOString() },
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
          `${workload} has no container(s) ${missing.join(', ')}`,
        );
      }
      return { kind: 'change', change };
    }
    case 'rollback': {
      const last = await context.lastApplied(decision);
      if (!last || !last.decision.before || !last.decision.after) {
        throw new DecisionFailedError(`nothing to roll back on ${workload}`);
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

/** Whether the workload already shows the recorded change (or restore). */
export function shows(state: WorkloadState, recorded: RecordedChange): boolean {
  return recorded.kind === 'change'
    ? isChangeApplied(state, recorded.change)
    : matchesSnapshot(state, recorded.snapshot);
}

/** The workload as the recorded change would leave it (shadow mode), at the same version. */
export function afterChange(
  state: WorkloadState,
  recorded: RecordedChange,
): WorkloadState {
  if (recorded.kind === 'restore') {
    return { ...recorded.snapshot, resourceVersion: state.resourceVersion };
  }
  return {
    ...applyChange(state, recorded.change),
    resourceVersion: state.resourceVersion,
  };
}
