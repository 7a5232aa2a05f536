import { mockServices } from '@backstage/backend-test-utils';
import {
  KubernetesTestServer,
  READY_AFTER_ANNOTATION,
  startPrometheus,
  type PrometheusProcess,
} from '@internal/kubernetes-test-server';
import type { PlanTarget } from '@internal/backstage-plugin-sentinel-common';
import type { TrafficRouter } from '@internal/backstage-plugin-sentinel-node';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { createTestDatabases } from './databases';
import { eventually } from './execution';
import { type Identity, kubeConfigAs } from './targetCluster';
import { applyDatabaseMigrations } from '../database/migrations';
import { KubernetesClusterDriver } from '../kubernetes/KubernetesClusterDriver';
import { GatewayApiRouter } from '../rollouts/traffic/GatewayApiRouter';
import { NginxIngressRouter } from '../rollouts/traffic/NginxIngressRouter';
import {
  DEFAULT_ROLLOUTS,
  type RolloutSettings,
} from '../rollouts/rolloutConfig';
import { createRolloutExecution } from '../rollouts/rolloutExecution';
import type { RolloutPhase } from '../rollouts/rolloutPhases';
import { RolloutStore } from '../rollouts/store/RolloutStore';
import type { Rollout, RolloutStep } from '../rollouts/types';

export const logger = mockServices.logger.mock();

export const target = (name: string): PlanTarget => ({
  cluster: 'k8s',
  namespace: 'shop',
  kind: 'Deployment',
  name,
});

/** Short intervals and windows, so that a rollout of three steps takes seconds. */
export const settings = (prometheusUrl: string): RolloutSettings => ({
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
export class CountingDriver extends KubernetesClusterDriver {
  applied = 0;
  override async apply(...args: Parameters<KubernetesClusterDriver['apply']>) {
    const result = await super.apply(...args);
    this.applied += 1;
    return result;
  }
}

export const STEPS: RolloutStep[] = [
  { weight: 25 },
  { weight: 50 },
  { weight: 100 },
];

export class RolloutHarness {
  readonly #databases = createTestDatabases();
  readonly server = new KubernetesTestServer({
    controller: true,
    podReadyDelayMs: 200,
  });
  readonly kubeConfig = new KubeConfig();
  prometheus!: PrometheusProcess;
  apps!: AppsV1Api;
  core!: CoreV1Api;
  knex!: Knex;

  async start() {
    await this.server.start();
    this.kubeConfig.loadFromString(this.server.kubeconfig({ name: 'k8s' }));
    this.apps = this.kubeConfig.makeApiClient(AppsV1Api);
    this.core = this.kubeConfig.makeApiClient(CoreV1Api);
    this.prometheus = await startPrometheus({ targets: [this.server.url] });
  }

  async stop() {
    await this.prometheus?.stop();
    await this.server.stop();
  }

  async freshDatabase() {
    const [id] = this.#databases.eachSupportedId()[0];
    this.knex = await this.#databases.init(id);
    await applyDatabaseMigrations(this.knex);
  }

  /** A stable Deployment with `replicas` pods of `image`, ready. */
  async stableWorkload(name: string, readyAfterMs?: number) {
    this.server.addDeployment({
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
    const driver = new KubernetesClusterDriver('k8s', this.kubeConfig);
    await eventually(
      async () =>
        (await driver.rolloutStatus(target(name))).state === 'complete',
      `${name} rolled out`,
      30_000,
    );
    return (await driver.getWorkload(target(name)))!;
  }

  replicaOf(
    store: RolloutStore,
    driver = new CountingDriver('k8s', this.kubeConfig),
    owner = randomUUID().slice(0, 8),
    kubeConfig = this.kubeConfig,
  ) {
    const execution = createRolloutExecution({
      trafficRouters: new Map<string, TrafficRouter>([
        ['k8s/nginx', new NginxIngressRouter('k8s', kubeConfig)],
        ['k8s/gateway-api', new GatewayApiRouter('k8s', kubeConfig)],
      ]),
      store,
      clusterDrivers: new Map([['k8s', driver]]),
      settings: settings(this.prometheus.url),
      logger,
      owner: `replica-${owner}`,
      leaseMs: 2_000,
      pollIntervalMs: 100,
    });
    return { driver, execution };
  }

  /**
   * A replica whose driver and traffic routers act as `identity`: the administrator, or
   * Sentinel's ServiceAccount under exactly the role shipped for target clusters (a call the
   * role does not allow is a 403, and `refusals()` lists it).
   */
  replicaAs(identity: Identity, store: RolloutStore) {
    const kubeConfig = kubeConfigAs(this.server, identity);
    return this.replicaOf(
      store,
      new CountingDriver('k8s', kubeConfig),
      undefined,
      kubeConfig,
    );
  }

  /** The 403 messages the server answered Sentinel's ServiceAccount so far. */
  refusals(): string[] {
    return this.server
      .authorizations()
      .filter(r => !r.allowed)
      .map(r => r.message ?? '');
  }

  async startRollout(
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
    const stable = await this.stableWorkload(name, options.readyAfterMs);
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
        analysis: settings(this.prometheus.url).analysis,
      },
      new Date(),
    );
  }

  async waitForPhase(
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
  async waitForStage(store: RolloutStore, id: string, stage: string) {
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

  async imageOf(name: string) {
    const d = await this.apps.readNamespacedDeployment({
      name,
      namespace: 'shop',
    });
    return d.spec?.template?.spec?.containers?.[0]?.image;
  }

  async exists(name: string) {
    try {
      await this.apps.readNamespacedDeployment({ name, namespace: 'shop' });
      return true;
    } catch {
      return false;
    }
  }

  /** The stable workload's replica count, sampled while the rollout runs. */
  sampleStableReplicas(name: string) {
    const seen = new Set<number>();
    const timer = setInterval(() => {
      this.apps
        .readNamespacedDeployment({ name, namespace: 'shop' })
        .then(d => seen.add(d.spec?.replicas ?? -1))
        .catch(() => seen.add(-1));
    }, 100);
    return { seen, stop: () => clearInterval(timer) };
  }
}

/**
 * Rollouts on the Kubernetes test server, scored by a real Prometheus scraping it, stored in
 * PostgreSQL when available (CI), the embedded default's SQLite otherwise: one server and one
 * Prometheus per test file, a fresh database per test. Registers its own hooks.
 */
export function useRolloutHarness(): RolloutHarness {
  const harness = new RolloutHarness();
  beforeAll(() => harness.start());
  afterAll(() => harness.stop());
  beforeEach(() => harness.freshDatabase());
  return harness;
}
