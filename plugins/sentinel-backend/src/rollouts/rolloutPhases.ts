/**
 * The phases of a progressive rollout (the OpenAPI document's RolloutPhase), and every change of phase
 * a rollout may make, in one table that the rollout store will enforce for people's actions
 * (pause, resume, promote, abort) and the controller's steps alike (ADR 006).
 */
export const ROLLOUT_PHASES = [
  'pending',
  'progressing',
  'paused',
  'promoting',
  'succeeded',
  'aborting',
  'aborted',
  'failed',
] as const;

export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];

export const ROLLOUT_TRANSITIONS: Readonly<
  Record<RolloutPhase, readonly RolloutPhase[]>
> = {
  // Waiting for its turn (another change to the workload is in flight) or for the canary's
  // first pods. Abort always works.
  pending: ['progressing', 'aborting'],
  // Steps and analyses. A failed or inconclusive analysis pauses (manual and freeze
  // policies, or Prometheus unavailable) or aborts (auto); the last step passed promotes.
  progressing: ['paused', 'promoting', 'aborting'],
  // Until a person resumes, promotes or aborts, or the pause's deadline aborts it.
  paused: ['progressing', 'promoting', 'aborting'],
  // The stable workload takes the new spec; should that fail, undo it.
  promoting: ['succeeded', 'aborting'],
  // Restoring the stable workload and removing the candidate; retried while the cluster is
  // down. Only when even that cannot be done does a person have to step in.
  aborting: ['aborted', 'failed'],
  succeeded: [],
  aborted: [],
  failed: [],
};

/**
 * Phases a replica claims when due: every phase that has not ended. A paused rollout waits
 * for a person, but not forever: it is due at its pause's deadline (every state has one).
 */
export const RECONCILED_ROLLOUT_PHASES: readonly RolloutPhase[] = [
  'pending',
  'progressing',
  'paused',
  'promoting',
  'aborting',
];

/** Whether the rollout has ended (nothing more will happen to it). */
export function hasEnded(phase: RolloutPhase): boolean {
  return ROLLOUT_TRANSITIONS[phase].length === 0;
}

/** Whether a person's abort is accepted in `phase`: in every phase that has not ended. */
export function canAbort(phase: RolloutPhase): boolean {
  return (
    phase === 'aborting' || ROLLOUT_TRANSITIONS[phase].includes('aborting')
  );
}

/** Throws on a change of phase the table does not allow (a programming error). */
export function assertRolloutTransition(
  from: RolloutPhase,
  to: RolloutPhase,
): void {
  if (!ROLLOUT_TRANSITIONS[from].includes(to)) {
    throw new Error(`a rollout cannot go from ${from} to ${to}`);
  }
}
