import {
  NOW,
  inSeconds,
  decision,
  scale,
  freeze,
  WEEKEND,
  override,
  exception,
  context,
  replicaBounds,
  NO_OBJECTION,
  expectJudgement,
  type Case,
} from '../../__testUtils__/policyCases';

const cases: Case[] = [
  // freeze windows
  {
    name: 'freeze: an active window in scope denies, saying until when and what to do',
    decisions: [decision()],
    context: context({ windows: [freeze({ scope: { namespace: 'shop' } })] }),
    outcome: 'deny',
    rule: 'freeze:black-friday',
    message:
      /^Change freeze "Black Friday" is in effect until 2026-01-15T00:00:00\.000Z: Peak sales\. Resubmit after it ends, or ask an admin for a break-glass override\./,
  },
  {
    name: 'freeze: a window of another namespace does not apply',
    decisions: [decision()],
    context: context({ windows: [freeze({ scope: { namespace: 'ops' } })] }),
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'freeze: a window ending exactly now no longer applies',
    decisions: [decision()],
    context: context({ windows: [freeze({ end: '2026-01-14T12:00:00Z' })] }),
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'freeze: a rollback is allowed when the window allows rollbacks',
    decisions: [decision({ verb: 'rollback' })],
    context: context({ windows: [freeze({})] }),
    outcome: 'allow',
    rule: 'freeze:black-friday',
    message:
      /^Rollback allowed during change freeze "Black Friday" \(until 2026-01-15T00:00:00\.000Z\)/,
  },
  {
    name: 'freeze: a rollback is denied when allowRollback is false',
    decisions: [decision({ verb: 'rollback' })],
    context: context({ windows: [freeze({ allowRollback: false })] }),
    outcome: 'deny',
    rule: 'freeze:black-friday',
    message:
      /Change freeze "Black Friday" is in effect .* This window does not let rollbacks through either\./,
  },
  {
    name: 'freeze: an active break-glass override allows, naming who, why and until when',
    decisions: [decision()],
    context: context({ windows: [freeze({})], overrides: [override()] }),
    outcome: 'allow',
    rule: 'freeze:black-friday',
    message:
      /is lifted by break-glass override glass-1: alice broke the glass \("payment outage fix"\), valid until 2026-01-14T13:00:00\.000Z\./,
  },
  {
    name: 'freeze: an override expiring exactly now no longer lifts the freeze',
    decisions: [decision()],
    context: context({
      windows: [freeze({})],
      overrides: [override({ expiresAt: NOW.toISOString() })],
    }),
    outcome: 'deny',
    rule: 'freeze:black-friday',
    message: /^Change freeze "Black Friday" is in effect/,
  },
  {
    name: 'freeze: an override created after now does not apply yet',
    decisions: [decision()],
    context: context({
      windows: [freeze({})],
      overrides: [override({ createdAt: inSeconds(1) })],
    }),
    outcome: 'deny',
    rule: 'freeze:black-friday',
    message: /^Change freeze "Black Friday" is in effect/,
  },
  {
    name: 'freeze: an override for another namespace does not lift it',
    decisions: [decision()],
    context: context({
      windows: [freeze({})],
      overrides: [override({ scope: { namespace: 'ops' } })],
    }),
    outcome: 'deny',
    rule: 'freeze:black-friday',
    message: /^Change freeze "Black Friday" is in effect/,
  },
  {
    name: 'freeze: the recurring weekend window denies on Saturday',
    decisions: [decision()],
    context: context({ windows: [WEEKEND] }),
    now: '2026-01-17T10:00:00Z',
    outcome: 'deny',
    rule: 'freeze:weekend',
    message:
      /^Change freeze "Weekend" is in effect until 2026-01-19T07:00:00\.000Z: Nobody on call\./,
  },
  {
    name: 'freeze: the recurring weekend window is over on Monday 08:00 Berlin',
    decisions: [decision()],
    context: context({ windows: [WEEKEND] }),
    now: '2026-01-19T07:00:00Z',
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'freeze: an exception cannot waive a freeze',
    rules: [replicaBounds({ max: 20 })],
    exceptions: [exception({ rules: ['replica-bounds'] })],
    decisions: [scale(30)],
    context: context({ windows: [freeze({})] }),
    outcome: 'deny',
    rule: 'freeze:black-friday',
    message: /^Change freeze "Black Friday" is in effect/,
  },

  // exceptions
  {
    name: 'exception: a live exception waives the rule and says so',
    rules: [replicaBounds({ max: 20 })],
    exceptions: [exception({ reason: 'launch week' })],
    decisions: [scale(30)],
    outcome: 'allow',
    rule: 'cart-launch',
    message:
      /^Rule replica-bounds waived for this decision by exception cart-launch \(ticket OPS-42: launch week\) until 2026-01-14T12:00:01\.000Z\./,
  },
  {
    name: 'exception: expiring exactly now it has expired',
    rules: [replicaBounds({ max: 20 })],
    exceptions: [exception({ expiresAt: NOW.toISOString() })],
    decisions: [scale(30)],
    outcome: 'deny',
    rule: 'replica-bounds',
    message: /Asks for 30 replicas; rule replica-bounds allows at most 20/,
  },
  {
    name: 'exception: for another entity it does not apply',
    rules: [replicaBounds({ max: 20 })],
    exceptions: [
      exception({ scope: { entityRef: 'component:default/search' } }),
    ],
    decisions: [scale(30)],
    outcome: 'deny',
    rule: 'replica-bounds',
    message: /allows at most 20/,
  },
  {
    name: 'exception: only the listed rules are waived',
    rules: [
      replicaBounds({ max: 20 }),
      { id: 'verbs', kind: 'allowed_verbs', verbs: ['restart'] },
    ],
    exceptions: [exception({ rules: ['replica-bounds'] })],
    decisions: [scale(30)],
    outcome: 'deny',
    rule: 'verbs',
    message: /Verb scale is not allowed here/,
  },
];

describe('evaluatePolicy: freeze windows, exceptions', () => {
  it.each(cases.map(c => [c.name, c] as const))('%s', (_name, c) =>
    expectJudgement(c),
  );
});
