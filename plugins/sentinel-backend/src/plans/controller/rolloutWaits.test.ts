import {
  KubernetesTestServer,
  READY_AFTER_ANNOTATION,
} from '@internal/kubernetes-test-server';
import type { PlanTarget } from '@internal/backstage-plugin-sentinel-common';
import { KubeConfig } from '@kubernetes/client-node';
import type { Knex } from 'knex';
import { createTestDatabases } from '../../__testUtils__/databases';
import {
  eventually,
  logger,
  ownership,
  replica,
  scale,
  submit,
} from '../../__testUtils__/execution';
import { applyDatabaseMigrations } from '../../database/migrations';
import { KubernetesClusterDriver } from '../../kubernetes/KubernetesClusterDriver';
import { WorkloadInventory } from '../../inventory/WorkloadInventory';

jest.setTimeout(120_000);

function target(name: string): PlanTarget {
  return { cluster: 'k8s', namespace: 'shop', kind: 'Deployment', name };
}

/** A Deployment whose pods get ready `readyAfterMs` after they are created. */
function deployment(
  name: string,
  readyAfterMs: number,
  image = 'shop/app:1.0.0',
) {
  return {
    metadata: { name, namespace: 'shop', labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: {
          labels: { app: name },
          annotations: { [READY_AFTER_ANNOTATION]: String(readyAfterMs) },
        },
        spec: { containers: [{ name: 'app', image }] },
      },
    },
    status: {
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      updatedReplicas: 1,
    },
  };
}

/** The real Kubernetes driver, counting the changes it writes. */
class CountingDriver extends KubernetesClusterDriver {
  applied = 0;
  override async apply(...args: Parameters<KubernetesClusterDriver['apply']>) {
    const result = await super.apply(...args);
    this.applied += 1;
    return result;
  }
}

describe('changes waiting on their rollout', () => {
  const databases = createTestDatabases();
  const server = new KubernetesTestServer({ controller: true });
  const kubeConfig = new KubeConfig();

  beforeAll(async () => {
    await server.start();
    kubeConfig.loadFromString(server.kubeconfig({ name: 'k8s' }));
  });
  afterAll(() => server.stop());

  /** The workload inventory over the test cluster: its watch events wake waiting plans. */
  async function startInventory() {
    const inventory = new WorkloadInventory(
      [{ name: 'k8s', kubeConfig }],
      ownership,
      logger,
    );
    await inventory.start();
    return inventory;
  }

  let knex: Knex;
  beforeEach(async () => {
    // PostgreSQL when available (CI), the embedded default's SQLite otherwise.
    const [id] = databases.eachSupportedId()[0];
    knex = await databases.init(id);
    await applyDatabaseMigrations(knex);
  });

  it('keeps hundreds of changes waiting at once with four steps in flight, woken by watch events', async () => {
    const names = Array.from({ length: 200 }, (_, i) => `many-${i}`);
    // Pods take long enough to get ready that the applies overlap on a loaded CI machine too.
    for (const name of names) server.addDeployment(deployment(name, 4_000));
    const inventory = await startInventory();
    const driver = new CountingDriver('k8s', kubeConfig);
    const one = await replica(knex, driver, {
      inventory,
      // The fallback look is a minute away: only watch events can end these waits in time.
      settings: { concurrency: 4, batchSize: 2, rolloutRecheckMs: 60_000 },
    });
    const ids: string[] = [];
    for (const name of names)
      ids.push(await submit(one.store, [scale(target(name), 2)]));
    let mostWaiting = 0;
    one.execution.start();
    try {
      await eventually(
        async () => {
          const rows: { status: string; n: string | number }[] = await knex(
            'plan_decisions',
          )
            .select('status')
            .count({ n: '*' })
            .groupBy('status');
          const count = (status: string) =>
            Number(rows.find(r => r.status === status)?.n ?? 0);
          mostWaiting = Math.max(mostWaiting, count('rolling_out'));
          return count('succeeded') === names.length;
        },
        'every change rolled out',
        50_000,
      );
    } finally {
      await one.execution.stop();
      await inventory.stop();
    }
    // Four steps at a time, yet most of the 200 changes were rolling out side by side.
    expect(mostWaiting).toBeGreaterThanOrEqual(100);
    expect(driver.applied).toBe(names.length);
    const plans = await knex('plans').whereIn('id', ids).select('status');
    expect(new Set(plans.map(p => p.status))).toEqual(new Set(['succeeded']));
  });

  it('starts a change held behind another change to the same workload as soon as that one has rolled out', async () => {
    server.addDeployment(deployment('queued', 1_000));
    const inventory = await startInventory();
    const driver = new CountingDriver('k8s', kubeConfig);
    const one = await replica(knex, driver, {
      inventory,
      // Neither a poll nor a fallback look comes within the test: only the end of the first
      // change can start the second.
      settings: { rolloutRecheckMs: 60_000, pollIntervalMs: 60_000 },
    });
    const first = await submit(one.store, [scale(target('queued'), 2)]);
    const second = await submit(one.store, [scale(target('queued'), 3)]);
    one.execution.start();
    try {
      const plans = await eventually(async () => {
        const both = await Promise.all(
          [first, second].map(id => one.store.getPlan(id)),
        );
        return both.every(p => p!.status === 'succeeded') && both;
      }, 'both changes rolled out');
      expect(driver.applied).toBe(2);
      // Whichever was taken first, the other was held behind it, saying so.
      const heldBehind = (held: string, other: string) =>
        plans
          .find(p => p!.id === held)!
          .timeline.some(e =>
            e.message.startsWith(
              `Held: plan ${other} is still changing this workload`,
            ),
          );
      const [before, after] = heldBehind(second, first)
        ? [first, second]
        : [second, first];
      expect(heldBehind(after, before)).toBe(true);
      const ended = (id: string) =>
        Date.parse(
          plans
            .find(p => p!.id === id)!
            .timeline.find(e => e.status === 'succeeded')!.at,
        );
      // The held change rolled out right after the other (its pods take a second), not a
      // minute on.
      expect(ended(after) - ended(before)).toBeLessThan(10_000);
    } finally {
      await one.execution.stop();
      await inventory.stop();
    }
  });

  it('lets another replica finish a change whose replica died while it rolled out, without applying it again', async () => {
    server.addDeployment(deployment('orphaned', 1_500));
    const driver = new CountingDriver('k8s', kubeConfig);
    const fast = { pollIntervalMs: 100, rolloutRecheckMs: 200 };
    const doomed = await replica(knex, driver, { settings: fast });
    const id = await submit(doomed.store, [scale(target('orphaned'), 3)]);
    doomed.execution.start();
    await eventually(
      async () =>
        (await doomed.store.getStoredDecisions(id))[0].status === 'rolling_out',
      'the change is rolling out',
    );
    await doomed.execution.stop(); // the replica is gone; nothing of it runs any more

    const survivor = await replica(knex, driver, { settings: fast });
    const claim = survivor.store.queue.claimDue.bind(survivor.store.queue);
    let claimed = 0;
    survivor.store.queue.claimDue = async o => {
      const ids = await claim(o);
      claimed += ids.length;
      return ids;
    };
    survivor.execution.start();
    try {
      const plan = await eventually(async () => {
        const p = await survivor.store.getPlan(id);
        return p?.status === 'succeeded' && p;
      }, 'the survivor finished the plan');
      expect(plan.decisions[0].status).toBe('succeeded');
    } finally {
      await survivor.execution.stop();
    }
    expect(claimed).toBeGreaterThan(0);
    expect(driver.applied).toBe(1);
    expect(
      (server.getDeployment('shop', 'orphaned') as any).spec.replicas,
    ).toBe(3);
  });

  it('rolls back at once when a person cancels a change that is still rolling out', async () => {
    server.addDeployment(deployment('stuck', 100));
    const driver = new CountingDriver('k8s', kubeConfig);
    const one = await replica(knex, driver, {
      settings: { pollIntervalMs: 100, rolloutRecheckMs: 60_000 },
    });
    const id = await submit(one.store, [
      {
        verb: 'rollout',
        target: target('stuck'),
        params: { containers: { app: { image: 'shop/app:2.0.0-broken' } } },
        entityRef: 'component:default/stuck',
      },
    ]);
    one.execution.start();
    try {
      await eventually(
        async () =>
          (await one.store.getStoredDecisions(id))[0].status === 'rolling_out',
        'the broken rollout is under way',
      );
      await one.plans.cancel(id, 'user:default/alice');
      const plan = await eventually(
        async () => {
          const p = await one.store.getPlan(id);
          return p?.status === 'cancelled' && p;
        },
        'the cancel took effect',
        10_000,
      );
      expect(plan.statusReason).toBe(
        'cancelled while executing; restored 1 applied decision(s)',
      );
      expect(plan.decisions[0].status).toBe('rolled_back');
    } finally {
      await one.execution.stop();
    }
    expect(
      (server.getDeployment('shop', 'stuck') as any).spec.template.spec
        .containers[0].image,
    ).toBe('shop/app:1.0.0');
  });

  it('rolls a change back by itself when it outlasts its rollout deadline', async () => {
    server.addDeployment(deployment('sluggish', 60_000));
    const driver = new CountingDriver('k8s', kubeConfig);
    const one = await replica(knex, driver, {
      settings: {
        pollIntervalMs: 100,
        rolloutRecheckMs: 200,
        rolloutTimeoutMs: 1_000,
      },
    });
    const id = await submit(one.store, [scale(target('sluggish'), 2)]);
    one.execution.start();
    try {
      const plan = await eventually(async () => {
        const p = await one.store.getPlan(id);
        return p?.status === 'rolled_back' && p;
      }, 'the change was rolled back');
      expect(plan.statusReason).toMatch(
        /^decision 0 \(scale k8s\/shop\/Deployment\/sluggish\) failed: k8s\/shop\/Deployment\/sluggish did not become healthy by its rollout deadline .*; restored 1 applied decision\(s\)$/,
      );
    } finally {
      await one.execution.stop();
    }
    expect(
      (server.getDeployment('shop', 'sluggish') as any).spec.replicas,
    ).toBe(1);
  });
});
