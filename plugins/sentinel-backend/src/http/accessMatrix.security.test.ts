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
import type { Knex } from 'knex';
import request from 'supertest';
import {
  expectedStatus,
  MATRIX,
  PRINCIPALS,
  scaleCart,
  USERS,
  type Call,
  type Fixtures,
  type Principal,
} from '../__testUtils__/accessMatrix';
import { TestIdentityProvider } from '../__testUtils__/identityProvider';
import {
  OpenApiResponses,
  type DocumentedOperation,
} from '../__testUtils__/openApiResponses';
import { startSentinel } from '../__testUtils__/startSentinel';
import { readRolloutSettings } from '../rollouts/rolloutConfig';
import { RolloutStore } from '../rollouts/store/RolloutStore';

jest.setTimeout(180_000);

/**
 * Every operation of the OpenAPI document, called by every kind of caller, through the real
 * auth, httpAuth, userInfo and permissions services, the real permission backend with
 * Sentinel's role policy, and Sentinel's own resource rules: who gets 401, 403 or 2xx. An
 * operation the document has and this table does not fails the test, and so does every
 * answer (error bodies included) whose status the operation does not document or whose body
 * is not the documented schema.
 */

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

const documented = new OpenApiResponses();

/** operationId -> method and path template, from the OpenAPI document. */
function operations(): Map<string, DocumentedOperation> {
  return new Map(documented.operations.map(op => [op.operationId, op]));
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
    const undocumented: string[] = [];
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
      // The answer is as the document says: its status, and its body (errors' too).
      undocumented.push(
        ...documented
          .problems(op.operationId, response.status, response.body)
          .map(problem => `${principal}: ${problem}`),
      );
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
    expect(undocumented).toEqual([]);
  });
});
