import knexFactory, { type Knex } from 'knex';
import { setTimeout as sleep } from 'node:timers/promises';
import { LeasedCredentials } from './LeasedCredentials';
import { useRotatingCredentials } from './rotatingCredentials';
import { VaultClient } from './VaultClient';
import {
  startVaultFixture,
  testLogger,
  type VaultFixture,
} from './__testUtils__/vaultFixture';

jest.setTimeout(60_000);

// A knex pool as Backstage's database manager builds it (static credentials of the moment),
// then switched to Vault's rotating credentials. Leases of an hour: nothing renews or rotates
// unless the test says so.
describe('useRotatingCredentials', () => {
  let fixture: VaultFixture;
  let vault: VaultClient;
  let credentials: LeasedCredentials;
  let knex: Knex;

  beforeEach(async () => {
    fixture = await startVaultFixture({ database: true });
    vault = new VaultClient({
      address: fixture.vault.url,
      role: 'sentinel',
      tokenPath: fixture.tokenPath,
      logger: testLogger(),
    });
    credentials = new LeasedCredentials(vault, {
      path: 'database/creds/sentinel',
      logger: testLogger(),
    });
    const first = await credentials.start();
    knex = knexFactory({
      client: 'pg',
      connection: {
        host: fixture.postgres!.host,
        port: fixture.postgres!.port,
        database: 'postgres',
        user: first.username,
        password: first.password,
      },
      pool: { min: 0, max: 4 },
      log: { warn() {}, error() {}, debug() {}, deprecate() {} },
    });
    useRotatingCredentials(
      knex,
      () => credentials.current(),
      credential => credentials.refused(credential),
    );
  });

  afterEach(async () => {
    await knex.destroy();
    credentials.stop();
    vault.close();
    await fixture.stop();
  });

  /** Four workers querying without pause until stopped; the users that answered and the failures. */
  function load() {
    const users = new Set<string>();
    const failures: string[] = [];
    let stopped = false;
    let answered = 0;
    const workers = Array.from({ length: 4 }, async () => {
      while (!stopped) {
        try {
          const { rows } = await knex.raw('SELECT session_user AS user');
          users.add(rows[0].user);
          answered += 1;
        } catch (error) {
          failures.push(String(error));
          await sleep(20);
        }
      }
    });
    return {
      users,
      failures,
      answered: () => answered,
      async stop() {
        stopped = true;
        await Promise.all(workers);
      },
    };
  }

  it('moves new connections to the new user when credentials rotate; no query fails while the old lease is revoked', async () => {
    const old = credentials.current();
    const running = load();
    await sleep(300);
    await credentials.rotate();
    const fresh = credentials.current();
    await sleep(500);
    await fixture.vault.revokeLease(old.leaseId);
    running.users.clear();
    await sleep(700);
    await running.stop();
    expect(running.failures).toEqual([]);
    expect(running.answered()).toBeGreaterThan(100);
    expect([...running.users]).toEqual([fresh.username]);
  });

  it('takes new credentials at once when PostgreSQL refuses the current ones (their lease revoked), not at the next renewal', async () => {
    const old = credentials.current();
    await knex.raw('SELECT 1');
    await fixture.vault.revokeLease(old.leaseId);
    const started = Date.now();
    for (;;) {
      try {
        const { rows } = await knex.raw('SELECT session_user AS user');
        expect(rows[0].user).not.toBe(old.username);
        break;
      } catch {
        if (Date.now() - started > 10_000)
          throw new Error('no new credentials');
        await sleep(100);
      }
    }
    expect(credentials.current().username).not.toBe(old.username);
    // The lease's renewal is 40 minutes away: the refusal, not the timer, replaced them.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
