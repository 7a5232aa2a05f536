import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import type { SchedulerServiceTaskFunction } from '@backstage/backend-plugin-api';
import type { Plan } from '@internal/backstage-plugin-sentinel-common';
import type { RolloutStatus } from '@internal/backstage-plugin-sentinel-node';
import { InMemoryClusterDriver } from '@internal/backstage-plugin-sentinel-node/testUtils';
import request from 'supertest';
import { eventually } from '../__testUtils__/execution';
import { cart, startSentinel } from '../__testUtils__/startSentinel';

jest.setTimeout(30_000);

const entity = 'component:default/cart';
const sentinelTab = '/catalog/default/component/cart/sentinel';
const ann = 'user:default/ann';

const approvalPolicy = {
  rules: [
    {
      id: 'production-approval',
      kind: 'require_approval',
      reason: 'production changes need a second pair of eyes',
    },
  ],
};

const submit = (server: any, decision: Record<string, unknown>) =>
  request(server)
    .post('/api/sentinel/v1/action-plans')
    .send({ source: 'InfraMind', decisions: [decision] });

const scaleCart = (replicas: number) => ({
  verb: 'scale',
  target: { namespace: 'shop', name: 'cart' },
  params: { replicas },
});

async function planIn(server: any, id: string, statuses: string[]) {
  return eventually(async () => {
    const { body } = await request(server).get(
      `/api/sentinel/v1/action-plans/${id}`,
    );
    return statuses.includes(body.status) && (body as Plan);
  }, `plan ${id} is ${statuses.join(' or ')}`);
}

type Live = Awaited<ReturnType<typeof startSentinel>>['live'];

/** The statuses signalled for a plan, in the order they were published. */
const signalledStatuses = (live: Live, planId: string) =>
  live.signals
    .filter(s => (s.message as { id?: string }).id === planId)
    .map(s => s.message.status);

describe('live updates and owner notifications', () => {
  it("signals a plan that needs approval with its entity, asks the entity's owners once with a link to the Sentinel tab, and signals each step after the approval", async () => {
    const { server, live } = await startSentinel({
      config: { sentinel: { policy: approvalPolicy } },
    });
    const submitted = await submit(server, scaleCart(5));
    expect(submitted.status).toBe(202);
    const id = submitted.body.id;
    await planIn(server, id, ['pending_approval']);
    await eventually(
      async () => live.notifications.length > 0,
      'the owners were notified',
    );

    expect(live.signals).toEqual(
      expect.arrayContaining([
        {
          recipients: { type: 'broadcast' },
          channel: 'sentinel:changes',
          message: {
            kind: 'plan',
            id,
            entityRefs: [entity],
            status: 'pending_approval',
          },
        },
      ]),
    );
    expect(live.notifications).toEqual([
      {
        recipients: { type: 'entity', entityRef: [entity] },
        payload: {
          title: 'Approval needed: scale shop/cart to 5',
          description: expect.stringContaining(
            'production changes need a second pair of eyes',
          ),
          link: sentinelTab,
          severity: 'high',
          topic: 'sentinel-approval',
          scope: `sentinel-approval:${id}`,
        },
      },
    ]);

    const approved = await request(server)
      .post(`/api/sentinel/v1/action-plans/${id}/approve`)
      .set('Authorization', mockCredentials.user.header(ann))
      .send({});
    expect(approved.status).toBe(200);
    await planIn(server, id, ['succeeded']);
    await eventually(
      async () => signalledStatuses(live, id).includes('succeeded'),
      'the success was signalled',
    );
    expect(signalledStatuses(live, id)).toEqual([
      'received',
      'pending_approval',
      'approved',
      'executing',
      'succeeded',
    ]);
    // A change that went as planned asks nothing more of the owners.
    expect(live.notifications).toHaveLength(1);
  });

  it('tells the owners when a person rolls their workload back from the Sentinel tab', async () => {
    const { server, live, driver } = await startSentinel();
    const scaled = await submit(server, scaleCart(4));
    await planIn(server, scaled.body.id, ['succeeded']);

    const rollback = await request(server)
      .post('/api/sentinel/v1/workloads/demo/shop/Deployment/cart/rollback')
      .send({ reason: 'latency doubled' });
    expect(rollback.status).toBe(202);
    await planIn(server, rollback.body.id, ['succeeded']);
    expect((await driver.getWorkload(cart))!.replicas).toBe(2);
    await eventually(
      async () => live.notifications.length > 0,
      'the owners were notified',
    );

    expect(live.notifications).toEqual([
      {
        recipients: { type: 'entity', entityRef: [entity] },
        payload: {
          title: 'Rolled back: shop/cart',
          description:
            'user:default/mock rolled back shop/cart: latency doubled.',
          link: sentinelTab,
          severity: 'high',
          topic: 'sentinel-rollback',
          scope: `sentinel-rollback:${rollback.body.id}`,
        },
      },
    ]);
  });

  it('rolls back a change whose rollout fails in the cluster, and tells the owners', async () => {
    class FailingRollouts extends InMemoryClusterDriver {
      async rolloutStatus(): Promise<RolloutStatus> {
        const current = await this.getWorkload(cart);
        return current?.containers[0].image.endsWith('-broken')
          ? { state: 'failed', reason: 'ProgressDeadlineExceeded' }
          : { state: 'complete' };
      }
    }
    const driver = new FailingRollouts('demo', [
      {
        ref: cart,
        replicas: 2,
        containers: [{ name: 'app', image: 'shop/cart:1.0.0', resources: {} }],
      },
    ]);
    const { server, live } = await startSentinel({ driver });
    const submitted = await submit(server, {
      verb: 'rollout',
      target: { namespace: 'shop', name: 'cart' },
      params: { containers: { app: { image: 'shop/cart:2.0.0-broken' } } },
    });
    const plan = await planIn(server, submitted.body.id, [
      'rolled_back',
      'failed',
      'succeeded',
    ]);
    expect(plan.status).toBe('rolled_back');
    expect((await driver.getWorkload(cart))!.containers[0].image).toBe(
      'shop/cart:1.0.0',
    );
    await eventually(
      async () => live.notifications.length > 0,
      'the owners were notified',
    );

    expect(live.notifications).toEqual([
      {
        recipients: { type: 'entity', entityRef: [entity] },
        payload: {
          title: 'Rolled back: roll out shop/cart:2.0.0-broken to shop/cart',
          description: expect.stringContaining('ProgressDeadlineExceeded'),
          link: sentinelTab,
          severity: 'high',
          topic: 'sentinel-rollback',
          scope: `sentinel-rollback:${plan.id}`,
        },
      },
    ]);
    expect(signalledStatuses(live, plan.id).at(-1)).toBe('rolled_back');
  });

  it('carries on with every plan when the signals and notification services are down', async () => {
    const { server, live, driver } = await startSentinel({
      liveServicesFail: true,
    });
    const submitted = await submit(server, scaleCart(3));
    expect(submitted.status).toBe(202);
    await planIn(server, submitted.body.id, ['succeeded']);
    expect((await driver.getWorkload(cart))!.replicas).toBe(3);
    // It did try.
    expect(signalledStatuses(live, submitted.body.id)).toContain('received');
  });

  it('announces a freeze window that starts to the owners of the entities in its namespace, once however often the check runs', async () => {
    const scheduler = mockServices.scheduler.mock();
    const { server, live } = await startSentinel({
      extra: [scheduler.factory],
    });
    const now = Date.now();
    const windowAt = (namespace: string, name: string) =>
      request(server)
        .post('/api/sentinel/v1/freeze-windows')
        .send({
          name,
          reason: 'INC-42 under investigation',
          scope: { namespace },
          start: new Date(now - 60_000).toISOString(),
          end: new Date(now + 3600_000).toISOString(),
        });
    const shop = await windowAt('shop', 'Incident freeze');
    expect(shop.status).toBe(201);
    // No workload of the catalog's entities runs in this namespace: nobody to tell.
    expect((await windowAt('payments', 'Payments freeze')).status).toBe(201);

    const task = scheduler.scheduleTask.mock.calls
      .map(([t]) => t)
      .find(t => t.id === 'sentinel-freeze-notices');
    if (!task) throw new Error('the freeze check is not scheduled');
    const check = task.fn as SchedulerServiceTaskFunction;
    await check(new AbortController().signal);
    await check(new AbortController().signal);

    const start = new Date(now - 60_000).toISOString();
    expect(live.notifications).toEqual([
      {
        recipients: { type: 'entity', entityRef: [entity] },
        payload: {
          title: 'Freeze started: Incident freeze',
          description: expect.stringMatching(
            /^INC-42 under investigation\. Until .* Sentinel applies no changes to cart \(rollbacks stay allowed\)\.$/,
          ),
          link: sentinelTab,
          severity: 'normal',
          topic: 'sentinel-freeze',
          scope: expect.stringMatching(
            new RegExp(`^sentinel-freeze:${shop.body.id}:${start}:`),
          ),
        },
      },
    ]);
    expect(task.frequency).toEqual({ minutes: 1 });
  });
});
