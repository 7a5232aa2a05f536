import {
  CART,
  minutesAgo,
  secondsAgo,
  inSeconds,
  decision,
  SHOP,
  context,
  rateLimit,
  blastRadius,
  NO_OBJECTION,
  expectJudgement,
  type Case,
} from '../../__testUtils__/policyCases';

const cases: Case[] = [
  // rate_limit
  {
    name: 'rate_limit: exactly at the limit is allowed (2 applied + this = 3)',
    rules: [rateLimit({ max: 3 })],
    decisions: [decision()],
    context: context({ recentChanges: [minutesAgo(10), minutesAgo(5)] }),
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'rate_limit: one over the limit is denied, saying when to resubmit',
    rules: [rateLimit({ max: 3 })],
    decisions: [decision()],
    context: context({
      recentChanges: [minutesAgo(20), minutesAgo(10), minutesAgo(5)],
    }),
    outcome: 'deny',
    rule: 'rate-limit',
    message:
      /^This would be change 4 to prod\/shop\/Deployment\/cart within 60 minutes \(3 applied, 0 earlier in this plan\); rule rate-limit allows at most 3\. Resubmit at or after 2026-01-14T12:40:00\.000Z/,
  },
  {
    name: 'rate_limit: a change exactly windowMinutes ago no longer counts',
    rules: [rateLimit({ max: 3 })],
    decisions: [decision()],
    context: context({
      recentChanges: [minutesAgo(60), minutesAgo(10), minutesAgo(5)],
    }),
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'rate_limit: a change one second less than windowMinutes ago counts',
    rules: [rateLimit({ max: 3 })],
    decisions: [decision()],
    context: context({
      recentChanges: [secondsAgo(3599), minutesAgo(10), minutesAgo(5)],
    }),
    outcome: 'deny',
    rule: 'rate-limit',
    message:
      /This would be change 4 .* Resubmit at or after 2026-01-14T12:00:01\.000Z/,
  },
  {
    name: 'rate_limit: changes to other workloads do not count per workload',
    rules: [rateLimit({ max: 1 })],
    decisions: [decision()],
    context: context({
      recentChanges: [
        minutesAgo(5, 'prod/shop/Deployment/web'),
        minutesAgo(5, 'staging/shop/Deployment/cart'),
      ],
    }),
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'rate_limit per namespace: earlier decisions of the plan count (third of max 2 denied)',
    rules: [rateLimit({ per: 'namespace', max: 2 })],
    decisions: [
      decision({ name: 'cart' }),
      decision({ name: 'web' }),
      decision({ name: 'search' }),
    ],
    index: 2,
    outcome: 'deny',
    rule: 'rate-limit',
    message:
      /^This would be change 3 in namespace shop of cluster prod .*\(0 applied, 2 earlier in this plan\).*This plan alone has 3 such changes; split it into smaller plans\./,
  },
  {
    name: 'rate_limit per namespace: the second decision of max 2 is still allowed',
    rules: [rateLimit({ per: 'namespace', max: 2 })],
    decisions: [
      decision({ name: 'cart' }),
      decision({ name: 'web' }),
      decision({ name: 'search' }),
    ],
    index: 1,
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
    plan: 'deny',
  },
  {
    name: 'rate_limit global in a cluster scope: changes in other clusters do not count',
    rules: [rateLimit({ per: 'global', max: 2, scope: { cluster: 'prod' } })],
    decisions: [decision()],
    context: context({
      recentChanges: [
        minutesAgo(5, 'prod/ops/Deployment/grafana'),
        minutesAgo(5, 'staging/shop/Deployment/cart'),
        minutesAgo(5, 'staging/shop/Deployment/web'),
      ],
    }),
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'rate_limit global in a cluster scope: changes in that cluster count',
    rules: [rateLimit({ per: 'global', max: 2, scope: { cluster: 'prod' } })],
    decisions: [decision()],
    context: context({
      recentChanges: [
        minutesAgo(5, 'prod/ops/Deployment/grafana'),
        minutesAgo(7, 'prod/shop/Deployment/web'),
      ],
    }),
    outcome: 'deny',
    rule: 'rate-limit',
    message: /^This would be change 3 in the scope of rule rate-limit/,
  },
  {
    name: 'rate_limit: a rollback is never limited, so that rollback always works',
    rules: [rateLimit({ max: 1 })],
    decisions: [decision({ verb: 'rollback' })],
    context: context({ recentChanges: [minutesAgo(30)] }),
    outcome: 'allow',
    rule: 'policy',
    message: /^Allowed: no rule objects\.$/,
  },
  {
    name: 'rate_limit: a rollback in the plan still counts for the decisions after it',
    rules: [rateLimit({ max: 1 })],
    decisions: [decision({ verb: 'rollback' }), decision()],
    index: 1,
    context: context(),
    outcome: 'deny',
    rule: 'rate-limit',
    message: /This would be change 2 to prod\/shop\/Deployment\/cart/,
  },

  {
    name: 'rate_limit: changes in any order and with a UTC offset count, oldest first',
    rules: [rateLimit({ max: 3 })],
    decisions: [decision()],
    context: context({
      recentChanges: [
        minutesAgo(5),
        { at: '2026-01-14T12:50:00+01:00', workload: CART }, // 10 minutes ago
        minutesAgo(20),
      ],
    }),
    outcome: 'deny',
    rule: 'rate-limit',
    message:
      /This would be change 4 .* Resubmit at or after 2026-01-14T12:40:00\.000Z/,
  },
  {
    name: 'rate_limit: a change stamped after now does not count',
    rules: [rateLimit({ max: 1 })],
    decisions: [decision()],
    context: context({
      recentChanges: [{ at: inSeconds(1), workload: CART }],
    }),
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },

  // blast_radius
  {
    name: 'blast_radius: exactly maxPercent is allowed (2 recent + 1 = 3 of 10 = 30%)',
    rules: [blastRadius({ maxPercent: 30 })],
    decisions: [decision()],
    context: context({
      recentChanges: [
        minutesAgo(5, SHOP[1]),
        minutesAgo(6, SHOP[2]),
        minutesAgo(7, 'prod/ops/Deployment/grafana'),
      ],
    }),
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'blast_radius: above maxPercent is denied (3 recent + 1 = 4 of 10)',
    rules: [blastRadius({ maxPercent: 30 })],
    decisions: [decision()],
    context: context({
      recentChanges: [
        minutesAgo(5, SHOP[1]),
        minutesAgo(6, SHOP[2]),
        minutesAgo(7, SHOP[3]),
      ],
    }),
    outcome: 'deny',
    rule: 'blast-radius',
    message:
      /^This would make 4 of the 10 managed workloads in namespace shop of cluster prod changed within 60 minutes \(40%\); rule blast-radius allows at most 30% \(3\)\./,
  },
  {
    name: 'blast_radius: one workload may always change, even where 5% of 10 rounds down to none',
    rules: [blastRadius({ maxPercent: 5 })],
    decisions: [decision()],
    context: context(),
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'blast_radius: but not a second one when the share rounds down to zero',
    rules: [blastRadius({ maxPercent: 5 })],
    decisions: [decision()],
    context: context({ recentChanges: [minutesAgo(5, SHOP[1])] }),
    outcome: 'deny',
    rule: 'blast-radius',
    message: /This would make 2 of the 10 managed workloads/,
  },
  {
    name: 'blast_radius: a workload changed twice counts once',
    rules: [blastRadius({ maxPercent: 30 })],
    decisions: [decision()],
    context: context({
      recentChanges: [
        minutesAgo(5, CART),
        minutesAgo(6, CART),
        minutesAgo(7, SHOP[1]),
        minutesAgo(8, SHOP[2]),
      ],
    }),
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'blast_radius: the plan’s own later target tips it over (decision 1: 4 of 10)',
    rules: [blastRadius({ maxPercent: 30 })],
    decisions: [decision({ name: 'cart' }), decision({ name: 'web' })],
    context: context({
      recentChanges: [minutesAgo(5, SHOP[1]), minutesAgo(6, SHOP[2])],
    }),
    index: 1,
    outcome: 'deny',
    rule: 'blast-radius',
    message: /This would make 4 of the 10 managed workloads/,
  },
  {
    name: 'blast_radius per cluster: counts across namespaces (4 of 12 > 30%)',
    rules: [blastRadius({ per: 'cluster', maxPercent: 30 })],
    decisions: [decision()],
    context: context({
      recentChanges: [
        minutesAgo(5, 'prod/ops/Deployment/grafana'),
        minutesAgo(6, 'prod/ops/Deployment/loki'),
        minutesAgo(6, SHOP[4]),
      ],
    }),
    outcome: 'deny',
    rule: 'blast-radius',
    message:
      /This would make 4 of the 12 managed workloads in cluster prod changed within 60 minutes \(33\.3%\)/,
  },

  {
    name: 'blast_radius: a changed workload no longer managed counts, also in the total',
    rules: [blastRadius({ maxPercent: 25 })],
    decisions: [decision()],
    context: context({
      recentChanges: [
        minutesAgo(5, 'prod/shop/Deployment/legacy'),
        minutesAgo(6, SHOP[1]),
      ],
    }),
    outcome: 'deny',
    rule: 'blast-radius',
    message:
      /This would make 3 of the 11 managed workloads in namespace shop of cluster prod changed within 60 minutes \(27\.3%\); rule blast-radius allows at most 25% \(2\)/,
  },

  {
    name: 'blast_radius: a plan target not (yet) managed counts, also in the total',
    rules: [blastRadius({ maxPercent: 25 })],
    decisions: [decision({ name: 'newcomer', entityRef: null })],
    context: context({
      recentChanges: [minutesAgo(5, SHOP[1]), minutesAgo(6, SHOP[2])],
    }),
    outcome: 'deny',
    rule: 'blast-radius',
    message: /This would make 3 of the 11 managed workloads in namespace shop/,
  },

  // plan_size
  {
    name: 'plan_size: exactly max decisions is allowed',
    rules: [{ id: 'plan-size', kind: 'plan_size', max: 3 }],
    decisions: [
      decision({ name: 'cart' }),
      decision({ name: 'web' }),
      decision({ name: 'api' }),
    ],
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'plan_size: max + 1 decisions denies every decision in scope',
    rules: [{ id: 'plan-size', kind: 'plan_size', max: 3 }],
    decisions: [
      decision({ name: 'cart' }),
      decision({ name: 'web' }),
      decision({ name: 'api' }),
      decision({ name: 'auth' }),
    ],
    index: 3,
    outcome: 'deny',
    rule: 'plan-size',
    message:
      /^The plan has 4 decisions; rule plan-size allows at most 3 per plan\. Split it/,
  },
];

describe('evaluatePolicy: rate limits, blast radius, plan size', () => {
  it.each(cases.map(c => [c.name, c] as const))('%s', (_name, c) =>
    expectJudgement(c),
  );
});
