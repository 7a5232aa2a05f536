import type { RolloutPhase } from '../rollouts/rolloutPhases';

/**
 * The access matrix (http/accessMatrix.security.test.ts): per operation of the OpenAPI document, the call a
 * test makes and the status each kind of caller gets.
 */

export const PRINCIPALS = [
  'none',
  'forged',
  'expired',
  'viewer',
  'owner', // an operator whose group owns the cart service
  'stranger', // an operator whose group owns another service
  'admin',
  'system', // the optimizer, through external access (JWKS)
  'nobody', // signed in, but holds no Sentinel role
  'service', // a valid external-access token whose subject holds no role
] as const;
export type Principal = (typeof PRINCIPALS)[number];

export const USERS = {
  viewer: ['user:default/vera', 'group:default/viewers'],
  nobody: ['user:default/nick'],
  owner: [
    'user:default/olga',
    'group:default/operators',
    'group:default/team-shop',
  ],
  stranger: [
    'user:default/otto',
    'group:default/operators',
    'group:default/team-payments',
  ],
  admin: ['user:default/ada', 'group:default/sentinel-admins'],
} as const;

const CART = 'demo/shop/Deployment/cart';

export interface Call {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  body?: unknown;
}

/** What a caller gets: a status per principal; the three without valid credentials: 401. */
type Expect = Record<Exclude<Principal, 'none' | 'forged' | 'expired'>, number>;

const none = { nobody: 403, service: 403 };
const readers = (status: number): Expect => ({
  viewer: status,
  owner: status,
  stranger: status,
  admin: status,
  system: status,
  ...none,
});
const adminOnly = (status: number): Expect => ({
  viewer: 403,
  owner: 403,
  stranger: 403,
  admin: status,
  system: 403,
  ...none,
});
const ownerOrAdmin = (status: number): Expect => ({
  viewer: 403,
  owner: status,
  stranger: 403,
  admin: status,
  system: 403,
  ...none,
});

export interface Fixtures {
  /** A plan for cart, submitted by the optimizer, waiting for approval. */
  pendingPlan(): Promise<string>;
  /** A rollout of a cart plan, in this phase and left alone until a person acts. */
  rollout(phase: RolloutPhase): Promise<string>;
  /** cart with an applied change to roll back. */
  changedCart(): Promise<void>;
  freezeWindow(): Promise<string>;
  policy(): Promise<any>;
  bindings(): Promise<any>;
}

export const scaleCart = (replicas: number) => ({
  source: 'InfraMind',
  decisions: [
    {
      verb: 'scale',
      target: { cluster: 'demo', namespace: 'shop', name: 'cart' },
      params: { replicas },
      confidence: 0.9,
    },
  ],
});

const rollbackCart = (force: boolean) => ({
  source: 'InfraMind',
  decisions: [
    {
      verb: 'rollback',
      target: { cluster: 'demo', namespace: 'shop', name: 'cart' },
      params: force ? { force } : {},
      rationale: 'latency regression',
      confidence: 0.9,
    },
  ],
});

/** Per operation: the call (fixtures made fresh for each caller) and what each caller gets. */
export const MATRIX: Record<
  string,
  { call: (fx: Fixtures) => Promise<Call>; expect: Expect }
> = {
  getHealth: {
    call: async () => ({ method: 'get', path: '/health' }),
    expect: readers(200), // and 200 without credentials too, checked below
  },
  submitPlan: {
    call: async () => ({
      method: 'post',
      path: '/v1/action-plans',
      body: scaleCart(3),
    }),
    expect: { ...readers(202), viewer: 403 },
  },
  listPlans: {
    call: async () => ({ method: 'get', path: '/v1/action-plans' }),
    expect: readers(200),
  },
  getPlan: {
    call: async fx => ({
      method: 'get',
      path: `/v1/action-plans/${await fx.pendingPlan()}`,
    }),
    expect: readers(200),
  },
  approvePlan: {
    call: async fx => ({
      method: 'post',
      path: `/v1/action-plans/${await fx.pendingPlan()}/approve`,
      body: { comment: 'ok' },
    }),
    expect: ownerOrAdmin(200),
  },
  rejectPlan: {
    call: async fx => ({
      method: 'post',
      path: `/v1/action-plans/${await fx.pendingPlan()}/reject`,
      body: { comment: 'no' },
    }),
    expect: ownerOrAdmin(200),
  },
  cancelPlan: {
    call: async fx => ({
      method: 'post',
      path: `/v1/action-plans/${await fx.pendingPlan()}/cancel`,
    }),
    expect: ownerOrAdmin(200),
  },
  getPolicy: {
    call: async () => ({ method: 'get', path: '/v1/policies' }),
    expect: readers(200),
  },
  replacePolicy: {
    call: async fx => ({
      method: 'put',
      path: '/v1/policies',
      body: await fx.policy(),
    }),
    expect: adminOnly(200),
  },
  getPolicyHistory: {
    call: async () => ({ method: 'get', path: '/v1/policies/history' }),
    expect: readers(200),
  },
  evaluatePolicy: {
    call: async () => ({
      method: 'post',
      path: '/v1/policies/evaluate',
      body: scaleCart(3),
    }),
    expect: readers(200),
  },
  dryRunPolicy: {
    call: async () => ({
      method: 'post',
      path: '/v1/policies/dry-run',
      body: { policy: { rules: [] }, plan: scaleCart(3) },
    }),
    expect: readers(200),
  },
  listFreezeWindows: {
    call: async () => ({ method: 'get', path: '/v1/freeze-windows' }),
    expect: readers(200),
  },
  createFreezeWindow: {
    call: async () => ({
      method: 'post',
      path: '/v1/freeze-windows',
      body: {
        name: 'later',
        reason: 'a test window far ahead',
        start: '2099-01-01T00:00:00Z',
        end: '2099-01-02T00:00:00Z',
      },
    }),
    expect: adminOnly(201),
  },
  deleteFreezeWindow: {
    call: async fx => ({
      method: 'delete',
      path: `/v1/freeze-windows/${await fx.freezeWindow()}`,
    }),
    expect: adminOnly(204),
  },
  getFreezeStatus: {
    call: async () => ({ method: 'get', path: '/v1/freeze-status' }),
    expect: readers(200),
  },
  getFreezeCalendar: {
    call: async () => ({ method: 'get', path: '/v1/freeze-calendar' }),
    expect: readers(200),
  },
  listFreezeOverrides: {
    call: async () => ({ method: 'get', path: '/v1/freeze-overrides' }),
    expect: readers(200),
  },
  breakGlass: {
    call: async () => ({
      method: 'post',
      path: '/v1/freeze-overrides',
      body: { reason: 'incident 42', durationMinutes: 5 },
    }),
    expect: adminOnly(201),
  },
  listAuditEvents: {
    call: async () => ({ method: 'get', path: '/v1/audit' }),
    expect: adminOnly(200),
  },
  getRoleBindings: {
    call: async () => ({ method: 'get', path: '/v1/rbac/bindings' }),
    expect: adminOnly(200),
  },
  putRoleBindings: {
    call: async fx => ({
      method: 'put',
      path: '/v1/rbac/bindings',
      body: await fx.bindings(),
    }),
    expect: adminOnly(200),
  },
  getRoleBindingsHistory: {
    call: async () => ({ method: 'get', path: '/v1/rbac/bindings/history' }),
    expect: adminOnly(200),
  },
  listWorkloads: {
    call: async () => ({ method: 'get', path: '/v1/workloads' }),
    expect: readers(200),
  },
  rollbackWorkload: {
    call: async fx => {
      await fx.changedCart();
      return {
        method: 'post',
        path: `/v1/workloads/${CART}/rollback`,
        body: { reason: 'latency regression' },
      };
    },
    expect: ownerOrAdmin(202),
  },
  listRollouts: {
    call: async () => ({ method: 'get', path: '/v1/rollouts' }),
    expect: readers(200),
  },
  getRollout: {
    call: async fx => ({
      method: 'get',
      path: `/v1/rollouts/${await fx.rollout('progressing')}`,
    }),
    expect: readers(200),
  },
  pauseRollout: {
    call: async fx => ({
      method: 'post',
      path: `/v1/rollouts/${await fx.rollout('progressing')}/pause`,
    }),
    expect: ownerOrAdmin(202),
  },
  resumeRollout: {
    call: async fx => ({
      method: 'post',
      path: `/v1/rollouts/${await fx.rollout('paused')}/resume`,
    }),
    expect: ownerOrAdmin(202),
  },
  promoteRollout: {
    call: async fx => ({
      method: 'post',
      path: `/v1/rollouts/${await fx.rollout('paused')}/promote`,
    }),
    expect: ownerOrAdmin(202),
  },
  // Variants: the same operation where a second permission applies.
  'submitPlan#rollback-decision': {
    call: async fx => {
      await fx.changedCart();
      return {
        method: 'post',
        path: '/v1/action-plans',
        body: rollbackCart(false),
      };
    },
    // Rolling back through a plan needs sentinel.rollback.create on the workload: the
    // optimizer has none, and an operator only on the services their group owns.
    expect: ownerOrAdmin(202),
  },
  'submitPlan#force-rollback': {
    call: async fx => {
      await fx.changedCart();
      return {
        method: 'post',
        path: '/v1/action-plans',
        body: rollbackCart(true),
      };
    },
    expect: adminOnly(202),
  },
  'rollbackWorkload#force': {
    call: async fx => {
      await fx.changedCart();
      return {
        method: 'post',
        path: `/v1/workloads/${CART}/rollback`,
        body: { reason: 'drift is wrong', force: true },
      };
    },
    expect: adminOnly(202),
  },
  'promoteRollout#full': {
    call: async fx => ({
      method: 'post',
      path: `/v1/rollouts/${await fx.rollout('paused')}/promote`,
      body: { full: true },
    }),
    expect: adminOnly(202),
  },
  abortRollout: {
    call: async fx => ({
      method: 'post',
      path: `/v1/rollouts/${await fx.rollout('progressing')}/abort`,
      body: { reason: 'stop' },
    }),
    expect: ownerOrAdmin(202),
  },
};

/** Without valid credentials: 401 everywhere but /health, which answers everyone. */
export function expectedStatus(
  operationId: string,
  principal: Principal,
  expected: Expect,
): number {
  if (operationId === 'getHealth') return 200;
  if (
    principal === 'none' ||
    principal === 'forged' ||
    principal === 'expired'
  ) {
    return 401;
  }
  return expected[principal];
}
