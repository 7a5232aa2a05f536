import { createTestDatabases } from '../__testUtils__/databases';
import {
  applyDatabaseMigrations,
  rollbackDatabaseMigrations,
} from './migrations';

jest.setTimeout(60_000);

describe('database migrations', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'creates the plan store and removes it again, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      // Running again on start (or on a second replica) is a no-op.
      await applyDatabaseMigrations(knex);

      const now = new Date('2026-11-26T10:00:00Z');
      await knex('plans').insert({
        id: 'p-1',
        source: 'InfraMind',
        mode: 'enforce',
        status: 'received',
        submitted_by: 'external:inframind',
        idempotency_key: 'key-1',
        created_at: now,
        updated_at: now,
      });
      await knex('plan_decisions').insert({
        plan_id: 'p-1',
        decision_index: 0,
        verb: 'scale',
        cluster: 'demo',
        namespace: 'shop',
        kind: 'Deployment',
        name: 'cart',
        params: JSON.stringify({ replicas: 4 }),
        status: 'received',
      });
      await knex('plan_events').insert({
        plan_id: 'p-1',
        at: now,
        status: 'received',
        actor: 'external:inframind',
        message: 'plan received',
      });

      // An idempotency key identifies one plan only.
      await expect(
        knex('plans').insert({
          id: 'p-2',
          source: 'InfraMind',
          mode: 'enforce',
          status: 'received',
          submitted_by: 'external:inframind',
          idempotency_key: 'key-1',
          created_at: now,
          updated_at: now,
        }),
      ).rejects.toThrow();

      const [decision] = await knex('plan_decisions').where({ plan_id: 'p-1' });
      expect(JSON.parse(decision.params)).toEqual({ replicas: 4 });
      expect(
        await knex('plan_events').where({ plan_id: 'p-1' }).select('message'),
      ).toEqual([{ message: 'plan received' }]);

      await rollbackDatabaseMigrations(knex);
      for (const table of ['plans', 'plan_decisions', 'plan_events']) {
        expect(await knex.schema.hasTable(table)).toBe(false);
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'starts on a database that a newer release migrated, as a rollback does, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      // What a newer release leaves behind: a migration this release does not have.
      const [{ batch }] = await knex('knex_migrations').max({ batch: 'batch' });
      await knex('knex_migrations').insert({
        name: '29991231000000_from_a_newer_release.js',
        batch: Number(batch) + 1,
        migration_time: new Date(),
      });

      await expect(applyDatabaseMigrations(knex)).resolves.toBeUndefined();
      expect(await knex.schema.hasTable('plans')).toBe(true);
    },
  );
});
