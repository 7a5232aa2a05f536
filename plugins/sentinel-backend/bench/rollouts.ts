/* eslint-disable no-console */
// Benchmark of progressive rollouts at scale: 500 canaries in flight at once on one replica,
// against the simulated cluster in a process of its own, each analyzed every 10 s with real
// Prometheus queries (the cluster's synthetic pod metrics, scraped by a real Prometheus) and
// Kubernetes signals, on PostgreSQL. Measures how late each step is taken after it became due,
// how late each analysis interval is, and the process's RSS growth. Prints machine and date,
// checks the targets and exits non-zero when one is missed.
//
//   yarn bench:rollouts
//   BENCH_ROLLOUTS=100 BENCH_SECONDS=60 yarn bench:rollouts
import { startPrometheus } from '@internal/kubernetes-test-server';
import { randomUUID } from 'node:crypto';
import {
  freshDatabase,
  judgeTargets,
  percentile,
  printMachine,
  startSimulatedCluster,
} from './support';
import { KeepAliveKubeConfig } from '../src/kubernetes/KeepAliveKubeConfig';
import { KubernetesClusterDriver } from '../src/kubernetes/KubernetesClusterDriver';
import { Reconciler } from '../src/work/Reconciler';
import { DEFAULT_ROLLOUTS } from '../src/rollouts/rolloutConfig';
import { RolloutController } from '../src/rollouts/controller/RolloutController';
import { RolloutStore } from '../src/rollouts/store/RolloutStore';
import { PrometheusClient } from '../src/rollouts/analysis/PrometheusClient';
import type { Rollout } from '../src/rollouts/types';

const rollouts = Number(process.env.BENCH_ROLLOUTS ?? 500);
const measureSeconds = Number(process.env.BENCH_SECONDS ?? 120);
const intervalSeconds = 10;
const perNamespace = 50;
const targets = { dueP99Ms: 1000, intervalLateMaxMs: 2000, rssGrowthMb: 150 };

const logger: any = {
  error: (message: string, error?: Error) => console.error(message, error),
  warn: (message: string) => console.error(message),
  info: () => {},
  debug: () => {},
  child: () => logger,
};

async function main() {
  console.log(
    `Sentinel rollouts benchmark: ${rollouts} canaries in flight on one replica, analysis every ${intervalSeconds} s with real Prometheus, measured for ${measureSeconds} s`,
  );
  printMachine();
  const namespaces = Math.ceil(rollouts / perNamespace);
  const cluster = await startSimulatedCluster({
    namespaces,
    workloadsPerNamespace: perNamespace,
    readyAfterMs: 500,
    replicas: 2,
  });
  const prometheus = await startPrometheus({
    targets: [cluster.server],
    scrapeInterval: '5s',
  });
  const knex = await freshDatabase('sentinel_bench_rollouts');
  try {
    const kubeConfig = new KeepAliveKubeConfig();
    kubeConfig.loadFromFile(cluster.kubeconfig);
    const driver = new KubernetesClusterDriver('demo', kubeConfig);
    const store = new RolloutStore(knex);
    const analysis = {
      ...DEFAULT_ROLLOUTS.analysis,
      intervalSeconds,
      // Long enough that every canary is still analyzing its first step when the run ends.
      passAfter: 1000,
      inconclusiveAfter: 1000,
      readySeconds: 300,
    };
    // Each step of the controller, timed from when it became due.
    const dueLags: number[] = [];
    const controller = new RolloutController({
      store,
      clusterDrivers: new Map([['demo', driver]]),
      prometheus: new PrometheusClient({ baseUrl: prometheus.url }),
      logger,
      owner: 'bench',
      maxPauseMs: 3600_000,
      recheckMs: 1_000,
      abortAttempts: 20,
    });
    let measuring = false;
    const timed = {
      reconcile: (rollout: Rollout) => {
        if (measuring && rollout.nextCheckAt) {
          dueLags.push(Math.max(0, Date.now() - rollout.nextCheckAt.getTime()));
        }
        return controller.reconcile(rollout);
      },
    };
    const reconciler = new Reconciler<Rollout>({
      name: 'rollout',
      queue: store.queue,
      controller: timed,
      logger,
      owner: 'bench',
      concurrency: DEFAULT_ROLLOUTS.concurrency,
      pollIntervalMs: 1_000,
    });

    // Canaries start as plans come in, not all in one second: 25 a second here, so the first
    // analyses are spread over 20 s as later ones are (a burst of 500 at once is a backlog
    // the reconciler works off, not the steady state this measures).
    const started = Date.now();
    reconciler.start();
    for (let i = 0; i < rollouts; i++) {
      await new Promise(r => setTimeout(r, 40));
      const namespace = `fleet-${i % namespaces}`;
      const name = `svc-${Math.floor(i / namespaces)}`;
      const target = {
        cluster: 'demo',
        namespace,
        kind: 'Deployment' as const,
        name,
      };
      const stable = (await driver.getWorkload(target))!;
      await store.create(
        {
          id: randomUUID(),
          planId: randomUUID(),
          decisionIndex: 0,
          target,
          entityRef: null,
          strategy: 'canary',
          rollbackPolicy: 'auto',
          stable,
          candidate: {
            workload: `${name}-canary`,
            containers: { app: { image: 'fleet/svc:2.0.0' } },
            replicas: 0,
          },
          steps: [{ weight: 25 }, { weight: 100 }],
          analysis,
        },
        new Date(),
      );
    }
    const inStage = async (stage: string) =>
      Number((await knex('rollouts').where({ stage }).count({ n: '*' }))[0].n);
    while ((await inStage('analyze')) < rollouts) {
      if (Date.now() - started > 300_000) {
        throw new Error(
          `only ${await inStage(
            'analyze',
          )} of ${rollouts} canaries got to analysis in 5 minutes`,
        );
      }
      await new Promise(r => setTimeout(r, 500));
    }
    const allAnalyzingAfter = Date.now() - started;
    const measureFrom = new Date();
    measuring = true;
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const cpuStart = process.cpuUsage();
    await new Promise(r => setTimeout(r, measureSeconds * 1000));
    measuring = false;
    const cpu = process.cpuUsage(cpuStart);
    global.gc?.();
    const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    await reconciler.stop();

    // Lateness of each analysis interval: the gap to the previous one, beyond the interval.
    const rows: { rollout_id: string; at: Date; verdict: string }[] =
      await knex('rollout_analyses')
        .where('at', '>=', measureFrom)
        .orderBy(['rollout_id', 'id']);
    const intervalLates: number[] = [];
    const verdicts: Record<string, number> = {};
    let previous: { id: string; at: number } | undefined;
    for (const row of rows) {
      verdicts[row.verdict] = (verdicts[row.verdict] ?? 0) + 1;
      const at = new Date(row.at).getTime();
      if (previous?.id === row.rollout_id) {
        intervalLates.push(
          Math.max(0, at - previous.at - intervalSeconds * 1000),
        );
      }
      previous = { id: row.rollout_id, at };
    }
    intervalLates.sort((a, b) => a - b);
    dueLags.sort((a, b) => a - b);
    const phases: { phase: string; n: number | string }[] = await knex(
      'rollouts',
    )
      .select('phase')
      .count({ n: '*' })
      .groupBy('phase');
    console.log(`all analyzing after        ${allAnalyzingAfter} ms`);
    console.log(
      `phases at the end          ${phases
        .map(p => `${p.phase} ${p.n}`)
        .join(', ')}`,
    );
    console.log(
      `analyses in the window     ${rows.length} (${(
        rows.length / measureSeconds
      ).toFixed(1)}/s; ${Object.entries(verdicts)
        .map(([v, n]) => `${v} ${n}`)
        .join(', ')})`,
    );
    console.log(
      `step taken after due       p50 ${percentile(
        dueLags,
        50,
      )} ms, p99 ${percentile(dueLags, 99)} ms, max ${
        dueLags[dueLags.length - 1]
      } ms (${dueLags.length} steps)`,
    );
    console.log(
      `analysis interval late     p50 ${percentile(
        intervalLates,
        50,
      )} ms, p99 ${percentile(intervalLates, 99)} ms, max ${
        intervalLates[intervalLates.length - 1]
      } ms`,
    );
    console.log(
      `CPU of this process        ${(
        (cpu.user + cpu.system) /
        1000 /
        (measureSeconds * 1000)
      ).toFixed(3)} cores`,
    );
    console.log(`RSS growth                 ${rssGrowthMb.toFixed(1)} MB`);
    const results = [
      [
        `every canary analyzed every ${intervalSeconds} s (${rows.length} analyses)`,
        // The window opens when the last canary got ready, an interval before its first analysis.
        rows.length >=
          rollouts * (Math.floor(measureSeconds / intervalSeconds) - 1),
      ],
      [
        `steps taken within ${targets.dueP99Ms} ms of due (p99)`,
        percentile(dueLags, 99) < targets.dueP99Ms,
      ],
      [
        `no analysis interval late by more than ${targets.intervalLateMaxMs} ms`,
        (intervalLates[intervalLates.length - 1] ?? Infinity) <=
          targets.intervalLateMaxMs,
      ],
      [
        `RSS growth under ${targets.rssGrowthMb} MB`,
        rssGrowthMb < targets.rssGrowthMb,
      ],
    ] as const;
    judgeTargets(results);
  } finally {
    await knex.destroy();
    await prometheus.stop();
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
