import type { RolloutAction } from './store/RolloutStore';

/** What a person may do to a rollout in flight. */
export type RolloutVerb = 'pause' | 'resume' | 'promote' | 'abort';

/** What a person asked, with why. */
export interface RolloutRequest {
  /** Said on the timeline and in the audit log. */
  reason?: string;
  /** promote only: skip every remaining step and its analysis. */
  full?: boolean;
}

/**
 * What each person's action does to a rollout, from which phases: the phase it moves to and
 * what the controller does next (Argo Rollouts' pause, resume, promote, promote --full,
 * abort). Pure: `at` is when the person asked.
 */
export function personAction(
  verb: RolloutVerb,
  request: RolloutRequest,
  actor: string,
  options: { maxPauseMs: number; at: Date },
): RolloutAction {
  const { at } = options;
  const why = request.reason ? `: ${request.reason}` : '';
  switch (verb) {
    case 'pause': {
      const deadline = new Date(at.getTime() + options.maxPauseMs);
      return {
        to: 'paused',
        from: ['progressing'],
        actor,
        at,
        message: `paused by ${actor}${why}; aborts at ${deadline.toISOString()} unless resumed or promoted`,
        patch: { stage: 'hold', stageStartedAt: at, phaseDeadlineAt: deadline },
      };
    }
    case 'resume':
      return {
        to: 'progressing',
        from: ['paused'],
        actor,
        at,
        message: `resumed by ${actor}${why}`,
        // Resumed at a manual gate: on to the next step; elsewhere the step again.
        patch: current => ({
          stage: current.stage === 'gate' ? 'advance' : 'resume',
          stageStartedAt: at,
          phaseDeadlineAt: null,
        }),
      };
    case 'promote':
      return request.full
        ? {
            to: 'promoting',
            from: ['progressing', 'paused'],
            actor,
            at,
            message: `promoted fully by ${actor}, skipping the remaining steps and their analysis${why}`,
            patch: {
              stage: 'create',
              stageStartedAt: at,
              phaseDeadlineAt: null,
              attempts: 0,
            },
          }
        : {
            to: 'progressing',
            from: ['progressing', 'paused'],
            actor,
            at,
            message: `promoted to the next step by ${actor}${why}`,
            patch: {
              stage: 'advance',
              stageStartedAt: at,
              phaseDeadlineAt: null,
            },
          };
    default:
      return abortAction(actor, `aborted by ${actor}${why}`, at);
  }
}

/** An abort, by a person or by Sentinel for a plan (cancelled, or its undo): in every phase. */
export function abortAction(
  actor: string,
  reason: string,
  at: Date,
): RolloutAction {
  return {
    to: 'aborting',
    from: ['pending', 'progressing', 'paused', 'promoting'],
    actor,
    at,
    message: `aborting: ${reason}`,
    patch: {
      stage: 'undo',
      stageStartedAt: at,
      attempts: 0,
      phaseDeadlineAt: null,
    },
  };
}
