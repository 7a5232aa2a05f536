import { resolvePackagePath } from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';

const migrationsDir = resolvePackagePath(
  '@internal/backstage-plugin-sentinel-backend',
  'migrations',
);

/**
 * Brings Sentinel's tables up to date; safe to run on every start and on every replica.
 *
 * A database a newer release has migrated is no error (ADR 016): schema changes are
 * expand/contract, so the release before runs on the schema after. knex would otherwise refuse
 * to start ("The migration directory is corrupt, the following files are missing"), and a
 * rollback, or a replica of the previous release restarting during an upgrade, would fail.
 */
export async function applyDatabaseMigrations(knex: Knex): Promise<void> {
  await knex.migrate.latest({
    directory: migrationsDir,
    disableMigrationsListValidation: true,
  });
}

/** Undoes every Sentinel migration (tests and uninstalls). */
export async function rollbackDatabaseMigrations(knex: Knex): Promise<void> {
  await knex.migrate.rollback({ directory: migrationsDir }, true);
}
