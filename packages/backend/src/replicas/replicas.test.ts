import { KubernetesTestServer } from '@internal/kubernetes-test-server';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import { parse } from 'yaml';
import {
  eventually,
  freePort,
  repoRoot,
  startBackendProcess,
  type BackendProcess,
} from './__testUtils__/backendProcess';
import {
  connectSignals,
  type Signal,
  type SignalsClient,
} from './__testUtils__/signalsClient';

// Two replicas of the Sentinel backend: two processes of packages/backend, each on its own port,
// on one PostgreSQL (as staging and production run them), with the `events` settings of
// app-config.production.yaml. A person's browser is connected to replica B; the optimizer and
// the approver talk to replica A.
//
// SENTINEL_REPLICAS_EVENT_BUS=never (or auto) runs the same test with events.useEventBus
// set so. With `never` it fails where B should hear of the plan A took in: how we know this
// test can fail. (With `auto`, Backstage's default, a plugin that subscribes before the events
// backend is mounted gets a 404 and stays on its own process for good; docs/adr/012.)
const productionEvents = parse(
  readFileSync(join(repoRoot, 'app-config.production.yaml'), 'utf8'),
).events;
const events = process.env.SENTINEL_REPLICAS_EVENT_BUS
  ? {
      ...productionEvents,
      useEventBus: process.env.SENTINEL_REPLICAS_EVENT_BUS,
    }
  : productionEvents;
const postgres =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';
const prefix = `sentinel_replicas_${process.pid}_`;

jest.setTimeout(600_000);

const optimizer = { Authorization: 'Bearer dev-optimizer-token' };

/** The cluster both replicas act on: the Kubernetes API test server with two workloads. */
function demoCluster() {
  const server = new KubernetesTestServer({
    controller: true,
    podReadyDelayMs: 200,
  });
  const deployment = (name: string) => {
    const labels = { app: name };
    return {
      metadata: { name, namespace: 'shop', labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'app', image: `shop/${name}:1.0.0` }] },
        },
      },
      status: {
        replicas: 2,
        readyReplicas: 2,
        availableReplicas: 2,
        updatedReplicas: 2,
      },
    };
  };
  server.addDeployment(deployment('cart'));
  server.addDeployment(deployment('checkout'));
  return server;
}

/** Runs `work` with a connection to `database` (the server's default database if none). */
async function withDatabase<T>(
  database: string | undefined,
  work: (knex: ReturnType<typeof knexFactory>) => Promise<T>,
): Promise<T> {
  const url = new URL(postgres);
  if (database) url.pathname = `/${database}`;
  const knex = knexFactory({ client: 'pg', connection: url.toString() });
  try {
    return await work(knex);
  } finally {
    await knex.destroy();
  }
}

/** Drops the replicas' databases, one per plugin (`<prefix><pluginId>`). */
const dropDatabases = () =>
  withDatabase(undefined, async knex => {
    const { rows } = await knex.raw(
      'select datname from pg_database where datname like ?',
      [`${prefix.replace(/_/g, '\\_')}%`],
    );
    for (const { datname } of rows) {
      await knex.raw('drop database ?? with (force)', [datname]);
    }
  });

const scale = (name: string, replicas: number) => ({
  source: 'InfraMind',
  decisions: [
    {
      verb: 'scale',
      target: { cluster: 'demo', namespace: 'shop', name },
      params: { replicas },
      confidence: 0.9,
    },
  ],
});

async function submitPlan(
  replica: BackendProcess,
  body: object,
): Promise<string> {
  const res = await fetch(`${replica.baseUrl}/api/sentinel/v1/action-plans`, {
    method: 'POST',
    headers: { ...optimizer, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) {
    throw new Error(
      `${replica.name} refused the plan: ${res.status} ${await res.text()}`,
    );
  }
  return (await res.json()).id;
}

const planSignal =
  (id: string, status?: string) =>
  ({ channel, message }: Signal) =>
    channel === 'sentinel:changes' &&
    message.kind === 'plan' &&
    message.id === id &&
    (status === undefined || message.status === status);

describe('two replicas of the backend on one database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-replicas-'));
  const cluster = demoCluster();
  let a: BackendProcess;
  let b: BackendProcess;
  let guestToken: string;
  let browserOnB: SignalsClient | undefined;
  // The backends' logs stay in `dir` when the test fails.
  let passed = false;

  beforeAll(async () => {
    await dropDatabases();
    await cluster.start();
    const kubeconfig = join(dir, 'demo.kubeconfig');
    writeFileSync(kubeconfig, cluster.kubeconfig({ name: 'demo' }));
    const [portA, portB] = [await freePort(), await freePort()];
    const overlay = (port: number) => ({
      backend: {
        baseUrl: `http://localhost:${port}`,
        listen: { port },
        database: { client: 'pg', connection: postgres, prefix },
      },
      events,
      sentinel: {
        simulatedCluster: { enabled: false },
        clusters: [{ name: 'demo', kubeconfig: { path: kubeconfig } }],
        // Every plan waits for a person, and no freeze window holds it.
        policy: {
          rules: [
            {
              id: 'approve-everything',
              kind: 'require_approval',
              reason: 'a person approves every change in this test',
            },
          ],
        },
        freezeWindows: [],
      },
    });
    // One after the other: the first creates the databases and runs the migrations.
    a = await startBackendProcess({
      name: 'a',
      port: portA,
      overlay: overlay(portA),
      dir,
    });
    b = await startBackendProcess({
      name: 'b',
      port: portB,
      overlay: overlay(portB),
      dir,
    });

    // The guest (user:development/guest, in team-shop, which owns cart) signs in on B.
    guestToken = await eventually(async () => {
      const res = await fetch(`${b.baseUrl}/api/auth/guest/refresh`, {
        headers: { 'X-Requested-With': 'XMLHttpRequest' },
      });
      return res.ok && (await res.json()).backstageIdentity.token;
    }, 'the guest can sign in on B');
    // Both replicas know cart and who owns it (the catalog ingests examples/ at start).
    await eventually(async () => {
      const res = await fetch(
        `${a.baseUrl}/api/catalog/entities/by-name/user/development/guest`,
        { headers: { Authorization: `Bearer ${guestToken}` } },
      );
      return res.ok;
    }, 'the catalog holds the guest and the groups they belong to');
    if (events?.useEventBus === 'always') {
      // Each replica's signals backend reads the bus under a subscription of its own; an event
      // published before a subscription exists is not kept for it.
      await eventually(
        async () =>
          (
            await withDatabase(`${prefix}events`, knex =>
              knex('event_bus_subscriptions')
                .select('id')
                .whereLike('id', 'signals.%'),
            )
          ).length >= 2,
        'both replicas subscribed to the events bus',
      );
    }
  });

  afterAll(async () => {
    browserOnB?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await cluster.stop();
    await dropDatabases();
    if (passed) rmSync(dir, { recursive: true, force: true });
    // eslint-disable-next-line no-console
    else console.log(`The backends' logs: ${dir}`);
  });

  it('announces a plan taken in and approved on replica A to a browser connected to replica B', async () => {
    browserOnB = await connectSignals(b.baseUrl, guestToken, [
      'sentinel:changes',
      'notifications',
    ]);
    // The browser's subscriptions on B are live: a change made on B itself reaches it.
    const onB = await submitPlan(b, scale('checkout', 3));
    await browserOnB.next(planSignal(onB), `for plan ${onB} (taken in on B)`);

    // The optimizer submits to A; the plan waits for approval.
    const id = await submitPlan(a, scale('cart', 4));
    await browserOnB.next(
      planSignal(id, 'pending_approval'),
      `for plan ${id} (taken in on A) waiting for approval`,
    );
    // A asked cart's owners (team-shop, the guest among them) to approve: the notification's
    // signal reaches the guest on B too. (The plan taken in on B asked them as well.)
    const notificationsSignalled = () =>
      browserOnB!.received.filter(
        s =>
          s.channel === 'notifications' &&
          s.message.action === 'new_notification',
      );
    const asked = await eventually(
      async () => {
        for (const signal of notificationsSignalled()) {
          const res = await fetch(
            `${b.baseUrl}/api/notifications/notifications/${signal.message.notification_id}`,
            { headers: { Authorization: `Bearer ${guestToken}` } },
          );
          const notification = res.ok && (await res.json());
          if (notification?.payload.scope === `sentinel-approval:${id}`) {
            return notification;
          }
        }
        return undefined;
      },
      `the request to approve plan ${id} was signalled to the guest on B`,
      60_000,
    );
    expect(asked.payload.topic).toBe('sentinel-approval');

    // The guest approves on A; B's browser hears of it, and B serves the approval.
    const approved = await fetch(
      `${a.baseUrl}/api/sentinel/v1/action-plans/${id}/approve`,
      {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${guestToken}`,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({ comment: 'looks right' }),
      },
    );
    expect(approved.status).toBe(200);
    const approvedAt = Date.now();
    await browserOnB.next(
      planSignal(id, 'approved'),
      `for plan ${id} approved on A`,
    );
    // Promptly: PostgreSQL's NOTIFY wakes B's reader at once. Without it B would read the event
    // only when its long poll ends (55 s).
    expect(Date.now() - approvedAt).toBeLessThan(10_000);
    const onBNow = await fetch(
      `${b.baseUrl}/api/sentinel/v1/action-plans/${id}`,
      {
        headers: optimizer,
      },
    );
    expect(await onBNow.json()).toMatchObject({
      approvals: [expect.objectContaining({ by: 'user:development/guest' })],
    });
    passed = true;
  });
});
