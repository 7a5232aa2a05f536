import { CacheManager } from '@backstage/backend-defaults/cache';
import { mockServices } from '@backstage/backend-test-utils';
import {
  startRedis,
  TestPki,
  type RedisProcess,
} from '@internal/kubernetes-test-server';
import { randomBytes } from 'node:crypto';
import {
  loadProductionConfig,
  PodFiles,
} from './__testUtils__/productionConfig';

jest.setTimeout(60_000);

// Backstage's cache as app-config.production.yaml configures it (backend.cache): TLS only,
// verified against the CA file, as ACL user sentinel with the password file, on a
// redis-server of the test's own. Sentinel's own Redis client (the rate-limit ledger) has its
// test beside it: plugins/sentinel-backend/src/policy/redisTls.test.ts.
describe("Backstage's cache on Redis over TLS with an ACL user", () => {
  const pki = new TestPki();
  const ca = pki.ca('redis-ca');
  const otherCa = pki.ca('someone-elses-ca');
  const password = randomBytes(16).toString('hex');
  const files = new PodFiles(pki.path('etc'));
  let redis: RedisProcess;

  beforeAll(async () => {
    redis = await startRedis({
      tls: ca.issue('localhost', {
        usage: 'server',
        subjectAltNames: ['DNS:localhost'],
      }),
      users: [{ name: 'sentinel', password }],
    });
  });
  afterAll(() => {
    // Backstage's cache has no close, and @keyv/redis leaves node-redis's 'error' events
    // unhandled: stopping Redis under its clients would throw in this process. Redis goes
    // when the test process does.
    process.once('exit', () => void redis?.stop());
    pki.remove();
  });

  /** A cache as the sentinel plugin gets it, and the errors its store reported. */
  async function cache(pod: { password?: string; ca?: string } = {}) {
    files.write('secrets/redis-password', pod.password ?? password);
    files.write('tls/redis-ca.crt', pod.ca ?? ca.cert);
    const config = await loadProductionConfig(files, { REDIS_URL: redis.url }, [
      'backend.cache',
    ]);
    const errors: Error[] = [];
    const manager = CacheManager.fromConfig(config, {
      logger: mockServices.logger.mock(),
      onError: error => errors.push(error),
    });
    return { client: manager.forPlugin('sentinel'), errors };
  }

  async function waitFor(condition: () => boolean) {
    const deadline = Date.now() + 10_000;
    while (!condition() && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 50));
    }
  }

  it('keeps and returns entries', async () => {
    const { client, errors } = await cache();
    await client.set('greeting', { hello: 'world' });
    // A second client (another replica) reads what the first wrote.
    const { client: other } = await cache();
    await expect(other.get('greeting')).resolves.toEqual({ hello: 'world' });
    expect(errors).toEqual([]);
  });

  it('is refused with a wrong password, and says so', async () => {
    const { client, errors } = await cache({ password: 'not-the-password' });
    await client.set('greeting', 'hello').catch(() => {});
    await waitFor(() => errors.length > 0);
    expect(errors[0].message).toMatch(/WRONGPASS/);
  });

  it('refuses a server whose certificate another CA signed', async () => {
    const { client, errors } = await cache({ ca: otherCa.cert });
    await client.set('greeting', 'hello').catch(() => {});
    await waitFor(() => errors.length > 0);
    expect(errors[0].message).toMatch(/unable to verify the first certificate/);
  });
});
