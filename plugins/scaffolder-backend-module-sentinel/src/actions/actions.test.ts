import { mockCredentials } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startDemoCluster,
  startSentinelForActions,
} from '../__testUtils__/sentinelForActions';
import { sentinelAs } from '../sentinelCaller';
import { createFilesExportAction } from './filesExport';
import { createFreezeCreateAction } from './freezeCreate';
import { createPlanSubmitAction } from './planSubmit';
import { createRolloutControlAction } from './rolloutControl';
import { createWorkloadAnnotateAction } from './workloadAnnotate';

jest.setTimeout(30_000);

const ann = mockCredentials.user('user:default/ann');

let demo: Awaited<ReturnType<typeof startDemoCluster>>;
beforeAll(async () => {
  demo = await startDemoCluster();
});
afterAll(async () => {
  await demo?.cluster.stop();
});

/** Sentinel on the demo cluster. */
async function start(
  options: Omit<
    Parameters<typeof startSentinelForActions>[0],
    'kubeconfig'
  > = {},
) {
  const sentinel = await startSentinelForActions({
    ...options,
    kubeconfig: demo.kubeconfig,
  });
  // Ready once the inventory has read both workloads from the cluster.
  if (options.allow !== false) {
    const client = await sentinelAs(sentinel.deps, ann);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { items } = await client
        .listWorkloads({ include: 'unmanaged' })
        .catch(() => ({ items: [] }));
      if (items.length === 2 || Date.now() > deadline) break;
      await new Promise(r => setTimeout(r, 50));
    }
  }
  return sentinel;
}

const replicasOf = (name: string) =>
  (demo.cluster.getDeployment('shop', name) as any).spec.replicas;

/** The scaffolder's mock context, run as `credentials`, collecting the outputs. */
function context<T extends Record<string, any>>(
  input: T,
  credentials = ann,
  workspacePath = mkdtempSync(join(tmpdir(), 'sentinel-ws-')),
) {
  const ctx = createMockActionContext({
    input,
    workspacePath,
    getInitiatorCredentials: async () => credentials,
  } as any) as any;
  // What the step output so far, by name (the mock records each call).
  const outputs = new Proxy({} as Record<string, any>, {
    get: (_, name) =>
      (ctx.output as jest.Mock).mock.calls
        .filter(([n]) => n === name)
        .at(-1)?.[1],
    ownKeys: () => [
      ...new Set((ctx.output as jest.Mock).mock.calls.map(([n]) => n)),
    ],
    getOwnPropertyDescriptor: (_, name) => ({
      enumerable: true,
      configurable: true,
      value: (ctx.output as jest.Mock).mock.calls
        .filter(([n]) => n === name)
        .at(-1)?.[1],
    }),
  });
  return { ctx, outputs, workspacePath };
}

const scaleCart = (replicas: number) => ({
  verb: 'scale' as const,
  target: { namespace: 'shop', name: 'cart' },
  params: { replicas },
  confidence: 0.9,
});

describe('sentinel:plan:submit', () => {
  it('submits a plan as the user, waits until it is applied, and links to the tab', async () => {
    const sentinel = await start();
    const action = createPlanSubmitAction(sentinel.deps);
    const target = replicasOf('cart') + 1;
    // The target as SentinelWorkloadPicker gives it.
    const { ctx, outputs } = context({
      decisions: [
        { ...scaleCart(target), target: 'demo/shop/Deployment/cart' },
      ],
      wait: true,
    });
    await action.handler(ctx);

    expect(outputs).toMatchObject({
      status: 'succeeded',
      link: '/catalog/default/component/cart/sentinel',
      verdicts: [{ index: 0, outcome: 'allow' }],
    });
    expect(outputs.planId).toEqual(expect.any(String));
    expect(replicasOf('cart')).toBe(target);

    // A retried step submits nothing new: the same plan answers.
    const again = context({
      decisions: [
        { ...scaleCart(target), target: 'demo/shop/Deployment/cart' },
      ],
    });
    again.ctx.task = ctx.task;
    again.ctx.step = ctx.step;
    await action.handler(again.ctx);
    expect(again.outputs.planId).toBe(outputs.planId);
  });

  it('only evaluates a dry run, storing nothing', async () => {
    const sentinel = await start();
    const before = replicasOf('cart');
    const action = createPlanSubmitAction(sentinel.deps);
    const { ctx, outputs } = context({
      decisions: [scaleCart(before + 1)],
      dryRun: true,
    });
    await action.handler(ctx);
    expect(outputs.status).toBe('allow');
    expect(outputs.planId).toBeUndefined();
    expect(replicasOf('cart')).toBe(before);
  });

  it("fails a viewer's run with Sentinel's refusal naming the missing permission", async () => {
    const sentinel = await start({ allow: false });
    const action = createPlanSubmitAction(sentinel.deps);
    const { ctx } = context(
      { decisions: [scaleCart(3)] },
      mockCredentials.user('user:default/vera'),
    );
    await expect(action.handler(ctx)).rejects.toThrow(
      'submitting the plan: Sentinel refused (403): sentinel.plan.create is not allowed',
    );
  });

  it('stops waiting at the timeout while the plan waits for a person, saying where to follow it', async () => {
    const sentinel = await start({
      sentinelConfig: {
        policy: {
          rules: [
            { id: 'ask', kind: 'require_approval', reason: 'a person decides' },
          ],
        },
      },
    });
    const action = createPlanSubmitAction(sentinel.deps);
    const { ctx, outputs } = context({
      decisions: [scaleCart(replicasOf('cart') + 1)],
      wait: true,
      timeoutSeconds: 1,
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      /is still pending_approval after 1 s; it goes on without this task: follow it at \/catalog\/default\/component\/cart\/sentinel/,
    );
    expect(outputs.verdicts).toEqual([
      {
        index: 0,
        outcome: 'require_approval',
        reasons: [
          { rule: 'ask', message: expect.stringContaining('a person decides') },
        ],
      },
    ]);
  });
});

describe('sentinel:freeze:create', () => {
  it('creates a one-off freeze, and the service is frozen', async () => {
    const sentinel = await start();
    const action = createFreezeCreateAction(sentinel.deps);
    const { ctx, outputs } = context({
      name: 'Release',
      reason: 'the shop release goes out',
      scope: { cluster: 'demo', namespace: 'shop', entityRef: '' },
      // From now, for an hour.
      durationMinutes: 60,
      allowRollback: true,
    });
    await action.handler(ctx);
    expect(outputs.windowId).toEqual(expect.any(String));

    const plan = createPlanSubmitAction(sentinel.deps);
    const frozen = context({
      decisions: [scaleCart(replicasOf('cart') + 1)],
      wait: true,
    });
    await expect(plan.handler(frozen.ctx)).rejects.toThrow(
      /ended rejected: .*Release/,
    );
  });

  it('refuses a window Sentinel cannot use, saying why', async () => {
    const sentinel = await start();
    const action = createFreezeCreateAction(sentinel.deps);
    const { ctx } = context({
      name: 'Weekends',
      reason: 'no one on call',
      scope: {},
      recurrence: {
        cron: '0 16 * * 5',
        durationMinutes: 60,
        timezone: 'Mars/Olympus',
      },
      allowRollback: true,
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      /creating freeze window "Weekends": Sentinel refused \(400\): .*Mars\/Olympus/,
    );
  });
});

describe('sentinel:workload:annotate', () => {
  it("writes the annotations into the service's catalog-info.yaml, fetched from the catalog, and shows the diff", async () => {
    const sentinel = await start();
    const action = createWorkloadAnnotateAction({
      ...sentinel.deps,
      catalog: sentinel.catalog,
    });
    const { ctx, outputs, workspacePath } = context({
      entityRef: 'component:default/checkout',
      workloads: ['demo/shop/Deployment/checkout'],
      strategy: 'canary',
      rollbackPolicy: 'manual',
      filePath: 'catalog-info.yaml',
      checkInventory: true,
    });
    await action.handler(ctx);
    const written = readFileSync(
      join(workspacePath, 'catalog-info.yaml'),
      'utf8',
    );
    expect(written).toContain('name: checkout');
    expect(written).toContain('description: The checkout service');
    expect(written).toContain(
      'sentinel.io/workloads: demo/shop/Deployment/checkout',
    );
    expect(written).toContain('sentinel.io/rollout-strategy: canary');
    expect(written).toContain('sentinel.io/rollback-policy: manual');
    expect(outputs.diff).toContain(
      '+    sentinel.io/workloads: demo/shop/Deployment/checkout',
    );
  });

  it('refuses a workload the cluster does not have, or one another service manages', async () => {
    const sentinel = await start();
    const action = createWorkloadAnnotateAction({
      ...sentinel.deps,
      catalog: sentinel.catalog,
    });
    const workspace = mkdtempSync(join(tmpdir(), 'sentinel-ws-'));
    const file =
      'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n';
    writeFileSync(join(workspace, 'catalog-info.yaml'), file);
    const { ctx } = context(
      {
        entityRef: 'component:default/checkout',
        workloads: ['demo/shop/Deployment/nope', 'demo/shop/Deployment/cart'],
        filePath: 'catalog-info.yaml',
        checkInventory: true,
      },
      ann,
      workspace,
    );
    await expect(action.handler(ctx)).rejects.toThrow(
      "demo/shop/Deployment/nope is not in Sentinel's inventory (no such workload in cluster demo, or the cluster is not configured); demo/shop/Deployment/cart is already managed by component:default/cart",
    );
    expect(readFileSync(join(workspace, 'catalog-info.yaml'), 'utf8')).toBe(
      file,
    );
  });
});

describe('sentinel:rollout:control', () => {
  it('aborts the canary a plan started, found by the plan', async () => {
    const sentinel = await start();
    const submit = createPlanSubmitAction(sentinel.deps);
    const release = context({
      decisions: [
        {
          verb: 'rollout',
          target: { namespace: 'shop', name: 'cart' },
          params: {
            containers: { app: { image: 'shop/cart:2.0.0' } },
            strategy: 'canary',
          },
        },
      ],
    });
    await submit.handler(release.ctx);
    const control = createRolloutControlAction(sentinel.deps);
    const { ctx, outputs } = context({
      planId: release.outputs.planId,
      action: 'abort',
      reason: 'called off',
    });
    // The rollout starts once the plan runs.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await control.handler(ctx);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise(r => setTimeout(r, 100));
      }
    }
    expect(['aborting', 'aborted']).toContain(outputs.phase);
  });
});

describe('sentinel:files:export', () => {
  it('copies workspace files under the output directory, and refuses paths outside it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sentinel-out-'));
    const action = createFilesExportAction({ outputDirectory: out });
    const { ctx, outputs, workspacePath } = context({
      files: ['catalog-info.yaml'],
      directory: 'checkout',
    });
    writeFileSync(
      join(workspacePath, 'catalog-info.yaml'),
      'kind: Component\n',
    );
    await action.handler(ctx);
    expect(outputs.directory).toBe(join(out, 'checkout'));
    expect(
      readFileSync(join(out, 'checkout', 'catalog-info.yaml'), 'utf8'),
    ).toBe('kind: Component\n');
    const escape = context({
      files: ['catalog-info.yaml'],
      directory: '../../etc',
    });
    await expect(action.handler(escape.ctx)).rejects.toThrow(/outside/);
    await expect(
      createFilesExportAction({}).handler(context({ files: ['x'] }).ctx),
    ).rejects.toThrow('sentinel.scaffolder.outputDirectory is not set');
  });
});
