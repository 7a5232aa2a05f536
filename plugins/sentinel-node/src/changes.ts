import { isDeepStrictEqual } from 'node:util';
import type { WorkloadChange, WorkloadState } from './ClusterDriver';

type State = Omit<WorkloadState, 'resourceVersion'>;

/**
 * The workload as it is after a change: what a driver must make true. Pure.
 *
 * @public
 */
export function applyChange(
  state: Omit<WorkloadState, 'resourceVersion'>,
  change: WorkloadChange,
): Omit<WorkloadState, 'resourceVersion'> {
  switch (change.verb) {
    case 'scale':
      return { ...state, replicas: change.replicas };
    case 'restart':
      return { ...state, restartedAt: change.at };
    case 'set_resources':
      return {
        ...state,
        containers: state.containers.map(c => {
          const wanted = change.containers[c.name];
          return wanted
            ? {
                ...c,
                resources: {
                  requests: { ...c.resources.requests, ...wanted.requests },
                  limits: { ...c.resources.limits, ...wanted.limits },
                },
              }
            : c;
        }),
      };
    case 'rollout':
      return {
        ...state,
        containers: state.containers.map(c =>
          change.containers[c.name]
            ? { ...c, image: change.containers[c.name].image }
            : c,
        ),
      };
    default:
      throw new Error(`unknown verb ${(change as { verb: string }).verb}`);
  }
}

// Workload states are JSON data, compared as such: a state read back from the database and
// one from a driver are equal when their JSON is (whatever their prototypes or realms).
function withoutVersion(state: WorkloadState | State): State {
  const { resourceVersion: _ignored, ...rest } = state as WorkloadState;
  return JSON.parse(JSON.stringify(rest));
}

/**
 * Whether a workload already shows a change: applying it again would change nothing. This is
 * how a replica resuming a plan tells an applied decision from one that never reached the
 * cluster.
 *
 * @public
 */
export function isChangeApplied(
  state: WorkloadState,
  change: WorkloadChange,
): boolean {
  const current = withoutVersion(state);
  return isDeepStrictEqual(
    JSON.parse(JSON.stringify(applyChange(current, change))),
    current,
  );
}

/**
 * Whether a workload is exactly as a snapshot recorded it (ignoring its version).
 *
 * @public
 */
export function matchesSnapshot(
  state: WorkloadState,
  snapshot: WorkloadState,
): boolean {
  return isDeepStrictEqual(withoutVersion(state), withoutVersion(snapshot));
}

/**
 * Names of containers a change refers to that the workload does not have.
 *
 * @public
 */
export function unknownContainers(
  state: Omit<WorkloadState, 'resourceVersion'>,
  change: WorkloadChange,
): string[] {
  if (change.verb !== 'set_resources' && change.verb !== 'rollout') {
    return [];
  }
  const names = new Set(state.containers.map(c => c.name));
  return Object.keys(change.containers).filter(name => !names.has(name));
}
