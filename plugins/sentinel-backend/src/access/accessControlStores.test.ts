import { randomUUID } from 'node:crypto';
import { AuditStore } from '../audit/AuditStore';
import { createTestDatabases } from '../__testUtils__/databases';
import { deployment, scale } from '../__testUtils__/execution';
import { RoleBindingStore } from './RoleBindingStore';
import { DatabaseApprovalStore } from '../plans/store/DatabaseApprovalStore';
import { DatabasePlanStore } from '../plans/store/DatabasePlanStore';
import { applyDatabaseMigrations } from '../database/migrations';
import type { NewPlan } from '../plans/store/PlanStore';

jest.setTimeout(60_000);

const at = new Date('2026-11-28T12:00:00.000Z');

function newPlan(overrides: Partial<NewPlan> = {}): NewPlan {
  return {
    id: randomUUID(),
    source: 'InfraMind',
    mode: 'enforce',
    submittedBy: 'external:inframind',
    requestHash: 'h',
    decisions: [
      { ...scale(deployment('cart'), 4), entityRef: 'component:default/cart' },
    ],
    at,
    ...overrides,
  };
}

/** Approval, audit and role-binding writes under concurrency, on both engines. */
describe('access-control stores', () => {
  const databases = createTestDatabases();

  describe.each(databases.eachSupportedId())('on %p', databaseId => {
    async function setup() {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      return {
        knex,
        plans: new DatabasePlanStore(knex),
        approvals: new DatabaseApprovalStore(knex),
        audit: new AuditStore(knex),
      };
    }

    /** A plan waiting for `approvers` distinct people. */
    async function pending(
      plans: DatabasePlanStore,
      approvers: number,
    ): Promise<string> {
      const plan = newPlan();
      await plans.createPlan(plan);
      await plans.updateDecision(plan.id, 0, {
        verdict: {
          outcome: 'require_approval',
          reasons: [{ rule: 'two', message: 'two people', approvers }],
        },
      });
      expect(
        await plans.transition(plan.id, {
          from: ['received'],
          to: 'pending_approval',
          actor: 'sentinel',
          message: 'waiting',
          at,
        }),
      ).toBe(true);
      return plan.id;
    }

    const approval = (actor: string) => ({
      actor,
      at,
      requireDistinctApprover: true,
      audit: {
        actor,
        action: 'plan.approve' as const,
        outcome: 'succeeded' as const,
        message: 'approved',
      },
    });

    it('approves once when five people approve a two-approver plan at the same moment', async () => {
      const { plans, approvals, audit } = await setup();
      const id = await pending(plans, 2);
      const results = await Promise.all(
        ['a', 'b', 'c', 'd', 'e'].map(n =>
          approvals.approve(id, approval(`user:default/${n}`)),
        ),
      );
      const kinds = results.map(r => r.kind).sort();
      expect(kinds).toEqual([
        'approved',
        'conflict',
        'conflict',
        'conflict',
        'recorded',
      ]);
      const plan = (await plans.getPlan(id))!;
      expect(plan.status).toBe('approved');
      expect(plan.approvals).toHaveLength(2);
      expect(plan.approvalsRequired).toBe(2);
      // One audit record per approval that counted, none for the refused ones.
      const trail = await audit.list({ action: 'plan.approve' }, { limit: 10 });
      expect(trail.items.map(e => e.actor).sort()).toEqual(
        plan.approvals.map(a => a.by).sort(),
      );
    });

    it('counts one person approving twice at once as one approval, without an error', async () => {
      const { plans, approvals } = await setup();
      const id = await pending(plans, 2);
      const results = await Promise.all([
        approvals.approve(id, approval('user:default/ann')),
        approvals.approve(id, approval('user:default/ann')),
      ]);
      expect(results.map(r => r.kind).sort()).toEqual(['recorded', 'refused']);
      const plan = (await plans.getPlan(id))!;
      expect(plan.status).toBe('pending_approval');
      expect(plan.approvals.map(a => a.by)).toEqual(['user:default/ann']);
    });

    it('never lets the submitter approve, and leaves no trace of the attempt in the plan', async () => {
      const { plans, approvals, audit } = await setup();
      const id = await pending(plans, 1);
      expect(
        await approvals.approve(id, approval('external:inframind')),
      ).toEqual({
        kind: 'refused',
        reason: expect.stringContaining('submitted this plan'),
      });
      expect((await plans.getPlan(id))!.approvals).toEqual([]);
      expect(
        (await audit.list({ action: 'plan.approve' }, { limit: 10 })).items,
      ).toEqual([]);
    });

    it('writes a rollback plan and its audit record together', async () => {
      const { plans, audit } = await setup();
      const plan = newPlan({
        submittedBy: 'user:default/ann',
        audit: {
          actor: 'user:default/ann',
          action: 'workload.rollback',
          outcome: 'succeeded',
          entityRef: 'component:default/cart',
          reason: 'latency',
          details: { workload: 'demo/shop/Deployment/cart' },
        },
      });
      await plans.createPlan(plan);
      const trail = await audit.list(
        { entityRef: 'component:default/cart' },
        { limit: 10 },
      );
      expect(trail.items).toEqual([
        {
          id: expect.any(String),
          at: at.toISOString(),
          actor: 'user:default/ann',
          action: 'workload.rollback',
          outcome: 'succeeded',
          entityRef: 'component:default/cart',
          planId: plan.id,
          reason: 'latency',
          details: { workload: 'demo/shop/Deployment/cart' },
        },
      ]);
      // A duplicate (same key) stores neither plan nor record.
      const keyed = newPlan({
        idempotencyKey: 'k',
        audit: { ...plan.audit!, reason: 'again' },
      });
      await plans.createPlan(keyed);
      await plans.createPlan({ ...keyed, id: randomUUID() });
      expect(
        (await audit.list({ action: 'workload.rollback' }, { limit: 10 }))
          .items,
      ).toHaveLength(2);
    });

    it('keeps one of two role-binding saves of the same version and answers the other 409', async () => {
      const { knex } = await setup();
      const bindings = new RoleBindingStore(knex, 0);
      await bindings.seed({ roles: { admin: ['group:default/admins'] } }, at);
      const save = (who: string) =>
        bindings
          .save(
            {
              version: 1,
              roles: { admin: ['group:default/admins'], operator: [who] },
            },
            who,
            at,
          )
          .then(
            () => 'saved',
            (e: Error) => e.name,
          );
      const outcomes = await Promise.all([
        save('user:default/a'),
        save('user:default/b'),
      ]);
      expect(outcomes.sort()).toEqual(['ConflictError', 'saved']);
      expect((await bindings.latest())!.version).toBe(2);
      await expect(
        bindings.save({ version: 2, roles: { admin: [] } }, 'x', at),
      ).rejects.toThrow(/roles.admin: must name at least one/);
      // Seeding again never overwrites what the API saved.
      await bindings.seed({ roles: { admin: ['group:default/other'] } }, at);
      expect((await bindings.latest())!.version).toBe(2);
    });
  });
});
