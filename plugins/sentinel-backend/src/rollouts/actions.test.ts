import { personAction } from './actions';
import type { Rollout } from './types';

const at = new Date('2026-12-07T12:00:00.000Z');
const options = { maxPauseMs: 30 * 60_000, at };

describe('personAction', () => {
  it.each([
    ['pause', {}, 'paused', ['progressing'], 'hold'],
    ['promote', {}, 'progressing', ['progressing', 'paused'], 'advance'],
    [
      'promote',
      { full: true },
      'promoting',
      ['progressing', 'paused'],
      'create',
    ],
    [
      'abort',
      {},
      'aborting',
      ['pending', 'progressing', 'paused', 'promoting'],
      'undo',
    ],
  ] as const)(
    '%s %j moves the rollout to %s, from %j, at stage %s',
    (verb, request, to, from, stage) => {
      const action = personAction(verb, request, 'user:default/ann', options);
      expect(action).toMatchObject({ to, from, actor: 'user:default/ann', at });
      expect(action.patch).toMatchObject({ stage });
    },
  );

  it('pauses until the longest pause, saying when it aborts and why', () => {
    const action = personAction(
      'pause',
      { reason: 'checking a dashboard' },
      'user:default/ann',
      options,
    );
    expect(action.message).toBe(
      'paused by user:default/ann: checking a dashboard; aborts at 2026-12-07T12:30:00.000Z unless resumed or promoted',
    );
    expect(action.patch).toMatchObject({
      phaseDeadlineAt: new Date('2026-12-07T12:30:00.000Z'),
    });
  });

  it('resumes a manual gate onto the next step, any other pause at its own step', () => {
    const resume = personAction('resume', {}, 'user:default/ann', options);
    const patchFor = (stage: string) =>
      (resume.patch as (r: Rollout) => { stage: string })({
        stage,
      } as Rollout);
    expect(patchFor('gate').stage).toBe('advance');
    expect(patchFor('hold').stage).toBe('resume');
  });
});
