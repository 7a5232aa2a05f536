import { mockServices } from '@backstage/backend-test-utils';
import {
  KubernetesTestServer,
  READY_AFTER_ANNOTATION,
  startPrometheus,
  type PrometheusProcess,
} from '@internal/kubernetes-test-server';
import type { PlanTarget } from '@internal/backstage-plugin-sentinel-common';
import type { TrafficRouter } from '@internal/backstage-plugin-sentinel-node';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { createTestDatabases } from '../../__testUtils__/databases';
import { eventually } from '../../__testUtils__/execution';
import { applyDatabaseMigrations } from '../../database/migrations';
import { KubernetesClusterDriver } from '../../kubernetes/KubernetesClusterDriver';
import { ReconcilerKilledError } from '../../work/Reconciler';
import { GatewayApiRouter } from '../traffic/GatewayApiRouter';
import { NginxIngressRouter } from '../traffic/NginxIngressRouter';
import { DEFAULT_ROLLOUTS, type RolloutSettings } from '../rolloutConfig';
import { createRolloutExecution } from '../rolloutExecution';
import type { RolloutPhase } from '../rolloutPhases';
import { RolloutStore } from '../store/RolloutStore';
import type { Rollout, RolloutStep } from '../types';

jest.setTimeout(180_000);

const logger = mockServices.logger.mock();

const target = (name: string): PlanTarget => ({
  cluster: 'k8s',
  namespace: 'shop',
  kind: 'Deployment',
  name,
});

/** Short intervals and windows, so that a rollout of three steps takes seconds. */
const settings = (prometheusUrl: string): RolloutSettings => ({
  ...DEFAULT_ROLLOUTS,
  prometheusUrl,
  prometheusTimeoutMs: 500,
  recheckMs: 200,
  analysis: {
    ...DEFAULT_ROLLOUTS.analysis,
    checks: DEFAULT_ROLLOUTS.analysis.checks.map(check => ({
      ...check,
      query: check.query.replace(/\[30s\]/g, '[4s]'),
    })),
    intervalSeconds: 1.5,
    passAfter: 2,
    inconclusiveAfter: 4,
    readySeconds: 4,
    inconclusiveSeconds: 60,
  },
});

/** The real Kubernetes driver, counting the changes it writes to stable workloads. */
class CountingDriver extends KubernetesClusterDriver {
  applied = 0;
  override async apply(...args: Parameters<KubernetesClusterDriver['apply']>) {
    const result = await super.apply(...args);
    this.applied += 1;
    return result;
  }
}

const STEPS: RolloutStep[] = [{ weight: 25 }, { weight: 50 }, { weight: 100 }];

describe('RolloutController (canary) on the Kubernetes test server, scored by real Prometheus', () => {
  const databases = createTestDatabases();
  const server = new KubernetesTestServer({
    controller: true,
    podReadyDelayMs: 200,
  });
  const kubeConfig = new KubeConfig();
  let prometheus: PrometheusProcess;
  let apps: AppsV1Api;
  let core: CoreV1Api;
  let knex: Knex;

  beforeAll(async () => {
    await server.start();
    kubeConfig.loadFromString(server.kubeconfig({ name: 'k8s' }));
    apps = kubeConfig.makeApiClient(AppsV1Api);
    core = kubeConfig.makeApiClient(CoreV1Api);
    prometheus = await startPrometheus({ targets: [server.url] });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await server.stop();
  });

  beforeEach(async () => {
    // PostgreSQL when available (CI), the embedded default's SQLite otherwise.
    const [id] = databases.eachSupportedId()[0];
    knex = await databases.init(id);
    await applyDatabaseMigrations(knex);
  });

  /** A stable Deployment with `replicas` pods of `image`, ready. */
  async function stableWorkload(name: string, readyAfterMs?: number) {
    server.addDeployment({
      metadata: { name, namespace: 'shop', labels: { app: name } },
      spec: {
        replicas: 2,
        progressDeadlineSeconds: 600,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: {
            labels: { app: name },
            ...(readyAfterMs !== undefined && {
              annotations: { [READY_AFTER_ANNOTATION]: String(readyAfterMs) },
            }),
          },
          spec: { containers: [{ name: 'app', image: `shop/${name}:1.0.0` }] },
        },
      },
    });
    const driver = new KubernetesClusterDriver('k8s', kubeConfig);
    await eventually(
      async () =>
        (await driver.rolloutStatus(target(name))).state === 'complete',
      `${name} rolled out`,
      30_000,
    );
    return (await driver.getWorkload(target(name)))!;
  }

  function replicaOf(
    store: RolloutStore,
    driver = new CountingDriver('k8s', kubeConfig),
    owner = randomUUID().slice(0, 8),
  ) {
    const execution = createRolloutExecution({
      trafficRouters: new Map<string, TrafficRouter>([
        ['k8s/nginx', new NginxIngressRouter('k8s', kubeConfig)],
        ['k8s/gateway-api', new GatewayApiRouter('k8s', kubeConfig)],
      ]),
      store,
      clusterDrivers: new Map([['k8s', driver]]),
      settings: settings(prometheus.url),
      logger,
      owner: `replica-${owner}`,
      leaseMs: 2_000,
      pollIntervalMs: 100,
    });
    return { driver, execution };
  }

  async function startRollout(
    store: RolloutStore,
    name: string,
    image: string,
    options: {
      steps?: RolloutStep[];
      rollbackPolicy?: Rollout['rollbackPolicy'];
      readyAfterMs?: number;
      blueGreen?: { rollbackWindowSeconds: number };
      router?: string;
    } = {},
  ): Promise<Rollout> {
    const stable = await stableWorkload(name, options.readyAfterMs);
    const blueGreen = options.blueGreen;
    return store.create(
      {
        id: randomUUID(),
        planId: randomUUID(),
        decisionIndex: 0,
        target: target(name),
        entityRef: `component:default/${name}`,
        strategy: blueGreen ? 'bluegreen' : 'canary',
        rollbackPolicy: options.rollbackPolicy ?? 'auto',
        stable,
        candidate: {
          workload: `${name}-${blueGreen ? 'green' : 'canary'}`,
          containers: { app: { image } },
          replicas: 0,
          ...blueGreen,
          ...(options.router && { router: options.router }),
        },
        steps: options.steps ?? (blueGreen ? [{ weight: 100 }] : STEPS),
        analysis: settings(prometheus.url).analysis,
      },
      new Date(),
    );
  }

  async function waitForPhase(
    store: RolloutStore,
    id: string,
    phases: RolloutPhase[],
    timeoutMs = 90_000,
  ): Promise<Rollout> {
    let rollout = (await store.get(id))!;
    try {
      await eventually(
        async () => {
          rollout = (await store.get(id))!;
          return phases.includes(rollout.phase);
        },
        `phase ${phases.join(' or ')}`,
        timeoutMs,
      );
    } catch {
      const errors = [...logger.error.mock.calls, ...logger.warn.mock.calls]
        .map(call => call.map(String).join(' '))
        .slice(-5);
      throw new Error(
        `rollout ${rollout.phase}/${rollout.stage} (${
          rollout.phaseReason
        }), not ${phases.join(' or ')}; last errors: ${errors.join('; ')}`,
      );
    }
    return rollout;
  }

  /** Waits until the rollout is at `stage`, saying where it is instead when it is not. */
  async function waitForStage(store: RolloutStore, id: string, stage: string) {
    let rollout = (await store.get(id))!;
    try {
      await eventually(
        async () => {
          rollout = (await store.get(id))!;
          return rollout.stage === stage;
        },
        `stage ${stage}`,
        30_000,
      );
    } catch {
      const errors = [...logger.error.mock.calls, ...logger.warn.mock.calls]
        .map(call => call.map(String).join(' '))
        .slice(-3);
      throw new Error(
        `rollout ${rollout.phase}/${rollout.stage} (${
          rollout.phaseReason
        }), not at ${stage}; last errors: ${errors.join('; ')}`,
      );
    }
    return rollout;
  }

  async function imageOf(name: string) {
    const d = await apps.readNamespacedDeployment({ name, namespace: 'shop' });
    return d.spec?.template?.spec?.containers?.[0]?.image;
  }

  async function exists(name: string) {
    try {
      await apps.readNamespacedDeployment({ name, namespace: 'shop' });
      return true;
    } catch {
      return false;
    }
  }

  /** The stable workload's replica count, sampled while the rollout runs. */
  function sampleStableReplicas(name: string) {
    const seen = new Set<number>();
    const timer = setInterval(() => {
      apps
        .readNamespacedDeployment({ name, namespace: 'shop' })
        .then(d => seen.add(d.spec?.replicas ?? -1))
        .catch(() => seen.add(-1));
    }, 100);
    return { seen, stop: () => clearInterval(timer) };
  }

  it('walks a good canary through every step, analyzed by Prometheus, and promotes it', async () => {
    const store = new RolloutStore(knex);
    const { execution, driver } = replicaOf(store);
    const rollout = await startRollout(store, 'cart', 'shop/cart:2.0.0');
    const replicas = sampleStableReplicas('cart');
    execution.start();
    try {
      const done = await waitForPhase(store, rollout.id, [
        'succeeded',
        'aborted',
        'failed',
      ]);
      expect(done.phase).toBe('succeeded');
    } finally {
      replicas.stop();
      await execution.stop();
    }
    expect(await imageOf('cart')).toBe('shop/cart:2.0.0');
    expect(await exists('cart-canary')).toBe(false);
    // Never scaled down: traffic moved by adding candidate replicas beside the stable ones.
    expect([...replicas.seen]).toEqual([2]);
    // One write to the stable workload: the promotion.
    expect(driver.applied).toBe(1);

    const timeline = (await store.timeline(rollout.id)).map(e => e.message);
    expect(timeline).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          'step 1 of 3 (25 %): cart-canary scaled to 1 replica(s) (~33 % of traffic)',
        ),
        expect.stringContaining(
          'step 2 of 3 (50 %): cart-canary scaled to 2 replica(s) (~50 % of traffic)',
        ),
        expect.stringContaining('step 3 of 3 (100 %)'),
        expect.stringContaining(
          'promoted: k8s/shop/Deployment/cart runs shop/cart:2.0.0',
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
  });

  it('aborts a canary that answers 20 % of requests with errors, leaving the stable workload untouched', async () => {
    const store = new RolloutStore(knex);
    const { execution, driver } = replicaOf(store);
    const rollout = await startRollout(
      store,
      'orders',
      'shop/orders:2.0.0-errors',
    );
    execution.start();
    let done: Rollout;
    try {
      done = await waitForPhase(store, rollout.id, [
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
    expect(await imageOf('orders')).toBe('shop/orders:1.0.0');
    expect(await exists('orders-canary')).toBe(false);
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
    const store = new RolloutStore(knex);
    const { execution, driver } = replicaOf(store);
    const rollout = await startRollout(
      store,
      'search',
      'shop/search:2.0.0-broken',
    );
    execution.start();
    let done: Rollout;
    try {
      done = await waitForPhase(store, rollout.id, [
        'aborted',
        'succeeded',
        'failed',
      ]);
    } finally {
      await execution.stop();
    }
    expect(done.phase).toBe('aborted');
    expect(done.phaseReason).toMatch(/search-canary was not ready within 4 s/);
    expect(await imageOf('search')).toBe('shop/search:1.0.0');
    expect(await exists('search-canary')).toBe(false);
    expect(driver.applied).toBe(0);
  });

  it('pauses, saying why, while Prometheus does not answer, and goes on when it is back', async () => {
    const store = new RolloutStore(knex);
    const { execution } = replicaOf(store);
    const rollout = await startRollout(store, 'catalog', 'shop/catalog:2.0.0', {
      steps: [{ weight: 50 }, { weight: 100 }],
    });
    execution.start();
    try {
      await waitForStage(store, rollout.id, 'analyze');
      prometheus.pause();
      let paused: Rollout;
      try {
        paused = await waitForPhase(store, rollout.id, ['paused']);
      } finally {
        prometheus.resume();
      }
      expect(paused.phaseReason).toMatch(
        /^paused: 4 interval\(s\) in a row were inconclusive: check error-rate is inconclusive: Prometheus at http:\/\/127\.0\.0\.1:\d+ did not answer/,
      );
      // Never promoted blind: nothing of the stable workload changed while paused.
      expect(await imageOf('catalog')).toBe('shop/catalog:1.0.0');
      const done = await waitForPhase(store, rollout.id, [
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
    expect(await imageOf('catalog')).toBe('shop/catalog:2.0.0');
  });

  it('goes on to the next step when a person resumes it at a manual gate', async () => {
    const store = new RolloutStore(knex);
    const { execution } = replicaOf(store);
    const rollout = await startRollout(store, 'gated', 'shop/gated:2.0.0', {
      steps: [{ weight: 50, gate: true }, { weight: 100 }],
    });
    execution.start();
    let done: Rollout;
    try {
      const atGate = await waitForPhase(store, rollout.id, ['paused']);
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
      done = await waitForPhase(store, rollout.id, [
        'succeeded',
        'aborted',
        'failed',
      ]);
    } finally {
      await execution.stop();
    }
    expect(done.phase).toBe('succeeded');
    expect(await imageOf('gated')).toBe('shop/gated:2.0.0');
  });

  it('promotes although an autoscaler scaled the stable workload during the rollout', async () => {
    const store = new RolloutStore(knex);
    const { execution } = replicaOf(store);
    const rollout = await startRollout(store, 'scaled', 'shop/scaled:2.0.0', {
      steps: [{ weight: 50 }, { weight: 100 }],
    });
    execution.start();
    let done: Rollout;
    try {
      await waitForStage(store, rollout.id, 'analyze');
      await apps.patchNamespacedDeploymentScale(
        { name: 'scaled', namespace: 'shop', body: { spec: { replicas: 3 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      done = await waitForPhase(store, rollout.id, [
        'succeeded',
        'aborted',
        'failed',
      ]);
    } finally {
      await execution.stop();
    }
    expect(done.phase).toBe('succeeded');
    const stable = await apps.readNamespacedDeployment({
      name: 'scaled',
      namespace: 'shop',
    });
    expect(stable.spec?.template?.spec?.containers?.[0]?.image).toBe(
      'shop/scaled:2.0.0',
    );
    expect(stable.spec?.replicas).toBe(3);
  });

  describe('abort', () => {
    const abortNow = (store: RolloutStore, id: string) =>
      store.act(id, {
        to: 'aborting',
        from: ['pending', 'progressing', 'paused', 'promoting'],
        actor: 'user:default/ops',
        message: 'aborting: aborted by user:default/ops',
        patch: { stage: 'undo', attempts: 0, phaseDeadlineAt: null },
        at: new Date(),
      });

    /** Runs a rollout until `reached`, aborts it, and checks that it ends aborted and clean. */
    async function abortWhen(
      name: string,
      reached: (r: Rollout) => boolean,
      options: {
        steps?: RolloutStep[];
        readyAfterMs?: number;
        before?: (store: RolloutStore, r: Rollout) => Promise<void>;
      } = {},
    ) {
      const store = new RolloutStore(knex);
      const { execution } = replicaOf(store);
      const rollout = await startRollout(
        store,
        name,
        `shop/${name}:2.0.0`,
        options,
      );
      await options.before?.(store, rollout);
      execution.start();
      let done: Rollout;
      try {
        await eventually(
          async () => reached((await store.get(rollout.id))!),
          'the moment to abort',
          30_000,
        );
        if ((await store.get(rollout.id))!.phase !== 'aborting') {
          await abortNow(store, rollout.id);
        }
        done = await waitForPhase(store, rollout.id, [
          'aborted',
          'failed',
          'succeeded',
        ]);
      } finally {
        await execution.stop();
      }
      expect(done.phase).toBe('aborted');
      expect(await imageOf(name)).toBe(`shop/${name}:1.0.0`);
      expect(await exists(`${name}-canary`)).toBe(false);
      return store.timeline(rollout.id);
    }

    it('works before the canary exists (pending)', async () => {
      const timeline = await abortWhen(
        'a-pending',
        r => r.phase === 'aborting',
        {
          before: async (store, r) => {
            await abortNow(store, r.id);
          },
        },
      );
      expect(timeline.map(e => e.phase)).toEqual([
        'pending',
        'aborting',
        'aborted',
      ]);
    });

    it('works while the canary is analyzed (progressing)', async () => {
      const timeline = await abortWhen(
        'a-progressing',
        r => r.stage === 'analyze',
      );
      expect(timeline.map(e => e.phase)).toContain('progressing');
    });

    it('works while paused', async () => {
      const timeline = await abortWhen('a-paused', r => r.phase === 'paused', {
        steps: [{ weight: 50, gate: true }, { weight: 100 }],
      });
      expect(timeline.map(e => e.phase)).toContain('paused');
    });

    it('is recorded at once while the API server does not answer, and carried out when it does', async () => {
      const store = new RolloutStore(knex);
      const { execution } = replicaOf(store);
      const rollout = await startRollout(
        store,
        'a-outage',
        'shop/a-outage:2.0.0',
      );
      execution.start();
      let done: Rollout;
      try {
        await waitForStage(store, rollout.id, 'analyze');
        server.injectFaults({ dropConnections: true });
        try {
          const recorded = await abortNow(store, rollout.id);
          expect(recorded!.phase).toBe('aborting');
          execution.reconciler.wake([rollout.id]);
          await eventually(
            async () => (await store.get(rollout.id))!.attempts >= 1,
            'a failed attempt',
            30_000,
          );
          const retrying = (await store.get(rollout.id))!;
          expect(retrying.phase).toBe('aborting');
          expect(retrying.phaseReason).toMatch(/\(attempt \d+ failed: /);
        } finally {
          server.injectFaults({});
        }
        done = await waitForPhase(store, rollout.id, [
          'aborted',
          'failed',
          'succeeded',
        ]);
      } finally {
        await execution.stop();
      }
      expect(done.phase).toBe('aborted');
      expect(await imageOf('a-outage')).toBe('shop/a-outage:1.0.0');
      expect(await exists('a-outage-canary')).toBe(false);
    });

    it('works while promoting, restoring the stable workload', async () => {
      const timeline = await abortWhen(
        'a-promoting',
        r => r.phase === 'promoting' && r.stage === 'promote',
        { steps: [{ weight: 100 }], readyAfterMs: 3_000 },
      );
      expect(timeline[timeline.length - 1].message).toMatch(
        /a-promoting restored to shop\/a-promoting:1\.0\.0/,
      );
    });
  });

  it('sets the canary weight through the NGINX Ingress router at each step, and resets it when promoted', async () => {
    const store = new RolloutStore(knex);
    const networking = kubeConfig.makeApiClient(NetworkingV1Api);
    await core.createNamespacedService({
      namespace: 'shop',
      body: {
        metadata: { name: 'ledger', namespace: 'shop' },
        spec: { selector: { app: 'ledger' }, ports: [{ port: 80 }] },
      },
    });
    await networking.createNamespacedIngress({
      namespace: 'shop',
      body: {
        metadata: { name: 'ledger', namespace: 'shop' },
        spec: {
          ingressClassName: 'nginx',
          rules: [
            {
              host: 'ledger.example.com',
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: {
                      service: { name: 'ledger', port: { number: 80 } },
                    },
                  },
                ],
              },
            },
          ],
        },
      },
    });
    const { execution } = replicaOf(store);
    const rollout = await startRollout(store, 'ledger', 'shop/ledger:2.0.0', {
      steps: [{ weight: 20 }, { weight: 100 }],
      router: 'nginx',
    });
    const canaryIngresses = async () =>
      (
        await networking.listNamespacedIngress({ namespace: 'shop' })
      ).items.filter(
        i =>
          i.metadata?.annotations?.['nginx.ingress.kubernetes.io/canary'] ===
          'true',
      );
    execution.start();
    try {
      const analyzing = await waitForStage(store, rollout.id, 'analyze');
      expect(analyzing.weight).toBe(20);
      const [canary] = await canaryIngresses();
      expect(
        canary.metadata?.annotations?.[
          'nginx.ingress.kubernetes.io/canary-weight'
        ],
      ).toBe('20');
      // The stable Service is pinned to the stable pods: the canary gets only the router's share.
      expect(
        (
          await core.readNamespacedService({
            name: 'ledger',
            namespace: 'shop',
          })
        ).spec?.selector,
      ).toEqual({
        app: 'ledger',
        'pod-template-hash': analyzing.candidate.blueHash,
      });
      const done = await waitForPhase(store, rollout.id, [
        'succeeded',
        'aborted',
        'failed',
      ]);
      expect(done.phase).toBe('succeeded');
    } finally {
      await execution.stop();
    }
    expect(await canaryIngresses()).toEqual([]);
    expect(
      (await core.readNamespacedService({ name: 'ledger', namespace: 'shop' }))
        .spec?.selector,
    ).toEqual({ app: 'ledger' });
    expect(await imageOf('ledger')).toBe('shop/ledger:2.0.0');
    expect(await exists('ledger-canary')).toBe(false);
  });

  it('sets the canary weight as HTTPRoute backend weights through the Gateway API router, and puts the route back when promoted', async () => {
    const store = new RolloutStore(knex);
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const routes = {
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      plural: 'httproutes',
      namespace: 'shop',
    };
    await core.createNamespacedService({
      namespace: 'shop',
      body: {
        metadata: { name: 'reviews', namespace: 'shop' },
        spec: { selector: { app: 'reviews' }, ports: [{ port: 80 }] },
      },
    });
    const original = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'reviews', namespace: 'shop' },
      spec: {
        parentRefs: [{ name: 'gateway' }],
        rules: [{ backendRefs: [{ name: 'reviews', port: 80 }] }],
      },
    };
    await custom.createNamespacedCustomObject({ ...routes, body: original });
    const { execution } = replicaOf(store);
    const rollout = await startRollout(store, 'reviews', 'shop/reviews:2.0.0', {
      steps: [{ weight: 30 }, { weight: 100 }],
      router: 'gateway-api',
    });
    const backends = async () =>
      (
        (await custom.getNamespacedCustomObject({
          ...routes,
          name: 'reviews',
        })) as typeof original
      ).spec.rules[0].backendRefs;
    execution.start();
    try {
      await waitForStage(store, rollout.id, 'analyze');
      expect(await backends()).toEqual([
        { name: 'reviews', port: 80, weight: 70 },
        expect.objectContaining({
          name: 'reviews-canary',
          port: 80,
          weight: 30,
        }),
      ]);
      const done = await waitForPhase(store, rollout.id, [
        'succeeded',
        'aborted',
        'failed',
      ]);
      expect(done.phase).toBe('succeeded');
    } finally {
      await execution.stop();
    }
    expect(await backends()).toEqual(original.spec.rules[0].backendRefs);
    expect(await imageOf('reviews')).toBe('shop/reviews:2.0.0');
    expect(await exists('reviews-canary')).toBe(false);
  });

  describe('blue/green', () => {
    async function serviceFor(name: string) {
      await core.createNamespacedService({
        namespace: 'shop',
        body: {
          metadata: { name: `${name}-svc`, namespace: 'shop' },
          spec: { selector: { app: name }, ports: [{ port: 80 }] },
        },
      });
    }
    const selectorOf = async (name: string) =>
      (
        await core.readNamespacedService({
          name: `${name}-svc`,
          namespace: 'shop',
        })
      ).spec?.selector;

    it('analyzes green at full size without traffic, switches the Service in one write, and keeps blue for the rollback window', async () => {
      const store = new RolloutStore(knex);
      await serviceFor('web');
      const { execution } = replicaOf(store);
      const rollout = await startRollout(store, 'web', 'shop/web:2.0.0', {
        blueGreen: { rollbackWindowSeconds: 3 },
      });
      execution.start();
      try {
        const analyzing = await waitForPhase(store, rollout.id, [
          'progressing',
        ]);
        await waitForStage(store, rollout.id, 'analyze');
        // Pinned to blue while green is analyzed: green takes no traffic.
        expect(await selectorOf('web')).toEqual({
          app: 'web',
          'pod-template-hash': analyzing.candidate.blueHash,
        });
        expect((await store.get(rollout.id))!.weight).toBe(0);

        await waitForStage(store, rollout.id, 'window');
        const switched = (await store.get(rollout.id))!;
        expect(switched.weight).toBe(100);
        expect(await selectorOf('web')).toEqual({
          app: 'web',
          'pod-template-hash': switched.candidate.greenHash,
        });
        const took = Number(/in (\d+) ms/.exec(switched.phaseReason)![1]);
        expect(took).toBeLessThan(1000);
        // Blue still at full size, on its old image, during the window.
        expect(await imageOf('web')).toBe('shop/web:1.0.0');
        expect(
          (
            await apps.readNamespacedDeployment({
              name: 'web',
              namespace: 'shop',
            })
          ).spec?.replicas,
        ).toBe(2);

        const done = await waitForPhase(store, rollout.id, [
          'succeeded',
          'aborted',
          'failed',
        ]);
        expect(done.phase).toBe('succeeded');
      } finally {
        await execution.stop();
      }
      expect(await imageOf('web')).toBe('shop/web:2.0.0');
      expect(await exists('web-green')).toBe(false);
      expect(await selectorOf('web')).toEqual({ app: 'web' });
    });

    it('switches traffic back to blue in under a second when aborted inside the rollback window', async () => {
      const store = new RolloutStore(knex);
      await serviceFor('shopfront');
      const { execution } = replicaOf(store);
      const rollout = await startRollout(
        store,
        'shopfront',
        'shop/shopfront:2.0.0',
        {
          blueGreen: { rollbackWindowSeconds: 60 },
        },
      );
      execution.start();
      let elapsed: number;
      let done: Rollout;
      try {
        await waitForStage(store, rollout.id, 'window');
        const blueHash = (await store.get(rollout.id))!.candidate.blueHash;
        const started = Date.now();
        await store.act(rollout.id, {
          to: 'aborting',
          from: ['pending', 'progressing', 'paused', 'promoting'],
          actor: 'user:default/ops',
          message: 'aborting: aborted by user:default/ops',
          patch: { stage: 'undo', attempts: 0, phaseDeadlineAt: null },
          at: new Date(),
        });
        execution.reconciler.wake([rollout.id]);
        await eventually(
          async () => {
            const selector = await selectorOf('shopfront');
            return (
              selector?.['pod-template-hash'] === blueHash ||
              selector?.['pod-template-hash'] === undefined
            );
          },
          'traffic back on blue',
          5_000,
        );
        elapsed = Date.now() - started;
        done = await waitForPhase(store, rollout.id, [
          'aborted',
          'failed',
          'succeeded',
        ]);
      } finally {
        await execution.stop();
      }
      expect(elapsed).toBeLessThan(1000);
      expect(done.phase).toBe('aborted');
      expect(done.phaseReason).toMatch(
        /traffic back on k8s\/shop\/Deployment\/shopfront \(blue\) in \d+ ms; shopfront-green removed/,
      );
      expect(await imageOf('shopfront')).toBe('shop/shopfront:1.0.0');
      expect(await exists('shopfront-green')).toBe(false);
      expect(await selectorOf('shopfront')).toEqual({ app: 'shopfront' });
    });
  });

  it('is taken over at the same step by another replica when one is killed mid-step, applying nothing twice', async () => {
    const store = new RolloutStore(knex);
    /** Dies in the middle of its second analysis, as a killed process would. */
    class DoomedDriver extends CountingDriver {
      calls = 0;
      constructor(...args: ConstructorParameters<typeof CountingDriver>) {
        super(...args);
        const healthSignals = this.candidates.healthSignals.bind(
          this.candidates,
        );
        this.candidates.healthSignals = async (...signalArgs) => {
          if (++this.calls === 2) throw new ReconcilerKilledError();
          return healthSignals(...signalArgs);
        };
      }
    }
    const doomed = replicaOf(store, new DoomedDriver('k8s', kubeConfig));
    const rollout = await startRollout(
      store,
      'payments',
      'shop/payments:2.0.0',
    );
    doomed.execution.start();
    await eventually(
      async () => (doomed.driver as DoomedDriver).calls >= 2,
      'the doomed replica to die',
      30_000,
    );
    await doomed.execution.stop();
    const orphaned = (await store.get(rollout.id))!;
    expect(orphaned.phase).toBe('progressing');
    expect(orphaned.leaseOwner).not.toBeNull(); // the dead replica's lease, until it expires

    const heir = replicaOf(store);
    heir.execution.start();
    let done: Rollout;
    try {
      done = await waitForPhase(store, rollout.id, [
        'succeeded',
        'aborted',
        'failed',
      ]);
    } finally {
      await heir.execution.stop();
    }
    expect(done.phase).toBe('succeeded');
    // Taken over where it was: the heir's first event names no earlier step than the orphan's.
    const timeline = (await store.timeline(rollout.id)).map(e => e.message);
    expect(
      timeline.filter(m =>
        m.includes('step 1 of 3 (25 %): payments-canary scaled'),
      ),
    ).toHaveLength(1);
    expect(doomed.driver.applied + heir.driver.applied).toBe(1);
    expect(await imageOf('payments')).toBe('shop/payments:2.0.0');
  });
});
