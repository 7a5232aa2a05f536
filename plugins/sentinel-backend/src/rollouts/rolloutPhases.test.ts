import {
  assertRolloutTransition,
  canAbort,
  hasEnded,
  RECONCILED_ROLLOUT_PHASES,
  ROLLOUT_PHASES,
  ROLLOUT_TRANSITIONS,
} from './rolloutPhases';

describe('rollout phases', () => {
  it('lets a person abort in every phase that has not ended, and in none that has', () => {
    for (const phase of ROLLOUT_PHASES) {
      expect([phase, canAbort(phase)]).toEqual([phase, !hasEnded(phase)]);
    }
  });

  it('ends every rollout in succeeded, aborted or failed: each phase reaches one', () => {
    const ends = new Set(['succeeded', 'aborted', 'failed']);
    for (const start of ROLLOUT_PHASES) {
      const seen = new Set([start]);
      const queue = [start];
      while (queue.length) {
        for (const next of ROLLOUT_TRANSITIONS[queue.shift()!]) {
          if (!seen.has(next)) {
            seen.add(next);
            queue.push(next);
          }
        }
      }
      expect([start, [...seen].some(p => ends.has(p))]).toEqual([start, true]);
    }
  });

  it('never changes the stable workload without promoting or aborting first', () => {
    // Only promoting leads to succeeded; only aborting to aborted and failed.
    const into = (end: string) =>
      ROLLOUT_PHASES.filter(p =>
        (ROLLOUT_TRANSITIONS[p] as readonly string[]).includes(end),
      );
    expect(into('succeeded')).toEqual(['promoting']);
    expect(into('aborted')).toEqual(['aborting']);
    expect(into('failed')).toEqual(['aborting']);
  });

  it('claims every rollout that has not ended when it is due, paused ones at their deadline', () => {
    expect(ROLLOUT_PHASES.filter(p => !hasEnded(p))).toEqual(
      RECONCILED_ROLLOUT_PHASES,
    );
  });

  it('refuses a change of phase the table does not list', () => {
    expect(() => assertRolloutTransition('succeeded', 'aborting')).toThrow(
      'a rollout cannot go from succeeded to aborting',
    );
    expect(() =>
      assertRolloutTransition('paused', 'progressing'),
    ).not.toThrow();
  });
});
