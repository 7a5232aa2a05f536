import type { Knex } from 'knex';
import { logger, ownership } from '../__testUtils__/execution';
import { createTestDatabases } from '../__testUtils__/databases';
import { applyDatabaseMigrations } from '../database/migrations';
import { WorkloadReader } from '../inventory/WorkloadReader';
import { createPlanStores } from '../plans/store/createPlanStores';
import { DatabaseChangeLedger } from './ChangeLedger';
import { PolicyService } from './PolicyService';
import { PolicyStore } from './PolicyStore';

/** One replica's policy service; each replica keeps its own copy for `revisionCheckMs`. */
const replica = (knex: Knex) =>
  new PolicyService({
    store: new PolicyStore(knex),
    ledger: new DatabaseChangeLedger(createPlanStores(knex).gate),
    workloads: new WorkloadReader(new Map()),
    ownership,
    logger,
    // Far longer than the test: only a read of the latest revision sees another's change.
    revisionCheckMs: 600_000,
  });

const window = {
  name: 'Release freeze',
  reason: 'the yearly release',
  scope: { namespace: 'shop' },
  start: '2026-12-20T00:00:00.000Z',
  end: '2026-12-27T00:00:00.000Z',
};

describe('PolicyService across replicas', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'shows a person what another replica saved a moment ago: the policy, the freeze calendar and the freeze status, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const a = replica(knex);
      const b = replica(knex);
      const now = new Date('2026-12-07T12:00:00.000Z');
      await a.seed({ rules: [] }, [], now);
      // B has read (and keeps) version 1, as a replica serving pages has.
      expect((await b.current({ latest: true })).version).toBe(1);
      const period = [
        new Date('2026-12-01T00:00:00.000Z'),
        new Date('2027-01-01T00:00:00.000Z'),
      ] as const;
      expect(await b.freezeCalendar(...period)).toEqual([]);

      // An admin saves on A, and the page reloads from B.
      await a.replace(
        {
          version: 1,
          rules: [{ id: 'cap', kind: 'plan_size', max: 3 }],
        },
        'user:default/ann',
        now,
      );
      await a.addFreezeWindow(window, 'user:default/ann', now);

      // The pipeline's reads keep B's copy until its next check (the gate checks the revision
      // at apply); a person's must not.
      expect((await b.current()).version).toBe(1);
      expect(await b.current({ latest: true })).toMatchObject({
        version: 2,
        document: { rules: [{ id: 'cap', kind: 'plan_size', max: 3 }] },
      });
      expect(await b.freezeCalendar(...period)).toEqual([
        expect.objectContaining({ name: 'Release freeze' }),
      ]);
      expect(
        await b.freezeStatus(
          { cluster: 'demo', namespace: 'shop' },
          new Date('2026-12-21T00:00:00.000Z'),
        ),
      ).toMatchObject({ frozen: true });
    },
  );
});
