import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Plan } from '@internal/backstage-plugin-sentinel-common';
import request from 'supertest';
import { cart, startSentinel } from '../../__testUtils__/startSentinel';

jest.setTimeout(30_000);

const policy = {
  rules: [
    { id: 'replica-bounds', kind: 'replica_bounds', max: 10, maxStep: 5 },
    {
      id: 'workload-rate',
      kind: 'rate_limit',
      per: 'workload',
      max: 2,
      windowMinutes: 60,
    },
    { id: 'low-confidence', kind: 'confidence', minimum: 0.7 },
  ],
};

const scale = (replicas: number, confidence = 0.9) => ({
  source: 'InfraMind',
  decisions: [
    {
      verb: 'scale',
      target: { namespace: 'shop', name: 'cart' },
      params: { replicas },
      confidence,
    },
  ],
});

async function until(
  server: any,
  id: string,
  statuses: string[],
): Promise<Plan> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { body } = await request(server).get(
      `/api/sentinel/v1/action-plans/${id}`,
    );
    if (statuses.includes(body.status) || Date.now() > deadline) return body;
    await new Promise(r => setTimeout(r, 25));
  }
}

const start = () => startSentinel({ config: { sentinel: { policy } } });

describe('policies API', () => {
  it('serves the seeded policy and keeps every version, refusing a stale write', async () => {
    const { server, auditor } = await start();
    const first = await request(server).get('/api/sentinel/v1/policies');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      version: 1,
      rules: policy.rules,
      exceptions: [],
    });

    const tighter = {
      ...first.body,
      rules: [{ id: 'only-scale', kind: 'allowed_verbs', verbs: ['scale'] }],
    };
    const saved = await request(server)
      .put('/api/sentinel/v1/policies')
      .send(tighter);
    expect(saved.status).toBe(200);
    expect(saved.body.version).toBe(2);

    const stale = await request(server)
      .put('/api/sentinel/v1/policies')
      .send(tighter);
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toBe(
      'the policy is at version 2, not 1; reload it and apply your change again',
    );

    const history = await request(server).get(
      '/api/sentinel/v1/policies/history',
    );
    expect(
      history.body.items.map((v: any) => [v.version, v.changedBy]),
    ).toEqual([
      [2, 'user:default/mock'],
      [1, 'sentinel (app-config)'],
    ]);
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({ eventId: 'policy-update' }),
    );
  });

  it('refuses an invalid policy with a 400 naming the field', async () => {
    const { server } = await start();
    const res = await request(server)
      .put('/api/sentinel/v1/policies')
      .send({
        rules: [
          { id: 'x', kind: 'replica_bounds', max: -1 },
          { id: 'x', kind: 'plan_size', max: 3 },
        ],
      });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('rules[0].max');
    expect(res.body.error.message).toContain(
      'rules[1].id: repeats the id of rules[0]',
    );
  });

  it('runs every plan in shadow mode while the policy document switches it on, and applies again once off', async () => {
    const { server, driver } = await start();
    const current = await request(server).get('/api/sentinel/v1/policies');
    const on = await request(server)
      .put('/api/sentinel/v1/policies')
      .send({ ...current.body, shadowMode: true });
    expect(on.status).toBe(200);

    const shadowed = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(scale(4));
    expect(shadowed.body.mode).toBe('shadow');
    expect(
      (await until(server, shadowed.body.id, ['simulated', 'succeeded']))
        .status,
    ).toBe('simulated');
    expect((await driver.getWorkload(cart))!.replicas).toBe(2);

    const off = await request(server)
      .put('/api/sentinel/v1/policies')
      .send({ ...on.body, shadowMode: false });
    expect(off.status).toBe(200);
    const applied = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(scale(4));
    expect(applied.body.mode).toBe('enforce');
    expect(
      (await until(server, applied.body.id, ['simulated', 'succeeded'])).status,
    ).toBe('succeeded');
  });

  it('dry-runs a plan with the verdicts a submission would get, storing nothing', async () => {
    const { server } = await start();
    const res = await request(server)
      .post('/api/sentinel/v1/policies/evaluate')
      .send(scale(12));
    expect(res.status).toBe(200);
    expect(res.body.outcome).toBe('deny');
    expect(res.body.decisions[0].verdict.reasons).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule: 'replica-bounds' }),
      ]),
    );
    const plans = await request(server).get('/api/sentinel/v1/action-plans');
    expect(plans.body.items).toEqual([]);
  });

  it("dry-runs a plan against a draft policy without saving the draft, and names the draft's bad fields", async () => {
    const { server } = await start();
    const draft = {
      rules: [{ id: 'tight', kind: 'replica_bounds', max: 3 }],
    };
    const underDraft = await request(server)
      .post('/api/sentinel/v1/policies/dry-run')
      .send({ policy: draft, plan: scale(4) });
    expect(underDraft.status).toBe(200);
    expect(underDraft.body.outcome).toBe('deny');
    expect(underDraft.body.decisions[0].verdict.reasons).toEqual([
      expect.objectContaining({ rule: 'tight' }),
    ]);
    const inForce = await request(server)
      .post('/api/sentinel/v1/policies/evaluate')
      .send(scale(4));
    expect(inForce.body.outcome).toBe('allow');
    expect(
      (await request(server).get('/api/sentinel/v1/policies')).body.version,
    ).toBe(1);

    const invalidDraft = await request(server)
      .post('/api/sentinel/v1/policies/dry-run')
      .send({
        policy: { rules: [{ id: 'x', kind: 'replica_bounds', max: -1 }] },
        plan: scale(4),
      });
    expect(invalidDraft.status).toBe(400);
    expect(invalidDraft.body.error.message).toContain('policy.rules[0].max');
  });

  it('lays out the freeze calendar of a period, each recurrence in its time zone', async () => {
    const { server } = await start();
    const weekend = await request(server)
      .post('/api/sentinel/v1/freeze-windows')
      .send({
        name: 'Weekend',
        reason: 'nobody on call',
        scope: { namespace: 'shop' },
        recurrence: {
          cron: '0 16 * * 5',
          durationMinutes: 3840,
          timezone: 'Europe/Berlin',
        },
      });
    expect(weekend.status).toBe(201);
    await request(server).post('/api/sentinel/v1/freeze-windows').send({
      name: 'Launch',
      reason: 'product launch',
      start: '2026-12-09T08:00:00Z',
      end: '2026-12-09T20:00:00Z',
      allowRollback: false,
    });

    const res = await request(server).get(
      '/api/sentinel/v1/freeze-calendar?from=2026-12-05T00:00:00Z&to=2026-12-25T00:00:00Z',
    );
    expect(res.status).toBe(200);
    expect(
      res.body.items.map((o: any) => [o.name, o.start, o.end, o.recurring]),
    ).toEqual([
      // The weekend that began on Friday 4 December is still on at `from`.
      ['Weekend', '2026-12-04T15:00:00.000Z', '2026-12-07T07:00:00.000Z', true],
      ['Launch', '2026-12-09T08:00:00.000Z', '2026-12-09T20:00:00.000Z', false],
      ['Weekend', '2026-12-11T15:00:00.000Z', '2026-12-14T07:00:00.000Z', true],
      ['Weekend', '2026-12-18T15:00:00.000Z', '2026-12-21T07:00:00.000Z', true],
    ]);
    expect(res.body.items[1].allowRollback).toBe(false);
    expect(res.body.items[0].scope).toEqual({ namespace: 'shop' });

    const tooLong = await request(server).get(
      '/api/sentinel/v1/freeze-calendar?from=2026-12-01T00:00:00Z&to=2027-03-01T00:00:00Z',
    );
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toContain('to: must be after from');
    const notAnInstant = await request(server).get(
      '/api/sentinel/v1/freeze-calendar?from=tomorrow',
    );
    expect(notAnInstant.status).toBe(400);
    expect(notAnInstant.body.error.message).toContain('from: must be an ISO');
  });

  it('rejects a submission a rule denies, naming the rule', async () => {
    const { server, driver } = await start();
    const { body } = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(scale(12));
    const plan = await until(server, body.id, ['rejected']);
    expect(plan.status).toBe('rejected');
    expect(plan.statusReason).toMatch(/^rejected by policy: decision 0: /);
    expect(plan.decisions[0].verdict?.reasons.map(r => r.rule)).toContain(
      'replica-bounds',
    );
    expect((await driver.getWorkload(cart))!.replicas).toBe(2);
  });

  it('waits for a person below the confidence threshold, then applies once approved', async () => {
    const { server, driver } = await start();
    const { body } = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(scale(4, 0.4));
    const waiting = await until(server, body.id, ['pending_approval']);
    expect(waiting.status).toBe('pending_approval');
    expect((await driver.getWorkload(cart))!.replicas).toBe(2);

    // Someone other than the submitter (four eyes).
    const approved = await request(server)
      .post(`/api/sentinel/v1/action-plans/${body.id}/approve`)
      .set('Authorization', mockCredentials.user.header('user:default/ann'))
      .send({ comment: 'checked the dashboards' });
    expect(approved.status).toBe(200);
    const plan = await until(server, body.id, ['succeeded']);
    expect(plan.status).toBe('succeeded');
    expect(plan.timeline.map(e => [e.status, e.actor])).toEqual(
      expect.arrayContaining([['approved', 'user:default/ann']]),
    );
    expect((await driver.getWorkload(cart))!.replicas).toBe(4);
  });

  it('counts applied changes against the per-workload rate limit', async () => {
    const { server } = await start();
    const statuses: string[] = [];
    for (const replicas of [3, 4, 5]) {
      const { body } = await request(server)
        .post('/api/sentinel/v1/action-plans')
        .send(scale(replicas));
      statuses.push(
        (await until(server, body.id, ['succeeded', 'rejected'])).status,
      );
    }
    expect(statuses).toEqual(['succeeded', 'succeeded', 'rejected']);
  });

  it('freezes a namespace, lets rollbacks through, and lifts the freeze for a break-glass override', async () => {
    const { server } = await startSentinel({
      config: { sentinel: { policy: { rules: [policy.rules[0]] } } },
    });
    const applied = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(scale(3));
    await until(server, applied.body.id, ['succeeded']);

    const now = Date.now();
    const window = await request(server)
      .post('/api/sentinel/v1/freeze-windows')
      .send({
        name: 'Incident freeze',
        reason: 'INC-42 under investigation',
        scope: { namespace: 'shop' },
        start: new Date(now - 60_000).toISOString(),
        end: new Date(now + 3600_000).toISOString(),
      });
    expect(window.status).toBe(201);

    const status = await request(server).get(
      '/api/sentinel/v1/freeze-status?cluster=demo&namespace=shop',
    );
    expect(status.body).toMatchObject({
      frozen: true,
      window: { name: 'Incident freeze' },
    });
    const elsewhere = await request(server).get(
      '/api/sentinel/v1/freeze-status?cluster=demo&namespace=payments',
    );
    expect(elsewhere.body.frozen).toBe(false);

    const frozen = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(scale(4));
    const rejected = await until(server, frozen.body.id, ['rejected']);
    expect(rejected.statusReason).toContain('Incident freeze');

    const rollback = await request(server)
      .post('/api/sentinel/v1/workloads/demo/shop/Deployment/cart/rollback')
      .send({ reason: 'undo before the freeze ends' });
    expect(
      (await until(server, rollback.body.id, ['succeeded', 'rejected'])).status,
    ).toBe('succeeded');

    const glass = await request(server)
      .post('/api/sentinel/v1/freeze-overrides')
      .send({
        scope: { namespace: 'shop' },
        reason: 'hotfix for INC-42',
        durationMinutes: 30,
      });
    expect(glass.status).toBe(201);
    const inForce = await request(server).get(
      '/api/sentinel/v1/freeze-overrides',
    );
    expect(inForce.body.items).toEqual([
      expect.objectContaining({
        id: glass.body.id,
        reason: 'hotfix for INC-42',
        scope: { namespace: 'shop' },
      }),
    ]);
    const during = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(scale(2));
    expect(
      (await until(server, during.body.id, ['succeeded', 'rejected'])).status,
    ).toBe('succeeded');

    expect(
      (
        await request(server).delete(
          `/api/sentinel/v1/freeze-windows/${window.body.id}`,
        )
      ).status,
    ).toBe(204);
    expect(
      (
        await request(server).delete(
          `/api/sentinel/v1/freeze-windows/${window.body.id}`,
        )
      ).status,
    ).toBe(404);
  });

  it.each([
    [
      {
        name: 'x',
        reason: 'y',
        recurrence: {
          cron: 'every friday',
          durationMinutes: 60,
          timezone: 'Europe/Berlin',
        },
      },
      'cron',
    ],
    [
      {
        name: 'x',
        reason: 'y',
        recurrence: {
          cron: '0 16 * * 5',
          durationMinutes: 60,
          timezone: 'Mars/Olympus',
        },
      },
      'Mars/Olympus',
    ],
    [
      {
        name: 'x',
        reason: 'y',
        start: '2026-11-26T10:00:00Z',
        end: '2026-11-26T09:00:00Z',
      },
      'end: must be after start',
    ],
    [{ name: 'x', reason: 'y' }, 'give either start and end, or recurrence'],
  ])(
    'refuses freeze window %j with a 400 mentioning %s',
    async (body, expected) => {
      const { server } = await start();
      const res = await request(server)
        .post('/api/sentinel/v1/freeze-windows')
        .send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(expected);
    },
  );

  it('lets only those allowed change policies and freezes', async () => {
    const { server } = await startSentinel({
      config: { sentinel: { policy } },
      extra: [
        mockServices.permissions.mock({
          authorize: async requests =>
            requests.map(r => ({
              result: r.permission.name.endsWith('.read')
                ? AuthorizeResult.ALLOW
                : AuthorizeResult.DENY,
            })),
        }).factory,
      ],
    });
    expect(
      (await request(server).get('/api/sentinel/v1/policies')).status,
    ).toBe(200);
    expect(
      (
        await request(server)
          .post('/api/sentinel/v1/policies/evaluate')
          .send(scale(3))
      ).status,
    ).toBe(200);
    expect(
      (await request(server).put('/api/sentinel/v1/policies').send(policy))
        .status,
    ).toBe(403);
    expect(
      (
        await request(server).post('/api/sentinel/v1/freeze-windows').send({
          name: 'x',
          reason: 'y',
          start: '2026-11-26T10:00:00Z',
          end: '2026-11-26T11:00:00Z',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await request(server)
          .post('/api/sentinel/v1/freeze-overrides')
          .send({ reason: 'x', durationMinutes: 10 })
      ).status,
    ).toBe(403);
  });
});
