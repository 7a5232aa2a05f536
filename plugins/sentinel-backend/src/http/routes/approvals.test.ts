import { mockCredentials } from '@backstage/backend-test-utils';
import type { Plan } from '@internal/backstage-plugin-sentinel-common';
import request from 'supertest';
import { cart, startSentinel } from '../../__testUtils__/startSentinel';

jest.setTimeout(30_000);

const as = (ref: string) => mockCredentials.user.header(ref);
const ann = 'user:default/ann';
const bob = 'user:default/bob';
const submitter = 'user:default/mock'; // the default caller of startSentinel's backend

const policy = (approvers?: number) => ({
  rules: [
    {
      id: 'production-approval',
      kind: 'require_approval',
      reason: 'production changes need a second pair of eyes',
      ...(approvers && { approvers }),
    },
  ],
});

const scale = {
  source: 'InfraMind',
  decisions: [
    {
      verb: 'scale',
      target: { namespace: 'shop', name: 'cart' },
      params: { replicas: 3 },
    },
  ],
};

async function until(server: any, id: string, statuses: string[]) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { body } = await request(server).get(
      `/api/sentinel/v1/action-plans/${id}`,
    );
    if (statuses.includes(body.status) || Date.now() > deadline) {
      return body as Plan;
    }
    await new Promise(r => setTimeout(r, 25));
  }
}

async function pendingPlan(server: any) {
  const { body } = await request(server)
    .post('/api/sentinel/v1/action-plans')
    .send(scale);
  const plan = await until(server, body.id, ['pending_approval']);
  expect(plan.status).toBe('pending_approval');
  return plan;
}

const approve = (server: any, id: string, who: string, comment?: string) =>
  request(server)
    .post(`/api/sentinel/v1/action-plans/${id}/approve`)
    .set('Authorization', as(who))
    .send(comment ? { comment } : {});

describe('four-eyes approval', () => {
  it('never lets the submitter approve their own plan, and records the refused attempt', async () => {
    const { server, driver } = await startSentinel({
      config: { sentinel: { policy: policy() } },
    });
    const plan = await pendingPlan(server);

    const own = await approve(server, plan.id, submitter, 'looks fine to me');
    expect(own.status).toBe(403);
    expect(own.body.error.message).toBe(
      `${submitter} submitted this plan and may not approve it; another person must (sentinel.approval.requireDistinctApprover)`,
    );
    const after = await until(server, plan.id, ['pending_approval']);
    expect(after.status).toBe('pending_approval');
    expect(after.approvals).toEqual([]);
    expect((await driver.getWorkload(cart))!.replicas).toBe(2);

    const audit = await request(server).get(
      `/api/sentinel/v1/audit?outcome=refused&actor=${submitter}`,
    );
    expect(audit.status).toBe(200);
    expect(audit.body.items).toEqual([
      expect.objectContaining({
        actor: submitter,
        action: 'refused',
        outcome: 'refused',
        planId: plan.id,
        reason: expect.stringContaining('may not approve it'),
        details: { attempted: 'plan.approve' },
      }),
    ]);

    // Someone else may, and the plan runs.
    expect((await approve(server, plan.id, ann)).status).toBe(200);
    expect((await until(server, plan.id, ['succeeded'])).status).toBe(
      'succeeded',
    );
    expect((await driver.getWorkload(cart))!.replicas).toBe(3);
  });

  it('waits for as many distinct approvers as the rule asks, and shows who approved, when and why', async () => {
    const { server, driver } = await startSentinel({
      config: { sentinel: { policy: policy(2) } },
    });
    const plan = await pendingPlan(server);
    expect(plan.approvalsRequired).toBe(2);
    expect(plan.decisions[0].verdict?.reasons[0]).toMatchObject({
      approvers: 2,
      message: expect.stringContaining("2 distinct people's approval"),
    });

    const first = await approve(server, plan.id, ann, 'dashboards are green');
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('pending_approval');
    expect(first.body.approvals).toEqual([
      { by: ann, at: expect.any(String), comment: 'dashboards are green' },
    ]);
    expect(first.body.timeline.at(-1)).toMatchObject({
      status: 'pending_approval',
      actor: ann,
      message: 'approved (1 of 2 approvers): dashboards are green',
    });
    await new Promise(r => setTimeout(r, 300));
    expect((await driver.getWorkload(cart))!.replicas).toBe(2);

    // The same person twice is still one pair of eyes.
    const again = await approve(server, plan.id, ann);
    expect(again.status).toBe(403);
    expect(again.body.error.message).toBe(
      `${ann} already approved this plan; another person must`,
    );

    const second = await approve(server, plan.id, bob);
    expect(second.status).toBe(200);
    expect(second.body.approvals.map((a: any) => [a.by, a.comment])).toEqual([
      [ann, 'dashboards are green'],
      [bob, null],
    ]);
    const done = await until(server, plan.id, ['succeeded']);
    expect(done.status).toBe('succeeded');
    expect((await driver.getWorkload(cart))!.replicas).toBe(3);

    // An approval after the plan moved on is a conflict, not a third approval.
    const late = await approve(server, plan.id, 'user:default/cy');
    expect(late.status).toBe(409);

    const trail = await request(server).get(
      '/api/sentinel/v1/audit?action=plan.approve',
    );
    expect(
      trail.body.items.map((e: any) => [e.actor, e.planId, e.outcome]),
    ).toEqual([
      [bob, plan.id, 'succeeded'],
      [ann, plan.id, 'succeeded'],
    ]);
  });

  it('lets the submitter approve when sentinel.approval.requireDistinctApprover is false', async () => {
    const { server } = await startSentinel({
      config: {
        sentinel: {
          policy: policy(),
          approval: { requireDistinctApprover: false },
        },
      },
    });
    const plan = await pendingPlan(server);
    expect((await approve(server, plan.id, submitter)).status).toBe(200);
  });
});

describe('GET /v1/audit', () => {
  it('filters by actor, action and time, pages with a cursor, and names a bad query field', async () => {
    const { server } = await startSentinel({
      config: { sentinel: { policy: policy() } },
    });
    const before = new Date().toISOString();
    const plans = [await pendingPlan(server), await pendingPlan(server)];
    for (const plan of plans) {
      await request(server)
        .post(`/api/sentinel/v1/action-plans/${plan.id}/reject`)
        .set('Authorization', as(ann))
        .send({ comment: 'not this week' });
    }
    const rejected = await request(server).get(
      `/api/sentinel/v1/audit?action=plan.reject&from=${before}&limit=1`,
    );
    expect(rejected.status).toBe(200);
    expect(rejected.body.items).toEqual([
      expect.objectContaining({
        actor: ann,
        action: 'plan.reject',
        planId: plans[1].id,
        reason: 'not this week',
      }),
    ]);
    const next = await request(server).get(
      `/api/sentinel/v1/audit?action=plan.reject&limit=1&cursor=${rejected.body.nextCursor}`,
    );
    expect(next.body.items.map((e: any) => e.planId)).toEqual([plans[0].id]);
    expect(next.body.nextCursor).toBeNull();

    const future = await request(server).get(
      `/api/sentinel/v1/audit?from=${new Date(
        Date.now() + 60_000,
      ).toISOString()}`,
    );
    expect(future.body.items).toEqual([]);

    for (const [query, field] of [
      ['from=yesterday', 'from'],
      ['action=plan.delete', 'action'],
      ['limit=0', 'limit'],
      ['cursor=abc', 'cursor'],
    ]) {
      const bad = await request(server).get(`/api/sentinel/v1/audit?${query}`);
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain(field);
    }
  });
});
