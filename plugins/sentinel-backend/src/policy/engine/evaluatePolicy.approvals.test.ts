import {
  decision,
  scale,
  replicaBounds,
  NO_OBJECTION,
  expectJudgement,
  type Case,
} from '../../__testUtils__/policyCases';

const cases: Case[] = [
  // confidence
  {
    name: 'confidence: exactly the minimum is allowed',
    rules: [{ id: 'confidence', kind: 'confidence', minimum: 0.8 }],
    decisions: [decision({ confidence: 0.8 })],
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'confidence: below the minimum needs approval',
    rules: [{ id: 'confidence', kind: 'confidence', minimum: 0.8 }],
    decisions: [decision({ confidence: 0.79 })],
    outcome: 'require_approval',
    rule: 'confidence',
    message: /^Confidence 0\.79 is below 0\.8, the minimum of rule confidence/,
  },
  {
    name: 'confidence: a missing confidence needs approval',
    rules: [{ id: 'confidence', kind: 'confidence', minimum: 0.8 }],
    decisions: [decision()],
    outcome: 'require_approval',
    rule: 'confidence',
    message: /^The optimizer gave no confidence; rule confidence/,
  },

  // require_approval
  {
    name: 'require_approval: a listed verb needs approval, with the rule’s reason',
    rules: [
      {
        id: 'rollouts-reviewed',
        kind: 'require_approval',
        verbs: ['rollout'],
        reason: 'New images are reviewed by the owning team',
      },
    ],
    decisions: [decision({ verb: 'rollout' })],
    outcome: 'require_approval',
    rule: 'rollouts-reviewed',
    message:
      /^Needs a person's approval \(rule rollouts-reviewed\): New images are reviewed by the owning team\.$/,
  },
  {
    name: 'require_approval: another verb is not affected',
    rules: [
      {
        id: 'rollouts-reviewed',
        kind: 'require_approval',
        verbs: ['rollout'],
        reason: 'New images are reviewed',
      },
    ],
    decisions: [decision({ verb: 'scale', params: { replicas: 3 } })],
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'require_approval: without verbs every decision in scope needs approval',
    rules: [
      {
        id: 'prod-reviewed',
        kind: 'require_approval',
        scope: { cluster: 'prod' },
        reason: 'Production changes are reviewed.',
      },
    ],
    decisions: [decision({ verb: 'restart' })],
    outcome: 'require_approval',
    rule: 'prod-reviewed',
    message: /Production changes are reviewed\.$/,
  },

  // scopes
  {
    name: 'scope: labels that the entity carries make the rule apply',
    rules: [replicaBounds({ scope: { labels: { tier: 'critical' } }, max: 5 })],
    decisions: [scale(6)],
    outcome: 'deny',
    rule: 'replica-bounds',
    message: /Asks for 6 replicas; rule replica-bounds allows at most 5/,
  },
  {
    name: 'scope: labels the entity lacks keep the rule out',
    rules: [replicaBounds({ scope: { labels: { tier: 'critical' } }, max: 5 })],
    decisions: [
      scale(6, { name: 'search', entityRef: 'component:default/search' }),
    ],
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'scope: a labels scope never matches a decision without an entity',
    rules: [replicaBounds({ scope: { labels: { tier: 'critical' } }, max: 5 })],
    decisions: [scale(6, { entityRef: null })],
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'scope: an empty labels scope matches any decision',
    rules: [replicaBounds({ scope: { labels: {} }, max: 5 })],
    decisions: [scale(6, { entityRef: null })],
    outcome: 'deny',
    rule: 'replica-bounds',
    message: /allows at most 5/,
  },
  {
    name: 'scope: an entityRef scope applies to that entity only',
    rules: [
      replicaBounds({
        scope: { entityRef: 'component:default/search' },
        max: 5,
      }),
    ],
    decisions: [scale(6)],
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'scope: cluster and namespace must both match',
    rules: [
      replicaBounds({
        scope: { cluster: 'staging', namespace: 'shop' },
        max: 5,
      }),
    ],
    decisions: [scale(6)],
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },

  {
    name: 'scope: the cluster matches but the namespace does not',
    rules: [
      replicaBounds({ scope: { cluster: 'prod', namespace: 'ops' }, max: 5 }),
    ],
    decisions: [scale(6)],
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
];

describe('evaluatePolicy: confidence, required approvals, scopes', () => {
  it.each(cases.map(c => [c.name, c] as const))('%s', (_name, c) =>
    expectJudgement(c),
  );
});
