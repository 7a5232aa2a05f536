import { randomUUID } from 'node:crypto';
import { createTestDatabases } from '../../__testUtils__/databases';
import { deployment, scale } from '../../__testUtils__/execution';
import { createPlanStores } from './createPlanStores';
import { DatabasePlanStore } from './DatabasePlanStore';
import { newPlanWork } from './planRows';
import { applyDatabaseMigrations } from '../../database/migrations';
import type { NewPlan, PlanChange } from './PlanStore';

jest.setTimeout(60_000);

function newPlan(key?: string, hash = 'h-1'): NewPlan {
  return {
    id: randomUUID(),
    source: 'InfraMind',
    mode: 'enforce',
    submittedBy: 'external:inframind',
    idempotencyKey: key,
    requestHash: hash,
    decisions: [
      { ...scale(deployment('cart'), 4, 0.92), rationale: 'p95 CPU 85%' },
      scale(deployment('checkout'), 2),
    ],
    at: new Date('2026-11-27T12:00:00.000Z'),
  };
}

describe('DatabasePlanStore', () => {
  const databases = createTestDatabases();

  describe.each(databases.eachSupportedId())('on %p', databaseId => {
    async function store() {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      return new DatabasePlanStore(knex);
    }

    it('stores a plan with its decisions and first timeline entry, as the API returns it', async () => {
      const plans = await store();
      const plan = newPlan('key-1');
      const created = await plans.createPlan(plan);
      expect(created.created).toBe(true);
      const stored = await plans.getPlan(plan.id);
      expect(stored).toEqual((created as { plan: unknown }).plan);
      expect(stored!.decisions[0]).toMatchObject({
        index: 0,
        confidence: 0.92,
        rationale: 'p95 CPU 85%',
        status: 'pending',
        entityRef: 'component:default/cart',
      });
      expect(stored!.timeline).toEqual([
        {
          at: '2026-11-27T12:00:00.000Z',
          status: 'received',
          actor: 'external:inframind',
          message: 'plan received from InfraMind with 2 decision(s)',
        },
      ]);
    });

    it('stores nothing for an idempotency key it knows, and names the plan that has it', async () => {
      const plans = await store();
      const first = newPlan('key-2', 'hash-a');
      await plans.createPlan(first);
      const again = newPlan('key-2', 'hash-b');
      expect(await plans.createPlan(again)).toEqual({
        created: false,
        id: first.id,
        requestHash: 'hash-a',
      });
      expect(await plans.getPlan(again.id)).toBeUndefined();
    });

    it('scopes an idempotency key to its principal: the same key from another caller is another plan', async () => {
      const plans = await store();
      const mine = newPlan('key-shared', 'hash-a');
      await plans.createPlan(mine);
      const theirs = {
        ...newPlan('key-shared', 'hash-a'),
        submittedBy: 'user:default/other',
      };
      const result = await plans.createPlan(theirs);
      expect(result).toMatchObject({ created: true });
      expect((await plans.getPlan(theirs.id))?.submittedBy).toBe(
        'user:default/other',
      );
      // And the first caller still gets its own plan back for its key.
      expect(await plans.createPlan(newPlan('key-shared', 'hash-a'))).toEqual({
        created: false,
        id: mine.id,
        requestHash: 'hash-a',
      });
    });

    it('stores exactly one plan for one key submitted many times at once', async () => {
      const plans = await store();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => plans.createPlan(newPlan('key-3'))),
      );
      const created = results.filter(r => r.created);
      expect(created).toHaveLength(1);
      const id = (created[0] as { plan: { id: string } }).plan.id;
      for (const r of results.filter(x => !x.created)) {
        expect(r).toMatchObject({ created: false, id });
      }
    });

    it('stores a plan leased at birth to its replica, as that replica steps it without reading it back', async () => {
      const plans = await store();
      const plan: NewPlan = {
        ...newPlan(),
        lease: {
          owner: 'replica-a',
          expiresAt: new Date('2026-11-27T12:00:30.000Z'),
        },
      };
      await plans.createPlan(plan);
      // Leased: no other replica claims it while the lease lives.
      const during = new Date('2026-11-27T12:00:10.000Z');
      expect(
        await plans.queue.claimDue({
          owner: 'replica-b',
          now: during,
          leaseMs: 30_000,
          limit: 10,
        }),
      ).toEqual([]);
      // What the receiving replica steps is what a claim reads (here after the lease ran out).
      const after = new Date('2026-11-27T12:00:31.000Z');
      const [claimed] = await plans.queue.claimDue({
        owner: 'replica-b',
        now: after,
        leaseMs: 30_000,
        limit: 10,
      });
      expect(newPlanWork(plan)).toEqual(claimed);
    });

    it('names the newest plan that changed each workload, leaving out decisions that never reached it', async () => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const plans = new DatabasePlanStore(knex);
      const at = (hour: number) => new Date(Date.UTC(2026, 10, 27, hour));
      const older = { ...newPlan(), at: at(12) };
      const newer = { ...newPlan(), at: at(13) };
      const newest = { ...newPlan(), at: at(14) };
      for (const plan of [older, newer, newest]) await plans.createPlan(plan);
      // older changed both; newer changed cart (then rolled it back) and skipped checkout;
      // newest only simulated cart and has checkout pending: nothing of it reached the cluster.
      await knex('plan_decisions')
        .where({ plan_id: older.id })
        .update({ status: 'succeeded' });
      await knex('plan_decisions')
        .where({ plan_id: newer.id, decision_index: 0 })
        .update({ status: 'rolled_back' });
      await knex('plan_decisions')
        .where({ plan_id: newer.id, decision_index: 1 })
        .update({ status: 'skipped' });
      await knex('plan_decisions')
        .where({ plan_id: newest.id, decision_index: 0 })
        .update({ status: 'simulated' });

      const last = await plans.lastChangedPlans([
        deployment('cart'),
        deployment('checkout'),
        deployment('orders'),
      ]);
      expect(Object.fromEntries(last)).toEqual({
        'demo/shop/Deployment/cart': newer.id,
        'demo/shop/Deployment/checkout': older.id,
      });
      expect((await plans.lastChangedPlans([])).size).toBe(0);
    });

    it('merges several patches of one decision in one step, later fields over earlier (PostgreSQL applies one UPDATE per row and statement)', async () => {
      const plans = await store();
      const plan = newPlan();
      await plans.createPlan(plan);
      const now = new Date('2026-11-27T12:00:01.000Z');
      const [work] = await plans.queue.claimDue({
        owner: 'replica-a',
        now,
        leaseMs: 30_000,
        limit: 1,
      });
      expect(work.id).toBe(plan.id);
      // As a step does when it admits a change, finds it cannot be written, and says why.
      const saved = await plans.saveStep(plan.id, 'replica-a', {
        at: now,
        whileStatus: 'received',
        transitions: [{ to: 'rejected', message: 'refused at apply' }],
        decisions: [
          {
            index: 0,
            patch: { status: 'applying', appliedAt: now, error: 'first' },
          },
          { index: 0, patch: { status: 'failed', appliedAt: null } },
          { index: 0, patch: { error: 'rule workload-rate' } },
        ],
        release: { nextCheckAt: null },
      });
      expect(saved).toEqual({ woken: [] });
      const stored = await plans.getPlan(plan.id);
      expect(stored!.status).toBe('rejected');
      expect(stored!.decisions[0]).toMatchObject({
        status: 'failed',
        error: 'rule workload-rate',
      });
    });

    it('tells each committed change of status once, after the commit, and nothing of a write that lost its lease or a duplicate submission', async () => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const told: PlanChange[] = [];
      const { plans, approvals } = createPlanStores(knex, {
        onChange: change => told.push(change),
      });
      const plan = newPlan('key-told');
      await plans.createPlan(plan);
      await plans.createPlan({ ...newPlan('key-told'), id: randomUUID() });
      const now = new Date('2026-11-27T12:00:01.000Z');
      await plans.queue.claimDue({
        owner: 'a',
        now,
        leaseMs: 30_000,
        limit: 1,
      });
      // Another replica's stale step: not written, not told.
      expect(
        await plans.saveStep(plan.id, 'b', {
          at: now,
          whileStatus: 'received',
          transitions: [{ to: 'approved', message: 'allowed by policy' }],
        }),
      ).toBeUndefined();
      await plans.saveStep(plan.id, 'a', {
        at: now,
        whileStatus: 'received',
        transitions: [{ to: 'pending_approval', message: 'waiting' }],
        release: { nextCheckAt: null },
      });
      const approval = (actor: string) => ({
        actor,
        at: now,
        requireDistinctApprover: true,
        audit: {
          actor,
          action: 'plan.approve' as const,
          outcome: 'succeeded' as const,
          planId: plan.id,
        },
      });
      await approvals.approve(plan.id, approval('user:default/ann'));
      await plans.transition(plan.id, {
        from: ['pending_approval'],
        to: 'rejected',
        actor: 'user:default/bob',
        message: 'rejected: not today',
        at: now,
      });

      expect(told).toEqual([
        {
          planId: plan.id,
          status: 'received',
          transitions: [
            {
              to: 'received',
              message: 'plan received from InfraMind with 2 decision(s)',
            },
          ],
          decisions: [
            { verb: 'scale', entityRef: 'component:default/cart' },
            { verb: 'scale', entityRef: 'component:default/checkout' },
          ],
        },
        {
          planId: plan.id,
          status: 'pending_approval',
          transitions: [{ to: 'pending_approval', message: 'waiting' }],
        },
        {
          planId: plan.id,
          status: 'approved',
          transitions: [{ to: 'approved', message: 'approved' }],
        },
      ]);
      // Approved already: the rejection was not written, and not told.
      expect((await plans.getPlan(plan.id))!.status).toBe('approved');
    });
  });
});
