import {
  createBackendModule,
  coreServices,
} from '@backstage/backend-plugin-api';
import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { userInfoServiceFactory } from '@backstage/backend-defaults/userInfo';
import { ConfigReader } from '@backstage/config';
import permissionPlugin from '@backstage/plugin-permission-backend';
import permissionModuleSentinel from '@internal/backstage-plugin-permission-backend-module-sentinel';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import request from 'supertest';
import { parse } from 'yaml';
import { TestIdentityProvider } from '../__testUtils__/identityProvider';
import { startSentinel } from '../__testUtils__/startSentinel';
import { readRolloutSettings } from '../rollouts/rolloutConfig';
import type { RolloutPhase } from '../rollouts/rolloutPhases';
import { RolloutStore } from '../rollouts/store/RolloutStore';

jest.setTimeout(180_000);

/**
 * Every operation of the OpenAPI document, called by every kind of caller, through the real
 * auth, httpAuth, userInfo and permissions services, the real permission backend with
 * Sentinel's role policy, and Sentinel's own resource rules: who gets 401, 403 or 2xx. An
 * operation the document has and this table does not fails the test.
 */

const PRINCIPALS = [
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
type Principal = (typeof PRINCIPALS)[number];

const USERS = {
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

interface Call {
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

interface Fixtures {
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

const scaleCart = (replicas: number) => ({
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
const MATRIX: Record<
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
function expectedStatus(
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

/** A fixture's own request must succeed, or the test's premise is wrong. */
function fixtureOk(
  response: { status: number; body: unknown },
  status: number,
) {
  if (response.status !== status) {
    throw new Error(
      `fixture request answered ${
        response.status
      }, not ${status}: ${JSON.stringify(response.body)}`,
    );
  }
}

/** operationId -> method and path template, from the OpenAPI document. */
function operations(): Map<string, { method: string; path: string }> {
  const doc = parse(
    readFileSync(join(__dirname, 'openapi/openapi.yaml'), 'utf8'),
  );
  const found = new Map<string, { method: string; path: string }>();
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      found.set(op.operationId, { method, path });
    }
  }
  return found;
}

describe('access matrix: every operation x every caller', () => {
  let idp: TestIdentityProvider;
  let server: any;
  let knex: Knex;
  const tokens = {} as Record<Principal, string | undefined>;

  beforeAll(async () => {
    idp = await TestIdentityProvider.create();
    for (const refs of Object.values(USERS)) {
      idp.directory.set(refs[0], [...refs]);
    }
    const optimizerJwks = await idp.startOptimizerJwks();
    let resolveKnex: (k: Knex) => void;
    const knexReady = new Promise<Knex>(r => {
      resolveKnex = r;
    });
    ({ server } = await startSentinel({
      config: {
        backend: {
          auth: {
            externalAccess: [
              {
                type: 'jwks',
                options: {
                  url: optimizerJwks,
                  issuer: 'https://optimizer.example',
                  audience: 'sentinel',
                },
              },
            ],
          },
        },
        permission: { enabled: true },
        sentinel: {
          policy: {
            rules: [
              {
                id: 'people-decide',
                kind: 'require_approval',
                reason: 'every change is approved by a person',
              },
            ],
          },
          rbac: {
            roles: {
              admin: ['group:default/sentinel-admins'],
              operator: ['group:default/operators'],
              viewer: ['group:default/viewers'],
              system: ['service:external:inframind'],
            },
          },
        },
      },
      extra: [
        authServiceFactory,
        httpAuthServiceFactory,
        userInfoServiceFactory,
        permissionsServiceFactory,
        idp.authPlugin(),
        permissionPlugin,
        permissionModuleSentinel,
        createBackendModule({
          pluginId: 'sentinel',
          moduleId: 'test-database',
          register(reg) {
            reg.registerInit({
              deps: { database: coreServices.database },
              async init({ database }) {
                resolveKnex(await database.getClient());
              },
            });
          },
        }),
      ],
    }));
    knex = await knexReady;
    tokens.none = undefined;
    tokens.forged = await idp.userToken(USERS.admin[0], { forged: true });
    tokens.expired = await idp.userToken(USERS.admin[0], {
      expiresInSeconds: -60,
    });
    for (const role of [
      'viewer',
      'owner',
      'stranger',
      'admin',
      'nobody',
    ] as const) {
      tokens[role] = await idp.userToken(USERS[role][0]);
    }
    tokens.system = await idp.optimizerToken('inframind');
    tokens.service = await idp.optimizerToken('someone-else');
  });

  afterAll(() => idp?.stop());

  const send = (principal: Principal, call: Call) => {
    const req = request(server)[call.method](`/api/sentinel${call.path}`);
    const token = tokens[principal];
    if (token) req.set('Authorization', `Bearer ${token}`);
    return call.body === undefined ? req : req.send(call.body as object);
  };

  async function until<T>(read: () => Promise<T>, done: (v: T) => boolean) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const value = await read();
      if (done(value) || Date.now() > deadline) return value;
      await new Promise(r => setTimeout(r, 50));
    }
  }

  const planStatus = async (id: string) =>
    (await send('admin', { method: 'get', path: `/v1/action-plans/${id}` }))
      .body.status;

  const fixtures: Fixtures = {
    async pendingPlan() {
      const submitted = await send('system', {
        method: 'post',
        path: '/v1/action-plans',
        body: scaleCart(2 + Math.floor(Math.random() * 3)),
      });
      fixtureOk(submitted, 202);
      const { id } = submitted.body;
      await until(
        () => planStatus(id),
        s => s === 'pending_approval',
      );
      return id;
    },
    async changedCart() {
      const id = await fixtures.pendingPlan();
      const approved = await send('admin', {
        method: 'post',
        path: `/v1/action-plans/${id}/approve`,
      });
      fixtureOk(approved, 200);
      const status = await until(
        () => planStatus(id),
        s => s === 'succeeded',
      );
      if (status !== 'succeeded') {
        throw new Error(`fixture: plan ${id} ended ${status}, not succeeded`);
      }
    },
    async rollout(phase) {
      const planId = await fixtures.pendingPlan();
      const id = randomUUID();
      const settings = readRolloutSettings(new ConfigReader({}));
      await knex.transaction(async tx => {
        await new RolloutStore(tx).create(
          {
            id,
            planId,
            decisionIndex: 0,
            target: {
              cluster: 'demo',
              namespace: 'shop',
              kind: 'Deployment',
              name: 'cart',
            },
            entityRef: 'component:default/cart',
            strategy: 'canary',
            rollbackPolicy: 'auto',
            stable: {
              ref: {
                cluster: 'demo',
                namespace: 'shop',
                kind: 'Deployment',
                name: 'cart',
              },
              resourceVersion: '1',
              replicas: 2,
              containers: [{ name: 'app', image: 'shop/cart:1.0.0' }],
            } as any,
            candidate: {
              workload: 'cart-canary',
              containers: { app: { image: 'shop/cart:1.1.0' } },
              replicas: 0,
            },
            steps: settings.steps,
            analysis: settings.analysis,
          },
          new Date(),
        );
        // Left alone until a person acts: nothing is due.
        await tx('rollouts')
          .where({ id })
          .update({ phase, next_check_at: new Date('2099-01-01T00:00:00Z') });
      });
      return id;
    },
    async freezeWindow() {
      const created = await send('admin', {
        method: 'post',
        path: '/v1/freeze-windows',
        body: {
          name: 'to delete',
          reason: 'a test window far ahead',
          start: '2099-01-01T00:00:00Z',
          end: '2099-01-02T00:00:00Z',
        },
      });
      fixtureOk(created, 201);
      return created.body.id;
    },
    async policy() {
      return (await send('admin', { method: 'get', path: '/v1/policies' }))
        .body;
    },
    async bindings() {
      const { body } = await send('admin', {
        method: 'get',
        path: '/v1/rbac/bindings',
      });
      return {
        version: body.version,
        roles: body.roles,
        defaultRole: body.defaultRole,
      };
    },
  };

  it('has an entry for every operation of the OpenAPI document, and none for others', () => {
    const covered = new Set(Object.keys(MATRIX).map(k => k.split('#')[0]));
    expect([...operations().keys()].sort()).toEqual([...covered].sort());
  });

  it.each(Object.keys(MATRIX))('%s', async operationId => {
    const { call, expect: expected } = MATRIX[operationId];
    const op = operations().get(operationId.split('#')[0])!;
    const outcomes: Record<string, number> = {};
    const wanted: Record<string, number> = {};
    const leaks: string[] = [];
    for (const principal of PRINCIPALS) {
      const made = await call(fixtures);
      // The call is the documented operation, not some other route.
      expect(made.method).toBe(op.method);
      expect(made.path).toMatch(
        new RegExp(`^${op.path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      );
      const response = await send(principal, made);
      outcomes[principal] = response.status;
      wanted[principal] = expectedStatus(operationId, principal, expected);
      // No error body carries a stack, a cause or an upstream body.
      if (
        response.status >= 400 &&
        /"stack"|"cause"|at .+\.(ts|js):\d+/.test(JSON.stringify(response.body))
      ) {
        leaks.push(`${principal}: ${JSON.stringify(response.body)}`);
      }
    }
    expect(outcomes).toEqual(wanted);
    expect(leaks).toEqual([]);
  });
});
