import {
  NOW,
  CART,
  minutesAgo,
  inSeconds,
  decision,
  scale,
  context,
  replicaBounds,
  rateLimit,
  NO_OBJECTION,
  expectJudgement,
  type Case,
} from '../../__testUtils__/policyCases';
import { evaluatePolicy } from './evaluatePolicy';

const cases: Case[] = [
  // outcomes
  {
    name: 'outcome: deny wins over require_approval, and its reason comes first',
    rules: [
      { id: 'confidence', kind: 'confidence', minimum: 0.9 },
      replicaBounds({ max: 20 }),
    ],
    decisions: [scale(30, { confidence: 0.5 })],
    outcome: 'deny',
    rule: 'replica-bounds',
    message: /allows at most 20/,
  },
  {
    name: 'outcome: the plan needs approval if one decision does and none is denied',
    rules: [
      {
        id: 'rollouts-reviewed',
        kind: 'require_approval',
        verbs: ['rollout'],
        reason: 'Reviewed',
      },
    ],
    decisions: [decision({ verb: 'rollout' }), decision({ name: 'web' })],
    index: 1,
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
    plan: 'require_approval',
  },
];

describe('evaluatePolicy', () => {
  it.each(cases.map(c => [c.name, c] as const))('%s', (_name, c) =>
    expectJudgement(c),
  );

  it('lists a denying reason before the others and answers every decision in order', () => {
    const result = evaluatePolicy(
      {
        source: 'inframind',
        mode: 'enforce',
        decisions: [scale(30, { confidence: 0.5 }), decision({ name: 'web' })],
      },
      {
        rules: [
          { id: 'confidence', kind: 'confidence', minimum: 0.9 },
          replicaBounds({ max: 20 }),
        ],
        exceptions: [],
      },
      context(),
      NOW,
    );
    expect(result.decisions.map(d => d.index)).toEqual([0, 1]);
    expect(result.decisions[0].verdict.reasons.map(r => r.rule)).toEqual([
      'replica-bounds',
      'confidence',
    ]);
    expect(result.decisions[1].verdict.outcome).toBe('require_approval');
  });

  it('reuses one context at several times without carrying anything over', () => {
    const shared = context({ recentChanges: [minutesAgo(30)] });
    const policy = { rules: [rateLimit({ max: 1 })], exceptions: [] };
    const plan = {
      source: 'inframind',
      mode: 'enforce' as const,
      decisions: [decision()],
    };
    const at = (minutes: number) =>
      evaluatePolicy(
        plan,
        policy,
        shared,
        new Date(NOW.getTime() + minutes * 60_000),
      ).outcome;
    // The change 30 minutes ago leaves the 60-minute window 30 minutes from now.
    expect([at(0), at(29), at(30), at(0)]).toEqual([
      'deny',
      'deny',
      'allow',
      'deny',
    ]);
    // A change appended to the same array counts from then on.
    shared.recentChanges.push({ at: inSeconds(30 * 60), workload: CART });
    expect(at(31)).toBe('deny');
  });

  it('sees a rule changed in place between evaluations', () => {
    const rule = replicaBounds({ scope: { namespace: 'shop' }, max: 20 });
    const policy = { rules: [rule], exceptions: [] };
    const plan = {
      source: 'inframind',
      mode: 'enforce' as const,
      decisions: [scale(30)],
    };
    expect(evaluatePolicy(plan, policy, context(), NOW).outcome).toBe('deny');
    rule.scope = { namespace: 'ops' };
    expect(evaluatePolicy(plan, policy, context(), NOW).outcome).toBe('allow');
    policy.rules = [replicaBounds({ max: 20 })];
    expect(evaluatePolicy(plan, policy, context(), NOW).outcome).toBe('deny');
  });

  it('does not read the clock: only the given now counts', () => {
    // At NOW the change 59 minutes ago is in the window (deny); at the fake wall time it
    // would not be.
    const evaluate = () =>
      evaluatePolicy(
        { source: 'inframind', mode: 'enforce', decisions: [decision()] },
        { rules: [rateLimit({ max: 1 })], exceptions: [] },
        context({ recentChanges: [minutesAgo(59)] }),
        NOW,
      );
    jest.useFakeTimers({ now: Date.parse('2030-01-01T00:00:00Z') });
    try {
      expect(evaluate().outcome).toBe('deny');
    } finally {
      jest.useRealTimers();
    }
  });
});
