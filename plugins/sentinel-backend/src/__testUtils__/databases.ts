import {
  TestDatabases,
  type TestDatabaseId,
} from '@backstage/backend-test-utils';

/**
 * The engines every store test runs on: the embedded default and production's.
 *
 * PostgreSQL runs when BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING points at a
 * server (the README's test command sets it). Under CI a missing PostgreSQL fails the run
 * instead of quietly testing SQLite alone.
 */
export function createTestDatabases(): TestDatabases {
  const ids: TestDatabaseId[] = ['POSTGRES_15', 'SQLITE_3'];
  const databases = TestDatabases.create({ ids, disableDocker: true });
  if (process.env.CI && !databases.supports('POSTGRES_15')) {
    throw new Error(
      'CI is set but PostgreSQL is not available to the tests: set BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING (e.g. postgresql://postgres@127.0.0.1:5432)',
    );
  }
  return databases;
}
