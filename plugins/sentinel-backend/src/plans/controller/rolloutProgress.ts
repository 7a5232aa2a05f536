import type { RolloutStatus } from '@internal/backstage-plugin-sentinel-node';

/** What a look at a change that is rolling out concludes. */
export type RolloutProgress =
  | { kind: 'complete' }
  | { kind: 'failed'; reason: string }
  | { kind: 'waiting'; next: Date };

/**
 * Judges one look at a rollout: done, failed (the cluster says so, or the deadline passed),
 * or still going, to be looked at again at `next` (a watch event usually comes first). Pure.
 */
export function rolloutProgress(
  status: RolloutStatus,
  options: { workload: string; deadline: Date; now: Date; recheckMs: number },
): RolloutProgress {
  if (status.state === 'complete') return { kind: 'complete' };
  if (status.state === 'failed') {
    return {
      kind: 'failed',
      reason: `${options.workload} did not become healthy: ${status.reason}`,
    };
  }
  if (options.now >= options.deadline) {
    return {
      kind: 'failed',
      reason: `${
        options.workload
      } did not become healthy by its rollout deadline ${options.deadline.toISOString()}`,
    };
  }
  const next = Math.min(
    options.deadline.getTime(),
    options.now.getTime() + options.recheckMs,
  );
  return { kind: 'waiting', next: new Date(next) };
}
