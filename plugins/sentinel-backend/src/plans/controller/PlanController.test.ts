import { mockServices } from '@backstage/backend-test-utils';
import type {
  PlanTarget,
  Verdict,
} from '@internal/backstage-plugin-sentinel-common';
import type {
  WorkloadChange,
  WorkloadState,
  WriteOptions,
} from '@internal/backstage-plugin-sentinel-node';
import { InMemoryClusterDriver } from '@internal/backstage-plugin-sentinel-node/testUtils';
import knexFactory, { type Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { createTestDatabases } from '../../__testUtils__/databases';
import { DatabasePlanStore } from '../store/DatabasePlanStore';
import { DatabaseGateStore } from '../gate/DatabaseGateStore';
import type { GateStore } from '../gate/GateStore';
import { applyDatabaseMigrations } from '../../database/migrations';
import type { NewDecision, PlanWork } from '../store/PlanStore';
import {
  PassThroughPolicyEngine,
  type PolicyEngine,
} from '../../policy/PolicyEngine';
import { ReconcilerKilledError, type Reconciler } from '../../work/Reconciler';
import { expireApprovals } from '../approvalTimeouts';
import { DEFAULT_EXECUTION, type ExecutionSettings } from '../executionConfig';
import {
  createPlanExecution,
  type PlanExecutionOptions,
} from '../planExecution';

jest.setTimeout(120_000);

const logger = mockServices.logger.mock();

function target(name: string, namespace = 'shop'): PlanTarget {
  return { cluster: 'demo', namespace, kind: 'Deployment', name };
}

/** An in-memory cluster that counts every change that reached it, per workload. */
class CountingDriver extends InMemoryClusterDriver {
  readonly applied = new Map<string, number>();

  async apply(ref: PlanTarget, change: WorkloadChange, options: WriteOptions) {
    const result = await super.apply(ref, change, options);
    this.applied.set(ref.name, (this.applied.get(ref.name) ?? 0) + 1);
    return result;
  }
}

function clusterWith(names: string[]) {
  return new CountingDriver(
    'demo',
    names.map(name => ({
      ref: target(name),
      replicas: 1,
      containers: [{ name: 'app', image: `shop/${name}:1.0.0`, resources: {} }],
    })),
  );
}

async function submit(
  store: DatabasePlanStore,
  decisions: NewDecision[],
  mode: 'enforce' | 'shadow' = 'enforce',
) {
  const id = randomUUID();
  await store.createPlan({
    id,
    source: 'InfraMind',
    mode,
    submittedBy: 'external:inframind',
    requestHash: id,
    decisions,
    at: new Date(),
  });
  return id;
}

const scale = (name: string, replicas: number): NewDecision => ({
  verb: 'scale',
  target: target(name),
  params: { replicas },
  entityRef: `component:default/${name}`,
});

type Extra = Partial<
  Pick<PlanExecutionOptions, 'policyEngine' | 'hooks' | 'now'>
> & { settings?: Partial<ExecutionSettings> };

/** One replica's plan execution on the in-memory cluster, with the policy letting all through. */
function executor(
  { store, gate }: { store: DatabasePlanStore; gate: GateStore },
  driver: InMemoryClusterDriver,
  extra: Extra = {},
): Reconciler<PlanWork> {
  return createPlanExecution({
    store,
    gateStore: gate,
    clusterDrivers: new Map([['demo', driver]]),
    policyEngine: extra.policyEngine ?? new PassThroughPolicyEngine(),
    logger,
    owner: `replica-${randomUUID().slice(0, 8)}`,
    settings: { ...DEFAULT_EXECUTION, ...extra.settings },
    hooks: extra.hooks,
    now: extra.now,
  }).reconciler;
}

async function drain(exec: Reconciler<PlanWork>) {
  while ((await exec.runOnce()) > 0) {
    // keep going until nothing is left to claim
  }
}

describe('PlanController', () => {
  const databases = createTestDatabases();

  async function storeOn(databaseId: Parameters<typeof databases.init>[0]) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    return {
      knex,
      store: new DatabasePlanStore(knex),
      gate: new DatabaseGateStore(knex),
    };
  }

  describe.each(databases.eachSupportedId())('on %p', databaseId => {
    it('applies a plan, recording before/after and every transition', async () => {
      const { store, gate } = await storeOn(databaseId);
      const driver = clusterWith(['cart', 'checkout']);
      const id = await submit(store, [scale('cart', 4), scale('checkout', 3)]);

      await drain(executor({ store, gate }, driver));

      const plan = (await store.getPlan(id))!;
      expect(plan.status).toBe('succeeded');
      expect(plan.timeline.map(e => e.status)).toEqual([
        'received',
        'approved',
        'executing',
        'succeeded',
      ]);
      expect(plan.decisions.map(d => d.status)).toEqual([
        'succeeded',
        'succeeded',
      ]);
      expect((plan.decisions[0].before as WorkloadState).replicas).toBe(1);
      expect((plan.decisions[0].after as WorkloadState).replicas).toBe(4);
      expect((await driver.getWorkload(target('checkout')))!.replicas).toBe(3);
    });

    it('rolls back what a plan applied when a later decision fails', async () => {
      const { store, gate } = await storeOn(databaseId);
      const driver = clusterWith(['cart', 'checkout']);
      const id = await submit(store, [
        scale('cart', 4),
        {
          verb: 'rollout',
          target: target('checkout'),
          params: { containers: { worker: { image: 'shop/worker:2' } } },
          entityRef: null,
        },
      ]);

      await drain(executor({ store, gate }, driver));

      const plan = (await store.getPlan(id))!;
      expect(plan.status).toBe('rolled_back');
      expect(plan.statusReason).toMatch(
        /decision 1 \(rollout demo\/shop\/Deployment\/checkout\) failed: .*has no container\(s\) worker; restored 1 applied decision/,
      );
      expect(plan.decisions.map(d => d.status)).toEqual([
        'rolled_back',
        'failed',
      ]);
      expect((await driver.getWorkload(target('cart')))!.replicas).toBe(1);
    });

    it('re-bases a change on what someone else just wrote, instead of failing or overwriting blindly', async () => {
      const { store, gate } = await storeOn(databaseId);
      const driver = clusterWith(['cart']);
      const apply = driver.apply.bind(driver);
      let interfered = false;
      driver.apply = async (ref, change, options) => {
        if (!interfered) {
          interfered = true; // `kubectl set image` lands between Sentinel's read and write
          const current = (await driver.getWorkload(ref))!;
          driver.put({
            ...current,
            containers: [
              { ...current.containers[0], image: 'shop/cart:hotfix' },
            ],
          });
        }
        return apply(ref, change, options);
      };
      const id = await submit(store, [scale('cart', 5)]);

      await drain(executor({ store, gate }, driver));

      const plan = (await store.getPlan(id))!;
      expect(plan.status).toBe('succeeded');
      const workload = (await driver.getWorkload(target('cart')))!;
      expect(workload.replicas).toBe(5);
      expect(workload.containers[0].image).toBe('shop/cart:hotfix');
      // A rollback of this plan restores the hotfix, not the state before it.
      expect(
        (plan.decisions[0].before as WorkloadState).containers[0].image,
      ).toBe('shop/cart:hotfix');
    });

    it('in shadow mode records the exact change and applies nothing', async () => {
      const { store, gate } = await storeOn(databaseId);
      const driver = clusterWith(['cart']);
      const id = await submit(
        store,
        [
          {
            verb: 'rollout',
            target: target('cart'),
            params: { containers: { app: { image: 'shop/cart:2.0.0' } } },
            entityRef: null,
          },
        ],
        'shadow',
      );

      await drain(executor({ store, gate }, driver));

      const plan = (await store.getPlan(id))!;
      expect(plan.status).toBe('simulated');
      expect(plan.decisions[0].status).toBe('simulated');
      expect(
        (plan.decisions[0].after as WorkloadState).containers[0].image,
      ).toBe('shop/cart:2.0.0');
      expect(
        (await driver.getWorkload(target('cart')))!.containers[0].image,
      ).toBe('shop/cart:1.0.0');
      expect(driver.applied.size).toBe(0);
    });

    it('waits for approval, and rejects a plan nobody approves in time', async () => {
      const { store, gate } = await storeOn(databaseId);
      const driver = clusterWith(['cart']);
      const needsApproval: PolicyEngine = {
        evaluate: async plan =>
          plan.decisions.map(
            (): Verdict => ({
              outcome: 'require_approval',
              reasons: [{ rule: 'confidence', message: 'Confidence is low.' }],
            }),
          ),
      };
      const exec = executor({ store, gate }, driver, {
        policyEngine: needsApproval,
      });
      const id = await submit(store, [scale('cart', 4)]);

      await drain(exec);
      expect((await store.getPlan(id))!.status).toBe('pending_approval');

      const expire = (now: string) =>
        expireApprovals({ store, timeoutMs: 3600_000, now: new Date(now) });
      expect(await expire(new Date(Date.now() + 1800_000).toISOString())).toBe(
        0,
      );
      expect(await expire(new Date(Date.now() + 7200_000).toISOString())).toBe(
        1,
      );
      const plan = (await store.getPlan(id))!;
      expect(plan.status).toBe('rejected');
      expect(plan.statusReason).toBe(
        'no approval within 1 h; nothing was applied',
      );
      expect(driver.applied.size).toBe(0);
    });

    it('resumes a plan whose replica died right after applying, without applying twice', async () => {
      const { store, gate } = await storeOn(databaseId);
      const driver = clusterWith(['cart', 'checkout']);
      const id = await submit(store, [scale('cart', 4), scale('checkout', 3)]);

      const doomed = executor({ store, gate }, driver, {
        settings: { leaseMs: 200 },
        hooks: {
          afterApply: () => {
            throw new ReconcilerKilledError();
          },
        },
      });
      await expect(doomed.runOnce()).rejects.toThrow(ReconcilerKilledError);
      expect((await store.getStoredDecisions(id))[0].status).toBe('applying');

      await new Promise(r => setTimeout(r, 300)); // the dead replica's lease expires
      await drain(executor({ store, gate }, driver));

      const plan = (await store.getPlan(id))!;
      expect(plan.status).toBe('succeeded');
      expect(driver.applied.get('cart')).toBe(1);
      expect(driver.applied.get('checkout')).toBe(1);
    });

    it('finishes a plan again, applying nothing twice, when the database lost the writes it made without waiting for the disk', async () => {
      const { knex, store, gate } = await storeOn(databaseId);
      const driver = clusterWith(['cart']);
      const id = await submit(store, [scale('cart', 4)]);
      await drain(executor({ store, gate }, driver));
      expect((await store.getPlan(id))!.status).toBe('succeeded');

      // What a crash of the database server leaves when the asynchronous commits after the
      // gate's durable one are lost: the decision admitted and 'applying', the plan executing
      // and leased to a replica that is gone.
      await knex('plan_decisions')
        .where({ plan_id: id })
        .update({ status: 'applying', after: null });
      await knex('plans')
        .where({ id })
        .update({
          status: 'executing',
          lease_owner: 'replica-gone',
          lease_expires_at: new Date(Date.now() - 1000),
          next_check_at: new Date(),
        });
      await drain(executor({ store, gate }, driver));

      const plan = (await store.getPlan(id))!;
      expect(plan.status).toBe('succeeded');
      expect(plan.decisions[0].status).toBe('succeeded');
      expect(driver.applied.get('cart')).toBe(1);
      expect((await driver.getWorkload(target('cart')))!.replicas).toBe(4);
    });
  });

  // Reported as skipped (never as passed) without PostgreSQL; under CI that fails instead.
  const describeOnPostgres = databases.supports('POSTGRES_15')
    ? describe
    : describe.skip;

  describeOnPostgres('on PostgreSQL with several replicas', () => {
    it('applies each decision exactly once while replicas race and one is killed (PostgreSQL)', async () => {
      const { knex: setup, store: setupStore } = await storeOn('POSTGRES_15');
      const names = Array.from({ length: 300 }, (_, i) => `w-${i}`);
      const driver = clusterWith(names);
      const ids: string[] = [];
      for (let i = 0; i < names.length; i += 2) {
        ids.push(
          await submit(setupStore, [
            scale(names[i], 2),
            scale(names[i + 1], 3),
          ]),
        );
      }

      // Separate pools, as separate replicas would have.
      const pools: Knex[] = [];
      const claims: number[] = [];
      const replica = (extra: Extra = {}) => {
        const pool = knexFactory({
          client: 'pg',
          connection: setup.client.config.connection,
          pool: { min: 0, max: 4 },
        });
        pools.push(pool);
        const store = new DatabasePlanStore(pool);
        const gate = new DatabaseGateStore(pool);
        const claim = store.queue.claimDue.bind(store.queue);
        const replicaIndex = pools.length - 1;
        claims[replicaIndex] = 0;
        store.queue.claimDue = async options => {
          const claimed = await claim(options);
          claims[replicaIndex] += claimed.length;
          return claimed;
        };
        return executor({ store, gate }, driver, {
          ...extra,
          settings: { leaseMs: 1_000, pollIntervalMs: 50, ...extra.settings },
        });
      };

      let appliedByDoomed = 0;
      // Early enough that the doomed replica reaches it however the race goes (it applied 38
      // of the 300 changes in one slow run).
      const killAfter = 10;
      // Four steps at a time, so the kill catches it mid-plan in each of them.
      const doomed = replica({
        settings: { concurrency: 4, batchSize: 4 },
        hooks: {
          afterApply: () => {
            // From its 10th change on, this replica is dead: each of its steps in flight stops
            // right after its change reached the cluster, before recording it.
            appliedByDoomed += 1;
            if (appliedByDoomed >= killAfter) throw new ReconcilerKilledError();
          },
        },
      });
      const survivors = [replica(), replica(), replica()];
      for (const e of [doomed, ...survivors]) e.start();

      const deadline = Date.now() + 90_000;
      for (;;) {
        const done = await setup('plans')
          .whereIn('status', ['succeeded', 'failed', 'rolled_back'])
          .count({ n: '*' });
        if (Number(done[0].n) === ids.length || Date.now() > deadline) break;
        await new Promise(r => setTimeout(r, 200));
      }
      await Promise.all([doomed, ...survivors].map(e => e.stop()));
      await Promise.all(pools.map(p => p.destroy()));

      // The kill caught every step the doomed replica had in flight mid-plan.
      expect(appliedByDoomed).toBeGreaterThanOrEqual(killAfter);
      expect(appliedByDoomed).toBeLessThan(killAfter + 4);
      // Every replica took part in the race.
      expect(claims.every(n => n > 0)).toBe(true);
      const statuses: { status: string; n: string }[] = await setup('plans')
        .select('status')
        .count({ n: '*' })
        .groupBy('status');
      expect(statuses.map(s => [s.status, Number(s.n)])).toEqual([
        ['succeeded', ids.length],
      ]);
      const appliedTwice = names.filter(n => driver.applied.get(n) !== 1);
      expect(appliedTwice).toEqual([]);
      for (const [i, name] of names.entries()) {
        expect((await driver.getWorkload(target(name)))!.replicas).toBe(
          i % 2 ? 3 : 2,
        );
      }
    });
  });
});
