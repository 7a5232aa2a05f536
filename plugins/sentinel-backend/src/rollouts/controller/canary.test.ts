import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { useRolloutHarness } from '../../__testUtils__/rolloutHarness';
import type { Identity } from '../../__testUtils__/targetCluster';
import { RolloutStore } from '../store/RolloutStore';
import type { Rollout } from '../types';

jest.setTimeout(180_000);

describe('RolloutController: canary steps, analysis and promotion (Kubernetes test server, real Prometheus)', () => {
  const h = useRolloutHarness();

  // Once as the administrator, once as Sentinel's ServiceAccount under the shipped role.
  it.each([
    ['the admin token', 'cart'],
    ['the sentinel ServiceAccount under the shipped role', 'basket'],
  ] as Array<[Identity, string]>)(
    'walks a good canary through every step, analyzed by Prometheus, and promotes it (as %s)',
    async (identity, name) => {
      const store = new RolloutStore(h.knex);
      const { execution, driver } = h.replicaAs(identity, store);
      const rollout = await h.startRollout(store, name, `shop/${name}:2.0.0`);
      const replicas = h.sampleStableReplicas(name);
      execution.start();
      try {
        const done = await h.waitForPhase(store, rollout.id, [
          'succeeded',
          'aborted',
          'failed',
        ]);
        expect(done.phase).toBe('succeeded');
      } finally {
        replicas.stop();
        await execution.stop();
      }
      expect(await h.imageOf(name)).toBe(`shop/${name}:2.0.0`);
      expect(await h.exists(`${name}-canary`)).toBe(false);
      expect(h.refusals()).toEqual([]);
      // Never scaled down: traffic moved by adding candidate replicas beside the stable ones.
      expect([...replicas.seen]).toEqual([2]);
      // One write to the stable workload: the promotion.
      expect(driver.applied).toBe(1);

      const timeline = (await store.timeline(rollout.id)).map(e => e.message);
      expect(timeline).toEqual(
        expect.arrayContaining([
          expect.stringContaining(
            `step 1 of 3 (25 %): ${name}-canary scaled to 1 replica(s) (~33 % of traffic)`,
          ),
          expect.stringContaining(
            `step 2 of 3 (50 %): ${name}-canary scaled to 2 replica(s) (~50 % of traffic)`,
          ),
          expect.stringContaining('step 3 of 3 (100 %)'),
          expect.stringContaining(
            `promoted: k8s/shop/Deployment/${name} runs shop/${name}:2.0.0`,
          ),
        ]),
      );
      const analyses = await store.analyses(rollout.id);
      // Every step passed two intervals in a row, each with real values from Prometheus.
      for (const step of [0, 1, 2]) {
        expect(
          analyses.filter(a => a.step === step && a.verdict === 'pass').length,
        ).toBeGreaterThanOrEqual(2);
      }
      const passed = analyses.find(a => a.verdict === 'pass')!;
      expect(passed.checks).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            name: 'error-rate',
            value: 0,
            threshold: 0.05,
            verdict: 'pass',
          }),
          expect.objectContaining({ name: 'latency-p99', verdict: 'pass' }),
        ]),
      );
    },
  );

  it('aborts a canary that answers 20 % of requests with errors, leaving the stable workload untouched', async () => {
    const store = new RolloutStore(h.knex);
    const { execution, driver } = h.replicaOf(store);
    const rollout = await h.startRollout(
      store,
      'orders',
      'shop/orders:2.0.0-errors',
    );
    execution.start();
    let done: Rollout;
    try {
      done = await h.waitForPhase(store, rollout.id, [
        'aborted',
        'succeeded',
        'failed',
      ]);
    } finally {
      await execution.stop();
    }
    expect(done.phase).toBe('aborted');
    expect(done.phaseReason).toMatch(/critical check error-rate failed/);
    expect(done.phaseReason).toMatch(/orders untouched/);
    expect(await h.imageOf('orders')).toBe('shop/orders:1.0.0');
    expect(await h.exists('orders-canary')).toBe(false);
    expect(driver.applied).toBe(0);
    const failed = (await store.analyses(rollout.id)).find(
      a => a.verdict === 'fail',
    )!;
    expect(failed.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'error-rate',
          verdict: 'fail',
          threshold: 0.05,
          value: expect.closeTo(0.2, 2),
        }),
      ]),
    );
  });

  it('aborts a canary whose pods never get ready', async () => {
    const store = new RolloutStore(h.knex);
    const { execution, driver } = h.replicaOf(store);
    const rollout = await h.startRollout(
      store,
      'search',
      'shop/search:2.0.0-broken',
    );
    execution.start();
    let done: Rollout;
    try {
      done = await h.waitForPhase(store, rollout.id, [
        'aborted',
        'succeeded',
        'failed',
      ]);
    } finally {
      await execution.stop();
    }
    expect(done.phase).toBe('aborted');
    expect(done.phaseReason).toMatch(/search-canary was not ready within 4 s/);
    expect(await h.imageOf('search')).toBe('shop/search:1.0.0');
    expect(await h.exists('search-canary')).toBe(false);
    expect(driver.applied).toBe(0);
  });

  it('pauses, saying why, while Prometheus does not answer, and goes on when it is back', async () => {
    const store = new RolloutStore(h.knex);
    const { execution } = h.replicaOf(store);
    const rollout = await h.startRollout(
      store,
      'catalog',
      'shop/catalog:2.0.0',
      {
        steps: [{ weight: 50 }, { weight: 100 }],
      },
    );
    execution.start();
    try {
      await h.waitForStage(store, rollout.id, 'analyze');
      h.prometheus.pause();
      let paused: Rollout;
      try {
        paused = await h.waitForPhase(store, rollout.id, ['paused']);
      } finally {
        h.prometheus.resume();
      }
      expect(paused.phaseReason).toMatch(
        /^paused: 4 interval\(s\) in a row were inconclusive: check error-rate is inconclusive: Prometheus at http:\/\/127\.0\.0\.1:\d+ did not answer/,
      );
      // Never promoted blind: nothing of the stable workload changed while paused.
      expect(await h.imageOf('catalog')).toBe('shop/catalog:1.0.0');
      const done = await h.waitForPhase(store, rollout.id, [
        'succeeded',
        'aborted',
        'failed',
      ]);
      expect(done.phase).toBe('succeeded');
      const phases = (await store.timeline(rollout.id)).map(e => e.phase);
      expect(phases.indexOf('paused')).toBeLessThan(
        phases.lastIndexOf('progressing'),
      );
    } finally {
      await execution.stop();
    }
    expect(await h.imageOf('catalog')).toBe('shop/catalog:2.0.0');
  });

  it('goes on to the next step when a person resumes it at a manual gate', async () => {
    const store = new RolloutStore(h.knex);
    const { execution } = h.replicaOf(store);
    const rollout = await h.startRollout(store, 'gated', 'shop/gated:2.0.0', {
      steps: [{ weight: 50, gate: true }, { weight: 100 }],
    });
    execution.start();
    let done: Rollout;
    try {
      const atGate = await h.waitForPhase(store, rollout.id, ['paused']);
      expect(atGate.stage).toBe('gate');
      expect(atGate.phaseReason).toMatch(/waiting at a manual gate/);
      await store.act(rollout.id, {
        to: 'progressing',
        from: ['paused'],
        actor: 'user:default/ops',
        message: 'resumed by user:default/ops',
        patch: current => ({
          stage: current.stage === 'gate' ? 'advance' : 'resume',
        }),
        at: new Date(),
      });
      execution.reconciler.wake([rollout.id]);
      done = await h.waitForPhase(store, rollout.id, [
        'succeeded',
        'aborted',
        'failed',
      ]);
    } finally {
      await execution.stop();
    }
    expect(done.phase).toBe('succeeded');
    expect(await h.imageOf('gated')).toBe('shop/gated:2.0.0');
  });

  it('promotes although an autoscaler scaled the stable workload during the rollout', async () => {
    const store = new RolloutStore(h.knex);
    const { execution } = h.replicaOf(store);
    const rollout = await h.startRollout(store, 'scaled', 'shop/scaled:2.0.0', {
      steps: [{ weight: 50 }, { weight: 100 }],
    });
    execution.start();
    let done: Rollout;
    try {
      await h.waitForStage(store, rollout.id, 'analyze');
      await h.apps.patchNamespacedDeploymentScale(
        { name: 'scaled', namespace: 'shop', body: { spec: { replicas: 3 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      done = await h.waitForPhase(store, rollout.id, [
        'succeeded',
        'aborted',
        'failed',
      ]);
    } finally {
      await execution.stop();
    }
    expect(done.phase).toBe('succeeded');
    const stable = await h.apps.readNamespacedDeployment({
      name: 'scaled',
      namespace: 'shop',
    });
    expect(stable.spec?.template?.spec?.containers?.[0]?.image).toBe(
      'shop/scaled:2.0.0',
    );
    expect(stable.spec?.replicas).toBe(3);
  });
});
