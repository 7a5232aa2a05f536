/* eslint-disable no-console */
// Benchmark of the reconciler with many long rollouts at once: 500 changes, each waiting on a
// rollout that takes 5 to 30 s (the simulated cluster in a process of its own readies each
// workload's pods after its own delay), on one replica with eight steps in flight, on PostgreSQL.
// Measures how soon each plan is advanced after its rollout became ready (as a watch of the
// cluster sees it), the CPU Sentinel uses while the changes wait, and its heap growth. Prints
// machine and date, checks the targets and exits non-zero when one is missed.
//
//   yarn bench:reconciler
//   BENCH_CHANGES=200 yarn bench:reconciler
import {
  KubeConfig,
  makeInformer,
  type V1Deployment,
} from '@kubernetes/client-node';
import { AppsV1Api } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import {
  freshDatabase,
  judgeTargets,
  percentile,
  printMachine,
  startSimulatedCluster,
} from './support';
import { createPlanStores } from '../src/plans/store/createPlanStores';
import { PolicyStore } from '../src/policy/PolicyStore';
import { KeepAliveKubeConfig } from '../src/kubernetes/KeepAliveKubeConfig';
import { KubernetesClusterDriver } from '../src/kubernetes/KubernetesClusterDriver';
import { rolloutStatusOf } from '../src/kubernetes/workloadState';
import { WorkloadInventory } from '../src/inventory/WorkloadInventory';
import { DEFAULT_EXECUTION } from '../src/plans/executionConfig';
import { createPlanExecution } from '../src/plans/planExecution';
import { WorkloadReader } from '../src/inventory/WorkloadReader';
import { DatabaseChangeLedger } from '../src/policy/ChangeLedger';
import { PolicyService } from '../src/policy/PolicyService';

const changes = Number(process.env.BENCH_CHANGES ?? 500);
const perNamespace = 50;
const targets = { advanceP99Ms: 1000, waitingCores: 0.5, heapGrowthMb: 50 };

const logger: any = {
  error: (message: string, error?: Error) => console.error(message, error),
  warn: () => {},
  info: () => {},
  debug: () => {},
  child: () => logger,
};

async function main() {
  console.log(
    `Sentinel reconciler benchmark: ${changes} changes waiting on rollouts of 5-30 s, one replica, 8 steps in flight`,
  );
  printMachine();
  const namespaces = Math.ceil(changes / perNamespace);
  const cluster = await startSimulatedCluster({
    namespaces,
    workloadsPerNamespace: perNamespace,
    readyAfterMs: [5_000, 30_000],
  });
  const knex = await freshDatabase('sentinel_bench_reconciler');
  try {
    const kubeConfig = new KeepAliveKubeConfig();
    kubeConfig.loadFromFile(cluster.kubeconfig);
    const driver = new KubernetesClusterDriver('demo', kubeConfig);
    const ownership = {
      entityRefFor: async () => 'component:default/fleet',
      snapshot: async () => ({ owners: new Map(), labels: new Map() }),
    };
    const inventory = new WorkloadInventory(
      [{ name: 'demo', kubeConfig }],
      ownership,
      logger,
    );
    await inventory.start();
    const { plans: store, gate } = createPlanStores(knex);
    const drivers = new Map([['demo', driver]]);
    const workloads = new WorkloadReader(drivers, inventory);
    const policies = new PolicyService({
      store: new PolicyStore(knex),
      ledger: new DatabaseChangeLedger(gate),
      workloads,
      ownership,
      logger,
    });
    await policies.seed({ rules: [] }, [], new Date());
    const execution = createPlanExecution({
      store,
      gateStore: gate,
      clusterDrivers: drivers,
      policies,
      logger,
      owner: `bench-${randomUUID().slice(0, 8)}`,
      settings: { ...DEFAULT_EXECUTION, concurrency: 8, batchSize: 4 },
      inventory,
      workloads,
    });

    // The cluster as an observer sees it: when each workload's rollout became ready.
    const observer = new KubeConfig();
    observer.loadFromFile(cluster.kubeconfig);
    const apps = observer.makeApiClient(AppsV1Api);
    const readyAt = new Map<string, number>();
    const informer = makeInformer<V1Deployment>(
      observer,
      '/apis/apps/v1/deployments',
      () => apps.listDeploymentForAllNamespaces(),
    );
    informer.on('update', d => {
      const key = `${d.metadata?.namespace}/${d.metadata?.name}`;
      const ref = {
        cluster: 'demo',
        namespace: d.metadata!.namespace!,
        kind: 'Deployment' as const,
        name: d.metadata!.name!,
      };
      if (
        d.spec?.replicas === 2 &&
        !readyAt.has(key) &&
        rolloutStatusOf(ref, d).state === 'complete'
      ) {
        readyAt.set(key, Date.now());
      }
    });
    await informer.start();

    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const ids = new Map<string, string>();
    for (let i = 0; i < changes; i++) {
      const namespace = `fleet-${i % namespaces}`;
      const name = `svc-${Math.floor(i / namespaces)}`;
      const id = randomUUID();
      ids.set(id, `${namespace}/${name}`);
      await store.createPlan({
        id,
        source: 'bench',
        mode: 'enforce',
        submittedBy: 'bench',
        requestHash: id,
        at: new Date(),
        decisions: [
          {
            verb: 'scale',
            target: { cluster: 'demo', namespace, kind: 'Deployment', name },
            params: { replicas: 2 },
            entityRef: 'component:default/fleet',
          },
        ],
      });
    }
    const started = Date.now();
    execution.start();

    // Wait until every change is rolling out, then measure while they wait.
    const count = async (status: string) =>
      Number(
        (await knex('plan_decisions').where({ status }).count({ n: '*' }))[0].n,
      );
    while (
      (await count('rolling_out')) + (await count('succeeded')) <
      changes
    ) {
      await new Promise(r => setTimeout(r, 200));
    }
    const allWaitingAfter = Date.now() - started;
    const cpuStart = process.cpuUsage();
    const wallStart = Date.now();
    // The first rollouts end after 5 s: the quiet stretch of waiting is until then.
    const firstReady = started + 5_000;
    await new Promise(r => setTimeout(r, Math.max(0, firstReady - Date.now())));
    const cpu = process.cpuUsage(cpuStart);
    const waitingCores =
      (cpu.user + cpu.system) / 1000 / Math.max(1, Date.now() - wallStart);

    const deadline = Date.now() + 120_000;
    while ((await count('succeeded')) < changes && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 500));
    }
    const cpuRun = process.cpuUsage(cpuStart);
    const runCores =
      (cpuRun.user + cpuRun.system) /
      1000 /
      Math.max(1, Date.now() - wallStart);
    await execution.stop();
    await inventory.stop();
    await informer.stop();
    global.gc?.();
    const heapGrowthMb =
      (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;

    const rows: { id: string; status: string; updated_at: Date }[] = await knex(
      'plans',
    ).select('id', 'status', 'updated_at');
    const lags: number[] = [];
    let unmatched = 0;
    for (const row of rows) {
      const ready = readyAt.get(ids.get(row.id)!);
      if (row.status !== 'succeeded' || ready === undefined) {
        unmatched += 1;
        continue;
      }
      lags.push(Math.max(0, new Date(row.updated_at).getTime() - ready));
    }
    lags.sort((a, b) => a - b);
    const figures = {
      succeeded: rows.filter(r => r.status === 'succeeded').length,
      allWaitingAfterMs: allWaitingAfter,
      advanceP50Ms: percentile(lags, 50),
      advanceP99Ms: percentile(lags, 99),
      advanceMaxMs: lags[lags.length - 1],
      waitingCores,
      runCores,
      heapGrowthMb,
    };
    console.log(
      `changes succeeded          ${figures.succeeded} of ${changes}`,
    );
    console.log(`all rolling out after      ${figures.allWaitingAfterMs} ms`);
    console.log(
      `advanced after ready       p50 ${figures.advanceP50Ms} ms, p99 ${figures.advanceP99Ms} ms, max ${figures.advanceMaxMs} ms`,
    );
    console.log(
      `CPU while all wait         ${figures.waitingCores.toFixed(3)} cores`,
    );
    console.log(
      `CPU while they end         ${figures.runCores.toFixed(
        3,
      )} cores (5-30 s, waking each)`,
    );
    console.log(`heap growth                ${heapGrowthMb.toFixed(1)} MB`);
    const results = [
      [
        'every change succeeded',
        figures.succeeded === changes && unmatched === 0,
      ],
      [
        `advanced within ${targets.advanceP99Ms} ms of ready (p99)`,
        figures.advanceP99Ms < targets.advanceP99Ms,
      ],
      [
        `under ${targets.waitingCores} core while waiting`,
        figures.waitingCores < targets.waitingCores,
      ],
      [
        `heap growth under ${targets.heapGrowthMb} MB`,
        heapGrowthMb < targets.heapGrowthMb,
      ],
    ] as const;
    judgeTargets(results);
  } finally {
    await knex.destroy();
    cluster.child.kill('SIGTERM');
  }
}

main().then(
  () => process.exit(),
  error => {
    console.error(error);
    process.exit(1);
  },
);
