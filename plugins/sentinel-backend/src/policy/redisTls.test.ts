import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  startRedis,
  TestPki,
  type RedisProcess,
} from '@internal/kubernetes-test-server';
import Redis from 'ioredis';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { applyDatabaseMigrations } from '../database/migrations';
import { DatabaseGateStore } from '../plans/gate/DatabaseGateStore';
import { createChangeLedger } from './createChangeLedger';
import { readRedisConnection } from './redisConnection';

jest.setTimeout(60_000);

// The rate-limit ledger's Redis as production configures it: TLS only, verified against a CA
// file, as an ACL user with a password (sentinel.redis), on a redis-server of the test's own.
describe('the rate-limit ledger on Redis over TLS with an ACL user', () => {
  const pki = new TestPki();
  const ca = pki.ca('redis-ca');
  const otherCa = pki.ca('someone-elses-ca');
  const password = randomBytes(16).toString('hex');
  const databases = TestDatabases.create({
    ids: ['SQLITE_3'],
    disableDocker: true,
  });
  let redis: RedisProcess;
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    redis = await startRedis({
      tls: ca.issue('localhost', {
        usage: 'server',
        subjectAltNames: ['DNS:localhost'],
      }),
      users: [{ name: 'sentinel', password }],
    });
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  afterAll(async () => {
    await redis?.stop();
    pki.remove();
  });

  function config(overrides: { password?: string; caFile?: string } = {}) {
    return new ConfigReader({
      sentinel: {
        redis: {
          connection: redis.url,
          username: 'sentinel',
          password: overrides.password ?? password,
          tls: { caFile: overrides.caFile ?? ca.certFile },
        },
      },
    });
  }

  async function ledgerWith(overrides: Parameters<typeof config>[0] = {}) {
    const knex = await databases.init('SQLITE_3');
    await applyDatabaseMigrations(knex);
    const logger = mockServices.logger.mock();
    const { ledger, close } = createChangeLedger({
      redis: readRedisConnection(config(overrides)),
      store: new DatabaseGateStore(knex),
      logger,
    });
    closers.push(close);
    return { ledger, logger };
  }

  /** The errors logged, as an operator reads them. */
  const errorsOf = (logger: ReturnType<typeof mockServices.logger.mock>) =>
    (logger.error as jest.Mock).mock.calls.map(([message]) => String(message));

  async function waitFor(condition: () => boolean) {
    const deadline = Date.now() + 10_000;
    while (!condition() && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 50));
    }
  }

  it('records changes in Redis, where every replica counts them', async () => {
    const { ledger, logger } = await ledgerWith();
    const id = `${randomUUID()}:0`;
    // Recorded once connected: before that the database alone has it.
    const observer = new Redis(redis.url, {
      username: 'sentinel',
      password,
      tls: { ca: ca.cert },
    });
    closers.push(async () => observer.disconnect());
    await once(observer, 'ready');
    let members: string[] = [];
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      await ledger.record({
        id,
        at: new Date().toISOString(),
        workload: 'demo/shop/Deployment/cart',
      });
      members = await observer.zrange('sentinel:changes', 0, -1);
      if (members.length) break;
      await new Promise(r => setTimeout(r, 100));
    }
    expect(members).toContain(`${id}|demo/shop/Deployment/cart`);
    expect(errorsOf(logger)).toEqual([]);
  });

  it('says a wrong password is refused, naming the setting, and counts in the database', async () => {
    const { ledger, logger } = await ledgerWith({
      password: 'not-the-password',
    });
    await waitFor(() => errorsOf(logger).length > 0);
    expect(errorsOf(logger)).toEqual([
      expect.stringMatching(
        /^Redis refused Sentinel's credentials \(sentinel\.redis\.username, sentinel\.redis\.password\): WRONGPASS/,
      ),
    ]);
    await expect(ledger.since(new Date(0))).resolves.toEqual([]);
  });

  it('refuses a server whose certificate another CA signed, naming the setting', async () => {
    const { logger } = await ledgerWith({ caFile: otherCa.certFile });
    await waitFor(() => errorsOf(logger).length > 0);
    expect(errorsOf(logger)).toEqual([
      expect.stringMatching(
        /^Sentinel does not trust the Redis server's certificate \(sentinel\.redis\.tls\.caFile.*unable to verify the first certificate/,
      ),
    ]);
  });

  it('refuses a CA file with a redis:// (plain) connection, naming the keys', () => {
    expect(() =>
      readRedisConnection(
        new ConfigReader({
          sentinel: {
            redis: {
              connection: 'redis://localhost:6379',
              tls: { caFile: ca.certFile },
            },
          },
        }),
      ),
    ).toThrow(
      'sentinel.redis.tls.caFile is set but sentinel.redis.connection is redis://, which is not TLS; use rediss://',
    );
  });
});
