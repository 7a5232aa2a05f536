import {
  decision,
  scale,
  setResources,
  replicaBounds,
  resourceBounds,
  NO_OBJECTION,
  expectJudgement,
  type Case,
} from '../../__testUtils__/policyCases';

const cases: Case[] = [
  // allowed_verbs
  {
    name: 'allowed_verbs: a listed verb is allowed',
    rules: [
      { id: 'verbs', kind: 'allowed_verbs', verbs: ['scale', 'restart'] },
    ],
    decisions: [decision({ verb: 'restart' })],
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'allowed_verbs: a verb not listed is denied',
    rules: [
      { id: 'verbs', kind: 'allowed_verbs', verbs: ['scale', 'restart'] },
    ],
    decisions: [decision({ verb: 'rollout' })],
    outcome: 'deny',
    rule: 'verbs',
    message:
      /^Verb rollout is not allowed here; rule verbs allows only scale, restart\./,
  },
  {
    name: 'allowed_verbs: of two overlapping rules the stricter (namespace) wins',
    rules: [
      {
        id: 'all-verbs',
        kind: 'allowed_verbs',
        verbs: ['scale', 'restart', 'rollout'],
      },
      {
        id: 'shop-verbs',
        kind: 'allowed_verbs',
        scope: { namespace: 'shop' },
        verbs: ['scale'],
      },
    ],
    decisions: [decision({ verb: 'rollout' })],
    outcome: 'deny',
    rule: 'shop-verbs',
    message: /rule shop-verbs allows only scale/,
  },

  // replica_bounds
  {
    name: 'replica_bounds: exactly max is allowed',
    rules: [replicaBounds({ max: 20 })],
    decisions: [scale(20)],
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'replica_bounds: max + 1 is denied',
    rules: [replicaBounds({ max: 20 })],
    decisions: [scale(21)],
    outcome: 'deny',
    rule: 'replica-bounds',
    message: /^Asks for 21 replicas; rule replica-bounds allows at most 20\./,
  },
  {
    name: 'replica_bounds: below min is denied',
    rules: [replicaBounds({ min: 2 })],
    decisions: [scale(1)],
    outcome: 'deny',
    rule: 'replica-bounds',
    message:
      /^Asks for 1 replica; rule replica-bounds allows at least 2\. Ask for 2 or more\./,
  },
  {
    name: 'replica_bounds: a step of exactly maxStep is allowed (10 -> 15, step 5)',
    rules: [replicaBounds({ maxStep: 5 })],
    decisions: [scale(15)],
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'replica_bounds: a step of maxStep + 1 is denied (10 -> 16)',
    rules: [replicaBounds({ maxStep: 5 })],
    decisions: [scale(16)],
    outcome: 'deny',
    rule: 'replica-bounds',
    message:
      /^Changes replicas by 6 \(from 10 to 16\); rule replica-bounds allows at most 5 per change\./,
  },
  {
    name: 'replica_bounds: a step of exactly maxStepPercent is allowed (10 -> 5, 50%)',
    rules: [replicaBounds({ maxStepPercent: 50 })],
    decisions: [scale(5)],
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'replica_bounds: a step above maxStepPercent is denied (10 -> 16, 60%)',
    rules: [replicaBounds({ maxStepPercent: 50 })],
    decisions: [scale(16)],
    outcome: 'deny',
    rule: 'replica-bounds',
    message:
      /^Changes replicas by 60% \(from 10 to 16\); rule replica-bounds allows at most 50% per change, i\.e\. 5 replicas/,
  },
  {
    name: 'replica_bounds: from 0 replicas only maxStep applies (0 -> 3 allowed)',
    rules: [replicaBounds({ maxStep: 3, maxStepPercent: 50 })],
    decisions: [scale(3, { name: 'checkout' })],
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'replica_bounds: from 0 replicas maxStep still denies (0 -> 4)',
    rules: [replicaBounds({ maxStep: 3, maxStepPercent: 50 })],
    decisions: [scale(4, { name: 'checkout' })],
    outcome: 'deny',
    rule: 'replica-bounds',
    message: /Changes replicas by 4 \(from 0 to 4\)/,
  },
  {
    name: 'replica_bounds: unknown current replicas need approval, saying why',
    rules: [replicaBounds({ maxStep: 3 })],
    decisions: [scale(4, { name: 'search' })],
    outcome: 'require_approval',
    rule: 'replica-bounds',
    message:
      /^The current replica count of prod\/shop\/Deployment\/search is unknown, so rule replica-bounds cannot check .* at most 3 replicas\. A person must check and approve it\./,
  },
  {
    name: 'replica_bounds: does not apply to a restart',
    rules: [replicaBounds({ max: 1, maxStep: 1 })],
    decisions: [decision({ verb: 'restart', name: 'search' })],
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'replica_bounds: of a global max 50 and a namespace max 20, 30 is denied by the stricter',
    rules: [
      replicaBounds({ id: 'global-bounds', max: 50 }),
      replicaBounds({
        id: 'shop-bounds',
        scope: { namespace: 'shop' },
        max: 20,
      }),
    ],
    decisions: [scale(30)],
    outcome: 'deny',
    rule: 'shop-bounds',
    message: /^Asks for 30 replicas; rule shop-bounds allows at most 20\./,
  },

  // resource_bounds
  {
    name: 'resource_bounds: a memory limit exactly at max is allowed',
    rules: [resourceBounds({ memory: { max: '4Gi' } })],
    decisions: [setResources({ limits: { memory: '4Gi' } })],
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'resource_bounds: a memory limit above max is denied',
    rules: [resourceBounds({ memory: { max: '4Gi' } })],
    decisions: [setResources({ limits: { memory: '4097Mi' } })],
    outcome: 'deny',
    rule: 'resource-bounds',
    message:
      /^Container app: memory limit 4097Mi is above the maximum 4Gi of rule resource-bounds\. Ask for at most 4Gi\./,
  },
  {
    name: 'resource_bounds: a cpu request below min is denied (0.05 < 100m)',
    rules: [resourceBounds({ cpu: { min: '100m' } })],
    decisions: [setResources({ requests: { cpu: '0.05' } })],
    outcome: 'deny',
    rule: 'resource-bounds',
    message: /^Container app: cpu request 0\.05 is below the minimum 100m/,
  },
  {
    name: 'resource_bounds: a change of exactly maxChangeRatio is allowed (500m -> 1)',
    rules: [resourceBounds({ maxChangeRatio: 2 })],
    decisions: [setResources({ requests: { cpu: '1' } })],
    outcome: 'allow',
    rule: 'policy',
    message: NO_OBJECTION,
  },
  {
    name: 'resource_bounds: more than maxChangeRatio up is denied (500m -> 1200m)',
    rules: [resourceBounds({ maxChangeRatio: 2 })],
    decisions: [setResources({ requests: { cpu: '1200m' } })],
    outcome: 'deny',
    rule: 'resource-bounds',
    message:
      /^Container app: cpu request 1200m changes the current 500m by a factor of 2\.4; rule resource-bounds allows at most 2×/,
  },
  {
    name: 'resource_bounds: more than maxChangeRatio down is denied (1Gi -> 256Mi)',
    rules: [resourceBounds({ maxChangeRatio: 2 })],
    decisions: [setResources({ limits: { memory: '256Mi' } })],
    outcome: 'deny',
    rule: 'resource-bounds',
    message: /memory limit 256Mi changes the current 1Gi by a factor of 4;/,
  },
  {
    name: 'resource_bounds: unknown current resources need approval',
    rules: [resourceBounds({ maxChangeRatio: 2 })],
    decisions: [setResources({ requests: { cpu: '1' } }, { name: 'search' })],
    outcome: 'require_approval',
    rule: 'resource-bounds',
    message:
      /^The current resources of prod\/shop\/Deployment\/search are unknown/,
  },
  {
    name: 'resource_bounds: a value that is not a quantity is denied',
    rules: [resourceBounds({ cpu: { max: '4' } })],
    decisions: [setResources({ requests: { cpu: 'lots' } })],
    outcome: 'deny',
    rule: 'resource-bounds',
    message: /cpu request lots is not a Kubernetes quantity/,
  },
];

describe('evaluatePolicy: allowed verbs, replica and resource bounds', () => {
  it.each(cases.map(c => [c.name, c] as const))('%s', (_name, c) =>
    expectJudgement(c),
  );
});
