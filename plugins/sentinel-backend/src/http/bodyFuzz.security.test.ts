import { mockServices } from '@backstage/backend-test-utils';
import fc from 'fast-check';
import type { Knex } from 'knex';
import request from 'supertest';
import { createTestDatabases } from '../__testUtils__/databases';
import { pluginDatabase } from '../__testUtils__/pluginDatabase';
import { insertRollout } from '../__testUtils__/rollouts';
import { cart, startSentinel } from '../__testUtils__/startSentinel';
import { SENTINEL_OPERATIONS } from './operations';

jest.setTimeout(180_000);

/**
 * Property: whatever body a caller sends to any endpoint (wrong types, sizes, characters,
 * fields), the answer is never a 5xx, and a refused request (4xx) changes nothing stored.
 * Bodies are valid ones with one value replaced, and arbitrary JSON.
 */

// Strings as an attacker writes them: control characters, lone surrogates, huge, empty.
const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .tuple(fc.string({ maxLength: 8 }), fc.integer({ min: 0, max: 31 }))
    .map(([s, c]) => `${s}${String.fromCharCode(c)}${s}`),
  fc.constantFrom('', '\u0000', 'a\u0007b', '\ud800', '../../etc', '%00', ' '),
  fc.integer({ min: 1, max: 300_000 }).map(n => 'x'.repeat(n)),
);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 3, arbitrary: nasty },
  {
    weight: 1,
    arbitrary: fc.constantFrom(null, true, -1, 1e308, -0, 3.5, 2 ** 53, [], {}),
  },
);

type Json = Record<string, unknown>;

/** Every path into a JSON value, e.g. ['decisions', 0, 'params', 'replicas']. */
function paths(
  value: unknown,
  prefix: (string | number)[] = [],
): (string | number)[][] {
  const here = prefix.length ? [prefix] : [];
  if (Array.isArray(value)) {
    return [...here, ...value.flatMap((v, i) => paths(v, [...prefix, i]))];
  }
  if (value && typeof value === 'object') {
    return [
      ...here,
      ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k])),
    ];
  }
  return here;
}

function replaced(
  value: unknown,
  path: (string | number)[],
  by: unknown,
): unknown {
  if (path.length === 0) return by;
  const [head, ...rest] = path;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as Json) };
  copy[head] = replaced(copy[head], rest, by);
  return copy;
}

/** A valid body with one value (or one extra field) replaced by anything. */
function mutationsOf(valid: Json): fc.Arbitrary<unknown> {
  const all = paths(valid);
  return fc.oneof(
    ...(all.length
      ? [
          {
            weight: 4,
            arbitrary: fc
              .tuple(fc.constantFrom(...all), anyValue)
              .map(([path, by]) => replaced(valid, path, by)),
          },
        ]
      : []),
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.string({ maxLength: 12 }), anyValue)
        .map(([key, by]) => ({ ...valid, [key]: by })),
    },
    { weight: 1, arbitrary: anyValue },
  );
}

const plan = {
  source: 'InfraMind',
  decisions: [
    {
      verb: 'scale',
      target: { cluster: 'demo', namespace: 'shop', name: 'cart' },
      params: { replicas: 3 },
      rationale: 'cpu',
      confidence: 0.9,
    },
  ],
};

describe('any body to any endpoint', () => {
  let server: any;
  let knex: Knex;
  let pendingPlan: string;
  let rollout: string;

  const databases = createTestDatabases();

  beforeAll(async () => {
    // PostgreSQL, where a NUL byte or an out-of-range number fails a write (SQLite takes them).
    const postgres = databases.supports('POSTGRES_15')
      ? await databases.init('POSTGRES_15')
      : undefined;
    const database = pluginDatabase();
    ({ server } = await startSentinel({
      config: {
        sentinel: {
          policy: {
            rules: [{ id: 'hold', kind: 'require_approval', reason: 'wait' }],
          },
        },
      },
      extra: [
        database.feature,
        ...(postgres
          ? [mockServices.database.factory({ knex: postgres })]
          : []),
      ],
    }));
    knex = await database.knex;
    if (process.env.CI && knex.client.config.client !== 'pg') {
      throw new Error('CI runs this test on PostgreSQL');
    }
    const submitted = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(plan);
    pendingPlan = submitted.body.id;
    rollout = await insertRollout(knex, {
      planId: pendingPlan,
      target: cart,
      entityRef: 'component:default/cart',
      phase: 'paused',
    });
  });

  /**
   * Everything a request could change, to compare before and after a refusal. Timelines count
   * only people's entries: the pipeline moves plans accepted earlier along meanwhile.
   */
  async function stored() {
    const count = async (table: string, where: Json = {}) =>
      Number((await knex(table).where(where).count({ n: '*' }))[0].n);
    const byPeople = async (table: string) =>
      Number(
        (await knex(table).whereNot({ actor: 'sentinel' }).count({ n: '*' }))[0]
          .n,
      );
    return {
      plans: await count('plans'),
      events: await byPeople('plan_events'),
      approvals: await count('plan_approvals'),
      succeeded: await count('audit_events', { outcome: 'succeeded' }),
      policies: await count('policy_versions'),
      windows: await count('freeze_windows'),
      overrides: await count('freeze_overrides'),
      bindings: await count('rbac_bindings'),
      rolloutEvents: await byPeople('rollout_events'),
    };
  }

  const endpoints: [string, 'post' | 'put', () => string, Json][] = [
    ['submit a plan', 'post', () => '/v1/action-plans', plan],
    [
      'approve',
      'post',
      () => `/v1/action-plans/${pendingPlan}/approve`,
      { comment: 'ok' },
    ],
    [
      'reject',
      'post',
      () => `/v1/action-plans/${pendingPlan}/reject`,
      { comment: 'no' },
    ],
    ['cancel', 'post', () => `/v1/action-plans/${pendingPlan}/cancel`, {}],
    ['evaluate', 'post', () => '/v1/policies/evaluate', plan],
    [
      'dry-run a draft policy',
      'post',
      () => '/v1/policies/dry-run',
      { policy: { rules: [] }, plan },
    ],
    [
      'replace the policy',
      'put',
      () => '/v1/policies',
      {
        version: 1,
        rules: [
          {
            id: 'hold',
            kind: 'require_approval',
            reason: 'wait',
            approvers: 2,
          },
        ],
      },
    ],
    [
      'create a freeze window',
      'post',
      () => '/v1/freeze-windows',
      {
        name: 'later',
        reason: 'far ahead',
        scope: { cluster: 'demo' },
        start: '2099-01-01T00:00:00Z',
        end: '2099-01-02T00:00:00Z',
      },
    ],
    [
      'break glass',
      'post',
      () => '/v1/freeze-overrides',
      { reason: 'incident', durationMinutes: 5, scope: {} },
    ],
    [
      'role bindings',
      'put',
      () => '/v1/rbac/bindings',
      {
        version: 1,
        roles: { admin: ['group:default/admins'] },
        defaultRole: 'viewer',
      },
    ],
    [
      'roll back',
      'post',
      () => '/v1/workloads/demo/shop/Deployment/cart/rollback',
      { reason: 'slow', force: false },
    ],
    [
      'pause a rollout',
      'post',
      () => `/v1/rollouts/${rollout}/pause`,
      { reason: 'look' },
    ],
    [
      'promote a rollout',
      'post',
      () => `/v1/rollouts/${rollout}/promote`,
      { reason: 'go', full: false },
    ],
    [
      'resume a rollout',
      'post',
      () => `/v1/rollouts/${rollout}/resume`,
      { reason: 'looked' },
    ],
    [
      'abort a rollout',
      'post',
      () => `/v1/rollouts/${rollout}/abort`,
      { reason: 'bad' },
    ],
  ];

  it.each(endpoints)(
    '%s: never a 5xx; a refusal stores nothing',
    async (_name, method, path, valid) => {
      await fc.assert(
        fc.asyncProperty(mutationsOf(valid), async body => {
          const before = await stored();
          const response = await request(server)
            [method](`/api/sentinel${path()}`)
            .set('Content-Type', 'application/json')
            .send(JSON.stringify(body));
          expect(response.status).toBeLessThan(500);
          // A refusal leaves everything as it was (an accepted body may change things).
          const refused = response.status >= 400;
          expect(refused ? await stored() : before).toEqual(before);
          expect(JSON.stringify(response.body)).not.toMatch(/"stack"/);
        }),
        { numRuns: 60 },
      );
    },
  );

  /** The operation an endpoint of the list calls. */
  const operationOf = (method: string, path: string) =>
    SENTINEL_OPERATIONS.find(
      op =>
        op.method === method &&
        new RegExp(`^${op.path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path),
    );

  it('covers every operation that takes a body', () => {
    const covered = new Set(
      endpoints.map(([, method, path]) => operationOf(method, path())),
    );
    const missing = SENTINEL_OPERATIONS.filter(op => op.body)
      .filter(op => !covered.has(op))
      .map(op => op.operationId);
    expect(missing).toEqual([]);
  });

  // Built as text: JSON.stringify would overflow its own stack on the deepest ones.
  const hostile: [string, string, number][] = [
    [
      'an object nested 20,000 levels deep',
      `{"a":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`,
      400,
    ],
    [
      'an array nested 50,000 levels deep',
      `{"a":${'['.repeat(50_000)}${']'.repeat(50_000)}}`,
      400,
    ],
    ['a body over 256 kB', `{"a":"${'x'.repeat(300_000)}"}`, 413],
    [
      '15,000 keys',
      `{${Array.from({ length: 15_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`,
      400,
    ],
    ['a __proto__ key', '{"__proto__":{"isAdmin":true}}', 400],
    [
      'a constructor.prototype key',
      '{"constructor":{"prototype":{"polluted":"yes"}}}',
      400,
    ],
    ['a control character', '{"comment":"ok\\u0000"}', 400],
  ];

  // Depth, size, __proto__ and control characters are refused before any route; unknown keys
  // by the operation's schema, so only where the operation takes a body (cancel takes none
  // and ignores what it is sent).
  const everyRoute = hostile.filter(
    ([shape]) => !/keys|constructor/.test(shape),
  );

  describe.each(endpoints)('%s', (_name, method, path) => {
    // Ids are not known yet: any id matches the operation's path.
    const takesBody = operationOf(method, path())?.body !== undefined;
    it.each(takesBody ? hostile : everyRoute)(
      'refuses %s with a 4xx, storing nothing',
      async (_shape, text, status) => {
        const before = await stored();
        const response = await request(server)
          [method](`/api/sentinel${path()}`)
          .set('Content-Type', 'application/json')
          .send(text);
        expect(response.status).toBe(status);
        expect(response.body.error.message).toEqual(expect.any(String));
        expect(await stored()).toEqual(before);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      },
    );
  });

  it.each(['{"source": ', 'not json', '\u0000', '[1,2'])(
    'answers a body that is not JSON (%j) with a 400',
    async text => {
      const response = await request(server)
        .post('/api/sentinel/v1/action-plans')
        .set('Content-Type', 'application/json')
        .send(text);
      expect(response.status).toBe(400);
    },
  );
});
