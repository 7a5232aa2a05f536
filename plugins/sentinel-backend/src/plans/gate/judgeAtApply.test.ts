import type {
  PolicyRule,
  Verdict,
} from '@internal/backstage-plugin-sentinel-common';
import { gateScope } from './gateScope';
import { inFlightHold, judgeAtApply, type JudgeInput } from './judgeAtApply';

const now = new Date('2026-11-27T12:00:00Z');
const inOneHour = new Date('2026-11-27T13:00:00Z');
const HOUR = 3600_000;

const verdict = (outcome: Verdict['outcome'], ...rules: string[]): Verdict => ({
  outcome,
  reasons: rules.map(rule => ({ rule, message: `${rule} says so.` })),
});

function judge(input: Partial<JudgeInput>) {
  return judgeAtApply({
    verdict: verdict('allow', 'policy'),
    verdictWithoutFreezes: () => verdict('allow', 'policy'),
    freezeEnds: () => ({ until: inOneHour, names: ['Release freeze'] }),
    approvedByPerson: false,
    heldSince: null,
    now,
    maxHoldMs: 24 * HOUR,
    ...input,
  });
}

describe('judgeAtApply', () => {
  it('admits what the policy allows', () => {
    expect(judge({})).toEqual({ kind: 'admit' });
  });

  it('holds a plan that only a freeze denies, until the freeze ends', () => {
    const judgement = judge({ verdict: verdict('deny', 'freeze:w1') });
    expect(judgement).toMatchObject({ kind: 'hold', until: inOneHour });
    expect((judgement as { reason: string }).reason).toMatch(
      /^Held by change freeze "Release freeze" until 2026-11-27T13:00:00.000Z \(rule freeze:w1\): Sentinel applies the change when it ends/,
    );
  });

  it('refuses, naming the rule, what a limit denies, even during a freeze', () => {
    expect(
      judge({
        verdict: verdict('deny', 'workload-rate', 'freeze:w1'),
        verdictWithoutFreezes: () => verdict('deny', 'workload-rate'),
      }),
    ).toMatchObject({
      kind: 'refuse',
      rule: 'workload-rate',
      reason: expect.stringMatching(
        /^Refused at the moment of apply: workload-rate says so/,
      ),
    });
  });

  it('refuses instead of holding past the longest hold, counting the time already held', () => {
    expect(
      judge({
        verdict: verdict('deny', 'freeze:w1'),
        heldSince: new Date(now.getTime() - 23.5 * HOUR),
      }),
    ).toMatchObject({
      kind: 'refuse',
      rule: 'freeze:w1',
      reason: expect.stringMatching(/Sentinel holds a plan at most 24 h/),
    });
  });

  it('lets a plan a person approved through a new approval rule, and asks for one otherwise', () => {
    const needsApproval = verdict('require_approval', 'low-confidence');
    expect(judge({ verdict: needsApproval, approvedByPerson: true })).toEqual({
      kind: 'admit',
    });
    expect(judge({ verdict: needsApproval })).toMatchObject({
      kind: 'ask',
      reason: expect.stringMatching(
        /^The policy now asks for a person's approval/,
      ),
    });
  });

  it('holds a change while another to the same workload is in flight, with a limit', () => {
    expect(
      inFlightHold(
        { heldSince: null, now, maxHoldMs: HOUR },
        { planId: 'p-1' },
        15_000,
      ),
    ).toMatchObject({
      kind: 'hold',
      until: new Date(now.getTime() + 15_000),
      reason: expect.stringMatching(/^Held: plan p-1 is still changing/),
    });
    expect(
      inFlightHold(
        { heldSince: new Date(now.getTime() - HOUR), now, maxHoldMs: HOUR },
        { planId: 'p-1' },
        15_000,
      ),
    ).toMatchObject({ kind: 'refuse', rule: 'in-flight' });
  });
});

describe('gateScope', () => {
  const target = {
    cluster: 'demo',
    namespace: 'shop',
    kind: 'Deployment' as const,
    name: 'cart',
  };
  const decision = { target, entityRef: 'component:default/cart', labels: {} };
  const since = (minutes: number) => new Date(now.getTime() - minutes * 60_000);

  it.each<[string, PolicyRule[], string[], object | undefined]>([
    ['no counting rule: no lock, no ledger', [], [], undefined],
    [
      'a workload rate limit locks the workload and reads its changes',
      [
        {
          id: 'r',
          kind: 'rate_limit',
          per: 'workload',
          max: 3,
          windowMinutes: 60,
        },
      ],
      ['workload:demo/shop/Deployment/cart'],
      { since: since(60), workload: target },
    ],
    [
      'a namespace blast radius locks the namespace and reads it',
      [
        {
          id: 'b',
          kind: 'blast_radius',
          per: 'namespace',
          maxPercent: 50,
          windowMinutes: 30,
        },
      ],
      ['namespace:demo/shop'],
      { since: since(30), cluster: 'demo', namespace: 'shop' },
    ],
    [
      'a global budget locks the rule and reads everything, over the longest window',
      [
        {
          id: 'r',
          kind: 'rate_limit',
          per: 'workload',
          max: 3,
          windowMinutes: 60,
        },
        {
          id: 'g',
          kind: 'rate_limit',
          per: 'global',
          max: 100,
          windowMinutes: 120,
        },
      ],
      ['workload:demo/shop/Deployment/cart', 'rule:g'],
      { since: since(120) },
    ],
    [
      'a rule scoped elsewhere neither locks nor reads',
      [
        {
          id: 'r',
          kind: 'rate_limit',
          per: 'namespace',
          max: 3,
          windowMinutes: 60,
          scope: { namespace: 'payments' },
        },
      ],
      [],
      undefined,
    ],
  ])('%s', (_name, rules, keys, ledger) => {
    const scope = gateScope(rules, decision, now);
    expect(scope.lockKeys.sort()).toEqual(keys.sort());
    expect(scope.ledger).toEqual(ledger);
  });
});
