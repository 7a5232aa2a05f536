/** Fixtures and a table runner for the policy engine's tests (evaluatePolicy*.test.ts). */
import type {
  FreezeOverride,
  FreezeWindow,
  PolicyException,
  PolicyRule,
  Verb,
  Verdict,
} from '@internal/backstage-plugin-sentinel-common';
import type { PolicyDecisionInput } from '../policy/PolicyEngine';
import type { PolicyContext, RecentChange } from '../policy/types';
import { evaluatePolicy } from '../policy/engine/evaluatePolicy';
import { compileFreezeCalendar } from '../policy/engine/freezeCalendar';

export type Outcome = Verdict['outcome'];

/** Wednesday noon. */
export const NOW = new Date('2026-01-14T12:00:00.000Z');
export const CART = 'prod/shop/Deployment/cart';
export const CART_REF = 'component:default/cart';

export function minutesAgo(minutes: number, workload = CART): RecentChange {
  return {
    at: new Date(NOW.getTime() - minutes * 60_000).toISOString(),
    workload,
  };
}

export function secondsAgo(seconds: number, workload = CART): RecentChange {
  return {
    at: new Date(NOW.getTime() - seconds * 1000).toISOString(),
    workload,
  };
}

export function inSeconds(seconds: number): string {
  return new Date(NOW.getTime() + seconds * 1000).toISOString();
}

export interface DecisionSpec {
  verb?: Verb;
  name?: string;
  namespace?: string;
  cluster?: string;
  params?: Record<string, unknown>;
  confidence?: number;
  entityRef?: string | null;
}

export function decision(spec: DecisionSpec = {}): PolicyDecisionInput {
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

export const scale = (replicas: number, spec: DecisionSpec = {}) =>
  decision({ ...spec, verb: 'scale', params: { replicas } });

export const setResources = (
  resources: Record<string, Record<string, string>>,
  spec: DecisionSpec = {},
) =>
  decision({
    ...spec,
    verb: 'set_resources',
    params: { containers: { app: resources } },
  });

export const SHOP = [
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

export function freeze(window: Partial<FreezeWindow>): FreezeWindow {
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

export const WEEKEND = freeze({
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

export function override(spec: Partial<FreezeOverride> = {}): FreezeOverride {
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

export function exception(
  spec: Partial<PolicyException> = {},
): PolicyException {
  return {
    id: 'cart-launch',
    scope: { entityRef: CART_REF },
    rules: ['replica-bounds'],
    ticket: 'OPS-42',
    expiresAt: inSeconds(1),
    ...spec,
  };
}

export function context(
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

export const replicaBounds = (
  bounds: Partial<Extract<PolicyRule, { kind: 'replica_bounds' }>>,
): PolicyRule => ({ id: 'replica-bounds', kind: 'replica_bounds', ...bounds });

export const rateLimit = (
  spec: Partial<Extract<PolicyRule, { kind: 'rate_limit' }>>,
): PolicyRule => ({
  id: 'rate-limit',
  kind: 'rate_limit',
  per: 'workload',
  max: 3,
  windowMinutes: 60,
  ...spec,
});

export const blastRadius = (
  spec: Partial<Extract<PolicyRule, { kind: 'blast_radius' }>>,
): PolicyRule => ({
  id: 'blast-radius',
  kind: 'blast_radius',
  per: 'namespace',
  maxPercent: 30,
  windowMinutes: 60,
  ...spec,
});

export const resourceBounds = (
  spec: Partial<Extract<PolicyRule, { kind: 'resource_bounds' }>>,
): PolicyRule => ({ id: 'resource-bounds', kind: 'resource_bounds', ...spec });

export interface Case {
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

export const NO_OBJECTION = /^Allowed: no rule objects\.$/;

/** A case's expectations: the checked decision's verdict and reason, and the plan's outcome. */
export function expectJudgement(c: Case): void {
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
}
