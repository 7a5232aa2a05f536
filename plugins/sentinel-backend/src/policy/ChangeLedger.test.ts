import { mockServices } from '@backstage/backend-test-utils';
import type Redis from 'ioredis';
import { once } from 'node:events';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { createTestDatabases } from '../__testUtils__/databases';
import { connect, redisUrl } from '../__testUtils__/redis';
import { DatabaseGateStore } from '../plans/gate/DatabaseGateStore';
import { DatabasePlanStore } from '../plans/store/DatabasePlanStore';
import { applyDatabaseMigrations } from '../database/migrations';
import {
  DatabaseChangeLedger,
  RedisChangeLedger,
  ResilientChangeLedger,
} from './ChangeLedger';

jest.setTimeout(60_000);

const url = redisUrl();
const describeOnRedis = url ? describe : describe.skip;

/** A TCP proxy in front of Redis: closing it is Redis going away, for this client only. */
async function redisProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const open = async () => {
    server = net.createServer(client => {
      const upstream = net.connect(
        Number(target.port || 6379),
        target.hostname,
      );
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
  };
  await open();
  return {
    url: () => `redis://127.0.0.1:${port}`,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise(resolve => server!.close(resolve));
    },
    start: open,
  };
}

describeOnRedis('change ledger on the real Redis', () => {
  const clients: Redis[] = [];
  const client = async (u: string) => {
    const c = connect(u);
    clients.push(c);
    await once(c, 'ready');
    return c;
  };
  afterAll(async () => {
    for (const c of clients) c.disconnect();
  });

  it('shares changes between replicas, counting only those strictly inside the window', async () => {
    const key = `sentinel:test:${randomUUID()}`;
    const replicaA = new RedisChangeLedger(await client(url!), key);
    const replicaB = new RedisChangeLedger(await client(url!), key);

    await replicaA.record({
      id: 'p1:0',
      at: '2026-11-26T10:00:00.000Z',
      workload: 'demo/shop/Deployment/cart',
    });
    await replicaB.record({
      id: 'p2:0',
      at: '2026-11-26T10:30:00.000Z',
      workload: 'demo/shop/Deployment/checkout',
    });
    // Recording the same change twice (a resumed plan) counts it once.
    await replicaB.record({
      id: 'p2:0',
      at: '2026-11-26T10:30:00.000Z',
      workload: 'demo/shop/Deployment/checkout',
    });

    expect(await replicaB.since(new Date('2026-11-26T09:59:59.999Z'))).toEqual([
      { at: '2026-11-26T10:00:00.000Z', workload: 'demo/shop/Deployment/cart' },
      {
        at: '2026-11-26T10:30:00.000Z',
        workload: 'demo/shop/Deployment/checkout',
      },
    ]);
    expect(await replicaA.since(new Date('2026-11-26T10:00:00.000Z'))).toEqual([
      {
        at: '2026-11-26T10:30:00.000Z',
        workload: 'demo/shop/Deployment/checkout',
      },
    ]);
  });

  const databases = createTestDatabases();
  it.each(databases.eachSupportedId())(
    'falls back to the database while Redis is down, and catches Redis up when it returns, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const plans = new DatabasePlanStore(knex);
      const applied = new DatabaseGateStore(knex);
      const proxy = await redisProxy(new URL(url!));
      const key = `sentinel:test:${randomUUID()}`;
      const redis = await client(proxy.url());
      const ledger = new ResilientChangeLedger(
        new RedisChangeLedger(redis, key),
        new DatabaseChangeLedger(applied),
        applied,
        mockServices.logger.mock(),
        300,
      );

      // What the executor does for each applied decision: applied_at, then the ledger.
      const apply = async (name: string, at: string) => {
        const id = randomUUID();
        await plans.createPlan({
          id,
          source: 'test',
          mode: 'enforce',
          submittedBy: 'test',
          requestHash: id,
          at: new Date(at),
          decisions: [
            {
              verb: 'scale',
              target: {
                cluster: 'demo',
                namespace: 'shop',
                kind: 'Deployment',
                name,
              },
              params: { replicas: 2 },
              entityRef: null,
            },
          ],
        });
        await plans.updateDecision(id, 0, {
          status: 'succeeded',
          appliedAt: new Date(at),
        });
        await ledger.record({
          id: `${id}:0`,
          at,
          workload: `demo/shop/Deployment/${name}`,
        });
      };
      const since = new Date('2026-11-26T09:00:00Z');
      const names = async () =>
        (await ledger.since(since)).map(c => c.workload).sort();

      await apply('cart', '2026-11-26T10:00:00.000Z');
      expect(await names()).toEqual(['demo/shop/Deployment/cart']);

      await proxy.stop(); // Redis goes away mid-run
      await apply('checkout', '2026-11-26T10:05:00.000Z');
      // Counted from the database: nothing is skipped while Redis is down.
      expect(await names()).toEqual([
        'demo/shop/Deployment/cart',
        'demo/shop/Deployment/checkout',
      ]);

      await proxy.start(); // Redis is back: what it missed is copied in
      await once(redis, 'ready');
      await ledger.resync(new Date('2026-11-26T10:06:00Z'));
      const fromRedis = await new RedisChangeLedger(
        await client(url!),
        key,
      ).since(since);
      expect(fromRedis.map(c => c.workload).sort()).toEqual([
        'demo/shop/Deployment/cart',
        'demo/shop/Deployment/checkout',
      ]);
      await proxy.stop();
    },
  );
});
