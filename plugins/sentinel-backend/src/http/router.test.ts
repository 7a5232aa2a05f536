import { mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Plan } from '@internal/backstage-plugin-sentinel-common';
import { InMemoryClusterDriver } from '@internal/backstage-plugin-sentinel-node/testUtils';
import request from 'supertest';
import { cart, startSentinel } from '../__testUtils__/startSentinel';

jest.setTimeout(30_000);

const scaleCart = (replicas: number) => ({
  source: 'InfraMind',
  decisions: [
    {
      verb: 'scale',
      target: { namespace: 'shop', name: 'cart' },
      params: { replicas },
      rationale: 'p95 CPU 85% for 30 min',
      confidence: 0.92,
    },
  ],
});

async function until(
  server: any,
  id: string,
  done: (plan: Plan) => boolean,
): Promise<Plan> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await request(server).get(
      `/api/sentinel/v1/action-plans/${id}`,
    );
    expect(res.status).toBe(200);
    if (done(res.body) || Date.now() > deadline) return res.body;
    await new Promise(r => setTimeout(r, 25));
  }
}

const terminal = (p: Plan) =>
  [
    'succeeded',
    'failed',
    'rolled_back',
    'rejected',
    'cancelled',
    'simulated',
  ].includes(p.status);

describe('plans API', () => {
  it('accepts a plan at once and applies it, recording every step', async () => {
    const { server, driver } = await startSentinel();
    const res = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(scaleCart(4));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      source: 'InfraMind',
      mode: 'enforce',
      submittedBy: 'user:default/mock',
      decisions: [
        {
          index: 0,
          verb: 'scale',
          target: cart,
          entityRef: 'component:default/cart',
          confidence: 0.92,
        },
      ],
    });

    const plan = await until(server, res.body.id, terminal);
    expect(plan.status).toBe('succeeded');
    expect(plan.decisions[0]).toMatchObject({
      status: 'succeeded',
      verdict: { outcome: 'allow' },
      before: { replicas: 2 },
      after: { replicas: 4 },
    });
    expect(plan.timeline.map(e => e.status)).toEqual([
      'received',
      'approved',
      'executing',
      'succeeded',
    ]);
    expect((await driver.getWorkload(cart))!.replicas).toBe(4);
  });

  it('honours Idempotency-Key: same body, same plan; another body, 409', async () => {
    const { server } = await startSentinel();
    const first = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .set('Idempotency-Key', 'inframind-42')
      .send(scaleCart(4));
    expect(first.status).toBe(202);

    const again = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .set('Idempotency-Key', 'inframind-42')
      .send(scaleCart(4));
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);

    const other = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .set('Idempotency-Key', 'inframind-42')
      .send(scaleCart(5));
    expect(other.status).toBe(409);
    expect(other.body.error.message).toContain(first.body.id);

    const list = await request(server).get('/api/sentinel/v1/action-plans');
    expect(list.body.items).toHaveLength(1);
  });

  it('answers a retry with its plan even after the workload went or shadow mode was switched on', async () => {
    const { server, driver } = await startSentinel({
      config: { sentinel: { policy: { rules: [], shadowMode: false } } },
    });
    const submit = () =>
      request(server)
        .post('/api/sentinel/v1/action-plans')
        .set('Idempotency-Key', 'inframind-43')
        .send(scaleCart(4));
    const first = await submit();
    expect(first.status).toBe(202);

    // The optimizer's connection dropped before it read the answer; meanwhile the workload was
    // deleted and an admin switched shadow mode on. The retry still names the same plan.
    driver.remove(cart);
    const policy = await request(server).get('/api/sentinel/v1/policies');
    expect(
      (
        await request(server)
          .put('/api/sentinel/v1/policies')
          .send({ ...policy.body, shadowMode: true })
      ).status,
    ).toBe(200);
    const again = await submit();
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.mode).toBe('enforce');
  });

  it.each([
    [
      'bad params',
      {
        source: 'InfraMind',
        decisions: [
          {
            verb: 'scale',
            target: { namespace: 'shop', name: 'cart' },
            params: { replicas: -1 },
          },
        ],
      },
      'decisions[0].params.replicas',
    ],
    [
      'a workload that does not exist',
      {
        source: 'InfraMind',
        decisions: [
          { verb: 'restart', target: { namespace: 'shop', name: 'nope' } },
        ],
      },
      'decisions[0].target: demo/shop/Deployment/nope does not exist',
    ],
    [
      'a workload no catalog entity manages',
      {
        source: 'InfraMind',
        decisions: [
          { verb: 'restart', target: { namespace: 'shop', name: 'orphan' } },
        ],
      },
      'decisions[0].target: demo/shop/Deployment/orphan is not managed by Sentinel',
    ],
    [
      'an unknown cluster',
      {
        source: 'InfraMind',
        decisions: [
          {
            verb: 'restart',
            target: { cluster: 'prod', namespace: 'shop', name: 'cart' },
          },
        ],
      },
      "decisions[0].target.cluster: 'prod' is not a configured cluster (configured: demo)",
    ],
    [
      'nothing to roll back',
      {
        source: 'InfraMind',
        decisions: [
          { verb: 'rollback', target: { namespace: 'shop', name: 'cart' } },
        ],
      },
      'decisions[0]: nothing applied to demo/shop/Deployment/cart is left to roll back',
    ],
  ])(
    'refuses %s with a 400 naming the field, storing nothing',
    async (_what, body, expected) => {
      const { server, auditor } = await startSentinel();
      const res = await request(server)
        .post('/api/sentinel/v1/action-plans')
        .send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
      expect(res.body.error.stack).toBeUndefined();
      expect(res.body.error.message).toContain(expected);
      expect(
        (await request(server).get('/api/sentinel/v1/action-plans')).body.items,
      ).toEqual([]);
      // The refusal is audited, and only audited.
      expect(auditor.createEvent).toHaveBeenCalledWith(
        expect.objectContaining({ eventId: 'plan-submit' }),
      );
    },
  );

  it('runs every plan in shadow mode when sentinel.shadowMode is set', async () => {
    const { server, driver } = await startSentinel({
      extra: [
        mockServices.rootConfig.factory({
          data: { sentinel: { shadowMode: true } },
        }),
      ],
    });
    const { body } = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(scaleCart(9));
    expect(body.mode).toBe('shadow');
    const plan = await until(server, body.id, terminal);
    expect(plan.status).toBe('simulated');
    expect(plan.decisions[0]).toMatchObject({
      status: 'simulated',
      before: { replicas: 2 },
      after: { replicas: 9 },
    });
    expect((await driver.getWorkload(cart))!.replicas).toBe(2);
  });

  it('answers odd input with a 4xx, never a 500', async () => {
    const { server } = await startSentinel();
    const bodies: unknown[] = [
      [],
      'plan',
      42,
      null,
      { source: null, decisions: null },
      { source: 'x', decisions: [null, 1, 'a', []] },
      {
        source: 'x',
        decisions: [{ verb: 'scale', target: 'shop/cart', params: [] }],
      },
      {
        source: 'x',
        decisions: [{ verb: { $ne: 1 }, target: {}, params: {} }],
      },
      {
        source: 'x',
        decisions: [
          {
            verb: 'scale',
            target: { namespace: 'shop', name: 'cart' },
            params: { replicas: 1e308 },
          },
        ],
      },
      {
        source: 'x',
        decisions: [
          {
            verb: 'set_resources',
            target: { namespace: 'shop', name: 'cart' },
            params: { containers: { __proto__: { requests: { cpu: '1' } } } },
          },
        ],
      },
      { source: 'x'.repeat(10_000), decisions: [] },
      {
        source: 'x',
        mode: 'yolo',
        decisions: [
          { verb: 'restart', target: { namespace: 'shop', name: 'cart' } },
        ],
      },
    ];
    for (const body of bodies) {
      const res = await request(server)
        .post('/api/sentinel/v1/action-plans')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(body));
      expect([JSON.stringify(body).slice(0, 80), res.status]).toEqual([
        JSON.stringify(body).slice(0, 80),
        400,
      ]);
    }
    for (const path of [
      '/api/sentinel/v1/action-plans?limit=abc',
      '/api/sentinel/v1/action-plans?limit=1&limit=2',
      '/api/sentinel/v1/action-plans?cursor=not-a-cursor',
      '/api/sentinel/v1/action-plans?status[]=x',
      `/api/sentinel/v1/action-plans/${'x'.repeat(5000)}`,
    ]) {
      const res = await request(server).get(path);
      expect([path.slice(0, 60), res.status < 500]).toEqual([
        path.slice(0, 60),
        true,
      ]);
    }
    const badRef = await request(server)
      .post('/api/sentinel/v1/workloads/demo/shop/DaemonSet/cart/rollback')
      .send({ reason: 'x' });
    expect(badRef.status).toBe(400);
    expect(badRef.body.error.message).toContain('kind "DaemonSet"');
  });

  it('refuses control characters in any string with a 400 naming the field, storing nothing', async () => {
    const { server } = await startSentinel();
    const nul = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send({
        ...scaleCart(4),
        decisions: [
          { ...scaleCart(4).decisions[0], rationale: 'p95\u0000 CPU' },
        ],
      });
    expect(nul.status).toBe(400);
    expect(nul.body.error.message).toBe(
      'Invalid request: decisions.0.rationale: must not contain control characters',
    );
    const comment = await request(server)
      .post('/api/sentinel/v1/action-plans/any/reject')
      .send({ comment: 'no\u001b[31m' });
    expect(comment.status).toBe(400);
    expect(comment.body.error.message).toMatch(/^Invalid request: comment:/);
    // Tabs and new lines stay allowed in free text.
    const multiline = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send({
        ...scaleCart(4),
        decisions: [
          { ...scaleCart(4).decisions[0], rationale: 'p95 CPU\n\tfor 30 min' },
        ],
      });
    expect(multiline.status).toBe(202);
    const list = await request(server).get('/api/sentinel/v1/action-plans');
    expect(list.body.items).toHaveLength(1);
  });

  it('answers hostile shapes with a 400 naming the field, storing nothing', async () => {
    const { server } = await startSentinel();
    const post = (body: string) =>
      request(server)
        .post('/api/sentinel/v1/action-plans')
        .set('Content-Type', 'application/json')
        .send(body);
    // Built as text: the test's own JSON.stringify would overflow its stack on these.
    const deepObject = await post(
      `{"source":"x","decisions":${'{"a":'.repeat(20_000)}1${'}'.repeat(
        20_000,
      )}}`,
    );
    expect(deepObject.status).toBe(400);
    expect(deepObject.body.error.message).toMatch(
      /^Invalid request: decisions(\.a)+: must not nest deeper than 32 levels$/,
    );
    const deepArray = await post(
      `{"source":"x","decisions":${'['.repeat(50_000)}${']'.repeat(50_000)}}`,
    );
    expect(deepArray.status).toBe(400);
    expect(deepArray.body.error.message).toMatch(
      /decisions(\.0)+: must not nest/,
    );
    const prototype = await post(
      JSON.stringify(scaleCart(4)).replace(
        '"params":{',
        '"params":{"__proto__":{"replicas":400},',
      ),
    );
    expect(prototype.status).toBe(400);
    expect(prototype.body.error.message).toBe(
      'Invalid request: decisions.0.params.__proto__: is not an allowed field name',
    );
    const list = await request(server).get('/api/sentinel/v1/action-plans');
    expect(list.body.items).toEqual([]);
  });

  it('answers malformed JSON with 400 and an oversized body with 413', async () => {
    const { server } = await startSentinel();
    const malformed = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .set('Content-Type', 'application/json')
      .send('{"source": ');
    expect(malformed.status).toBe(400);

    const huge = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send({ ...scaleCart(3), padding: 'x'.repeat(300_000) });
    expect(huge.status).toBe(413);
  });

  it('refuses a request without valid credentials with 401 and no stack trace', async () => {
    const { server } = await startSentinel();
    for (const [method, path] of [
      ['post', '/api/sentinel/v1/action-plans'],
      ['get', '/api/sentinel/v1/action-plans'],
      ['get', '/api/sentinel/v1/action-plans/x'],
      ['post', '/api/sentinel/v1/action-plans/x/approve'],
      ['post', '/api/sentinel/v1/action-plans/x/reject'],
      ['post', '/api/sentinel/v1/action-plans/x/cancel'],
      ['post', '/api/sentinel/v1/workloads/demo/shop/Deployment/cart/rollback'],
    ] as const) {
      const res = await request(server)
        [method](path)
        .set('Authorization', 'Bearer not-a-token')
        .send({});
      expect([path, res.status]).toEqual([path, 401]);
      expect(res.body.error.stack).toBeUndefined();
      expect(res.body.error.cause).toBeUndefined();
    }
  });

  it('answers an unexpected failure with a 500 that names an error id, not the upstream body', async () => {
    /** A cluster whose API server fails, answering with internals in its body. */
    class FailingDriver extends InMemoryClusterDriver {
      override async getWorkload(): Promise<never> {
        throw new Error(
          'HTTP-Code: 500 Body: {"message":"etcd cluster is unavailable at 10.0.0.7:2379"}',
        );
      }
    }
    const { server } = await startSentinel({
      driver: new FailingDriver('demo', []),
    });
    const res = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(scaleCart(4));
    expect(res.status).toBe(500);
    expect(res.body.error.message).toMatch(
      /^Sentinel could not handle the request; error id [0-9a-f-]{36}$/,
    );
    expect(JSON.stringify(res.body)).not.toMatch(/etcd|10\.0\.0\.7|stack/);
  });

  it('refuses a caller without permission, storing nothing', async () => {
    const { server } = await startSentinel({
      extra: [
        mockServices.permissions.mock({
          authorize: async requests =>
            requests.map(() => ({ result: AuthorizeResult.DENY })),
        }).factory,
      ],
    });
    const res = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(scaleCart(3));
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe('sentinel.plan.create is not allowed');
  });

  it('refuses approving, rejecting or cancelling a plan in the wrong state', async () => {
    const { server } = await startSentinel();
    const { body } = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(scaleCart(4));
    await until(server, body.id, terminal);

    const approve = await request(server)
      .post(`/api/sentinel/v1/action-plans/${body.id}/approve`)
      .send({});
    expect(approve.status).toBe(409);
    expect(approve.body.error.message).toBe(
      `plan ${body.id} is succeeded; only a plan that is pending_approval can become approved`,
    );
    const reject = await request(server)
      .post(`/api/sentinel/v1/action-plans/${body.id}/reject`)
      .send({});
    expect(reject.status).toBe(400);
    expect(reject.body.error.message).toContain('comment');
    const cancel = await request(server).post(
      `/api/sentinel/v1/action-plans/${body.id}/cancel`,
    );
    expect(cancel.status).toBe(409);
    const missing = await request(server).get(
      '/api/sentinel/v1/action-plans/no-such-plan',
    );
    expect(missing.status).toBe(404);
  });

  it('rolls a workload back to before its last change, as a plan of its own', async () => {
    const { server, driver } = await startSentinel();
    const { body } = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(scaleCart(6));
    await until(server, body.id, terminal);

    const res = await request(server)
      .post('/api/sentinel/v1/workloads/demo/shop/Deployment/cart/rollback')
      .send({ reason: 'error rate doubled after scaling' });
    expect(res.status).toBe(202);
    const rollback = await until(server, res.body.id, terminal);
    expect(rollback.status).toBe('succeeded');
    expect(rollback.decisions[0]).toMatchObject({
      verb: 'rollback',
      rationale: 'error rate doubled after scaling',
    });
    expect((await driver.getWorkload(cart))!.replicas).toBe(2);

    expect(rollback.rollbackOf).toBe(body.id);
    expect(rollback.decisions[0].params).toEqual({ toPlanId: body.id });
    const original = await request(server).get(
      `/api/sentinel/v1/action-plans/${body.id}`,
    );
    expect(original.body.decisions[0].status).toBe('rolled_back');
  });

  it('refuses a rollback over drift unless an admin forces it', async () => {
    const { server, driver } = await startSentinel();
    const { body } = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(scaleCart(6));
    await until(server, body.id, terminal);
    // Someone scales cart by hand after Sentinel's change.
    const now = (await driver.getWorkload(cart))!;
    driver.put({ ...now, replicas: 8 });

    const refused = await request(server)
      .post('/api/sentinel/v1/workloads/demo/shop/Deployment/cart/rollback')
      .send({ reason: 'undo the scale-up' });
    const failed = await until(server, refused.body.id, terminal);
    expect(failed.status).toBe('failed');
    expect(failed.statusReason).toContain("changed since Sentinel's change");
    expect((await driver.getWorkload(cart))!.replicas).toBe(8);

    const forced = await request(server)
      .post('/api/sentinel/v1/workloads/demo/shop/Deployment/cart/rollback')
      .send({ reason: 'the manual scale was a mistake', force: true });
    expect((await until(server, forced.body.id, terminal)).status).toBe(
      'succeeded',
    );
    expect((await driver.getWorkload(cart))!.replicas).toBe(2);
  });

  it('lets only admins force a rollback', async () => {
    const { server } = await startSentinel({
      extra: [
        mockServices.permissions.mock({
          authorize: async requests =>
            requests.map(r => ({
              result:
                r.permission.name === 'sentinel.policy.update'
                  ? AuthorizeResult.DENY
                  : AuthorizeResult.ALLOW,
            })),
        }).factory,
      ],
    });
    const res = await request(server)
      .post('/api/sentinel/v1/workloads/demo/shop/Deployment/cart/rollback')
      .send({ reason: 'x', force: true });
    expect(res.status).toBe(403);
    const viaPlan = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send({
        source: 'InfraMind',
        decisions: [
          {
            verb: 'rollback',
            target: { namespace: 'shop', name: 'cart' },
            params: { force: true },
          },
        ],
      });
    expect(viaPlan.status).toBe(403);
  });

  it('lists plans newest first, a page at a time, and validates the query', async () => {
    const { server } = await startSentinel();
    const ids: string[] = [];
    for (const replicas of [3, 4, 5]) {
      const { body } = await request(server)
        .post('/api/sentinel/v1/action-plans')
        .send(scaleCart(replicas));
      ids.push(body.id);
      await until(server, body.id, terminal);
    }
    const first = await request(server).get(
      '/api/sentinel/v1/action-plans?limit=2&entityRef=component:default/cart',
    );
    expect(first.body.items.map((p: Plan) => p.id)).toEqual([ids[2], ids[1]]);
    const second = await request(server).get(
      `/api/sentinel/v1/action-plans?limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(second.body).toEqual({
      items: [expect.objectContaining({ id: ids[0] })],
      nextCursor: null,
    });

    const bad = await request(server).get(
      '/api/sentinel/v1/action-plans?limit=0&status=done',
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain(
      'limit: must be an integer from 1 to 200',
    );
  });
});
