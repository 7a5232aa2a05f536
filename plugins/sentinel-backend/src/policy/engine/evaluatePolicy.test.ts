import type {
  FreezeOverride,
  FreezeWindow,
  PolicyException,
  PolicyRule,
  Verb,
  Verdict,
} from '@internal/backstage-plugin-sentinel-common';
import type { PolicyDecisionInput } from '../PolicyEngine';
import type { PolicyContext, RecentChange } from '../types';
import { evaluatePolicy } from './evaluatePolicy';
import { compileFreezeCalendar } from './freezeCalendar';

type Outcome = Verdict['outcome'];

/** Wednesday noon. */
const NOW = new Date('2026-01-14T12:00:00.000Z');
const CART = 'prod/shop/Deployment/cart';
const CART_REF = 'component:default/cart';

function minutesAgo(minutes: number, workload = CART): RecentChange {
  return {
    at: new Date(NOW.getTime() - minutes * 60_000).toISOString(),
    workload,
  };
}

function secondsAgo(seconds: number, workload = CART): RecentChange {
  return {
    at: new Date(NOW.getTime() - seconds * 1000).toISOString(),
    workload,
  };
}

function inSeconds(seconds: number): string {
  return new Date(NOW.getTime() + seconds * 1000).toISOString();
}

interface DecisionSpec {
  verb?: Verb;
  name?: string;
  namespace?: string;
  cluster?: string;
  params?: Record<string, unknown>;
  confidence?: number;
  entityRef?: string | null;
}

function decision(spec: DecisionSpec = {}): PolicyDecisionInput {
  return {
    verb: spec.verb ?? 'restart',
    target: {
      cluster: spec.cluster ?? 'prod',
      namespace: spec.namespace ?? 'shop',
      kind: 'Deployment',
      name: spec.name ?? 'cart',
    },
    params: spec.params ?? {},
    confidence: spec.confidence,
    entityRef: spec.entityRef === undefined ? CART_REF : spec.entityRef,
  };
}

const scale = (replicas: number, spec: DecisionSpec = {}) =>
  decision({ ...spec, verb: 'scale', params: { replicas } });

const setResources = (
  resources: Record<string, Record<string, string>>,
  spec: DecisionSpec = {},
) =>
  decision({
    ...spec,
    verb: 'set_resources',
    params: { containers: { app: resources } },
  });

const SHOP = [
  'cart',
  'checkout',
  'search',
  'web',
  'api',
  'auth',
  'mail',
  'stock',
  'price',
  'promo',
].map(name => `prod/shop/Deployment/${name}`);

function freeze(window: Partial<FreezeWindow>): FreezeWindow {
  return {
    id: 'black-friday',
    name: 'Black Friday',
    reason: 'Peak sales',
    scope: {},
    allowRollback: true,
    start: '2026-01-14T00:00:00Z',
    end: '2026-01-15T00:00:00Z',
    createdBy: 'admin',
    createdAt: '2026-01-01T00:00:00Z',
    ...window,
  };
}

const WEEKEND = freeze({
  id: 'weekend',
  name: 'Weekend',
  reason: 'Nobody on call',
  start: undefined,
  end: undefined,
  recurrence: {
    cron: '0 16 * * 5',
    durationMinutes: 3840,
    timezone: 'Europe/Berlin',
  },
});

function override(spec: Partial<FreezeOverride> = {}): FreezeOverride {
  return {
    id: 'glass-1',
    scope: { namespace: 'shop' },
    reason: 'payment outage fix',
    createdBy: 'alice',
    createdAt: '2026-01-14T11:00:00.000Z',
    expiresAt: '2026-01-14T13:00:00.000Z',
    ...spec,
  };
}

function exception(spec: Partial<PolicyException> = {}): PolicyException {
  return {
    id: 'cart-launch',
    scope: { entityRef: CART_REF },
    rules: ['replica-bounds'],
    ticket: 'OPS-42',
    expiresAt: inSeconds(1),
    ...spec,
  };
}

function context(
  spec: Partial<Omit<PolicyContext, 'freezeCalendar'>> & {
    windows?: FreezeWindow[];
  } = {},
): PolicyContext {
  const { windows = [], ...rest } = spec;
  return {
    freezeCalendar: compileFreezeCalendar(windows),
    overrides: [],
    workloads: {
      [CART]: {
        replicas: 10,
        containers: [
          {
            name: 'app',
            image: 'registry.example.com/cart:1.0.0',
            resources: {
              requests: { cpu: '500m', memory: '512Mi' },
              limits: { cpu: '1', memory: '1Gi' },
            },
          },
        ],
      },
      'prod/shop/Deployment/checkout': { replicas: 0, containers: [] },
    },
    entityLabels: {
      [CART_REF]: { tier: 'critical', team: 'shop' },
      'component:default/search': { tier: 'low', team: 'shop' },
    },
    recentChanges: [],
    managedWorkloads: [
      ...SHOP,
      'prod/ops/Deployment/grafana',
      'prod/ops/Deployment/loki',
      'staging/shop/Deployment/cart',
    ],
    ...rest,
  };
}

const replicaBounds = (
  bounds: Partial<Extract<PolicyRule, { kind: 'replica_bounds' }>>,
): PolicyRule => ({ id: 'replica-bounds', kind: 'replica_bounds', ...bounds });

const rateLimit = (
  spec: Partial<Extract<PolicyRule, { kind: 'rate_limit' }>>,
): PolicyRule => ({
  id: 'rate-limit',
  kind: 'rate_limit',
  per: 'workload',
  max: 3,
  windowMinutes: 60,
  ...spec,
});

const blastRadius = (
  spec: Partial<Extract<PolicyRule, { kind: 'blast_radius' }>>,
): PolicyRule => ({
  id: 'blast-radius',
  kind: 'blast_radius',
  per: 'namespace',
  maxPercent: 30,
  windowMinutes: 60,
  ...spec,
});

const resourceBounds = (
  spec: Partial<Extract<PolicyRule, { kind: 'resource_bounds' }>>,
): PolicyRule => ({ id: 'resource-bounds', kind: 'resource_bounds', ...spec });

interface Case {
  name: string;
  rules?: PolicyRule[];
  exceptions?: PolicyException[];
  decisions?: PolicyDecisionInput[];
  context?: PolicyContext;
  now?: string;
  /** The decision whose verdict is checked (default 0). */
  index?: number;
  outcome: Outcome;
  /** The rule id of the reason checked. */
  rule: string;
  message: RegExp;
  /** The plan's outcome, when it differs from the checked decision's. */
  plan?: Outcome;
}

const NO_OBJECTION = /^Allowed: no rule objects\.$/;

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
  it.each(cases.map(c => [c.name, c] as const))('%s', (_name, c) => {
    const plan = {
      source: 'inframind',
      mode: 'enforce' as const,
      decisions: c.decisions ?? [decision()],
    };
    const result = evaluatePolicy(
      plan,
      { rules: c.rules ?? [], exceptions: c.exceptions ?? [] },
      c.context ?? context(),
      c.now ? new Date(c.now) : NOW,
    );
    const checked = result.decisions.find(d => d.index === (c.index ?? 0));
    expect(checked?.verdict.outcome).toBe(c.outcome);
    expect(checked?.verdict.reasons).toContainEqual({
      rule: c.rule,
      message: expect.stringMatching(c.message),
    });
    expect(result.outcome).toBe(c.plan ?? c.outcome);
  });

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
