// Benchmark of the plan pipeline over HTTP: the real backend (packages/backend) on the local
// PostgreSQL, the simulated Kubernetes cluster in a process of its own as a real API server
// would be (bench/simulatedCluster.ts: its pods get ready about 1 s after a change) with a fleet
// mapped to catalog entities, and concurrent optimizer clients submitting one-decision `scale`
// plans. Every plan waits for its rollout, so "succeeded" means the change
// rolled out. Prints the figures, machine and date, checks them against the profile's targets
// and exits non-zero when one is missed.
//
//   yarn bench:pipeline                        # steady: 100 clients, ~1 s think time each
//   yarn bench:pipeline --profile saturation   # 20 clients, no think time
//   yarn bench:pipeline --profile smoke        # 20 clients, 200 plans; targets / 10 (CI)
//
// Each profile first runs the same load unmeasured (its warm-up plans) until the JIT, the
// connection pools and the caches are warm, waits for those plans to finish, then measures.
// BENCH_CLIENTS, BENCH_PLANS, BENCH_WARMUP_PLANS and BENCH_THINK_MS override a profile's load;
// BENCH_JSON=<file> also writes the figures as JSON. Where PostgreSQL runs without autovacuum
// the plan tables are analyzed after the warm-up (see analyzeWithoutAutovacuum);
// BENCH_NO_ANALYZE=1 skips that.
//
// The backend runs with its Prometheus exporter on, scraped every 15 s while the load runs (as
// production runs it; BENCH_SCRAPE_MS to change); the figures include Sentinel's database
// query durations from it (p95 under 10 ms is a target of steady). BENCH_METRICS=off runs
// without the exporter: bench/exporter-overhead.mjs compares the two.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import {
  connectDatabase,
  dropDatabases,
  fleetWorkloads,
  machineLine,
  optimizerHeaders as headers,
  percentile,
  scalePlanBody,
  startBackend,
  startCluster,
  submitUntilAccepted,
  TERMINAL,
  writeBackendOverlay,
  writeFleetCatalog,
} from './harness.mjs';
import {
  histogramCount,
  histogramQuantile,
  startScraper,
} from './metricsScrape.mjs';

const PROFILES = {
  // The seed plan's Locust users: 100 clients with about a second between submissions.
  steady: {
    clients: 100,
    plans: 2000,
    warmupPlans: 1000,
    thinkMs: 1000,
    fleet: { namespaces: 20, workloadsPerNamespace: 20 },
    targets: {
      submitP99Ms: 50,
      succeededWithin: { ms: 3000, share: 0.99 },
      appliedShareOfSubmitted: 0.9,
      dbQueryP95Ms: 10,
    },
  },
  // Closed loop: as fast as one replica takes them.
  saturation: {
    clients: 20,
    plans: 4000,
    warmupPlans: 1000,
    thinkMs: 0,
    fleet: { namespaces: 40, workloadsPerNamespace: 25 },
    // Database query durations are printed, not held to a target: in a closed loop on two
    // cores they measure the saturated event loop as much as the database (steady holds it).
    targets: { submittedPerSecond: 300, appliedPerSecond: 200 },
  },
  // Dry runs (POST /v1/policies/evaluate, one decision), one client back to back: their
  // latency. Read from the inventory, they cost the API server nothing.
  evaluate: {
    clients: 1,
    plans: 2000,
    warmupPlans: 200,
    thinkMs: 0,
    fleet: { namespaces: 20, workloadsPerNamespace: 20 },
    evaluateOnly: true,
    targets: { evaluateP99Ms: 10 },
  },
  // Part of the README's test command: a collapse fails CI. Floors ten times below steady's.
  smoke: {
    clients: 20,
    plans: 200,
    warmupPlans: 100,
    thinkMs: 200,
    fleet: { namespaces: 5, workloadsPerNamespace: 20 },
    targets: {
      submitP99Ms: 500,
      succeededWithin: { ms: 30_000, share: 0.99 },
      appliedShareOfSubmitted: 0.09,
    },
  },
};

const profileName =
  process.argv[process.argv.indexOf('--profile') + 1] &&
  process.argv.includes('--profile')
    ? process.argv[process.argv.indexOf('--profile') + 1]
    : 'steady';
const profile = PROFILES[profileName];
if (!profile) {
  console.error(
    `unknown profile ${profileName}; use ${Object.keys(PROFILES).join(', ')}`,
  );
  process.exit(2);
}
const clients = Number(process.env.BENCH_CLIENTS ?? profile.clients);
const total = Number(process.env.BENCH_PLANS ?? profile.plans);
const thinkMs = Number(process.env.BENCH_THINK_MS ?? profile.thinkMs);
const warmupPlans = Number(
  process.env.BENCH_WARMUP_PLANS ?? profile.warmupPlans,
);
const { fleet } = profile;

const port = Number(process.env.SENTINEL_BENCH_PORT ?? 7017);
const base = `http://localhost:${port}/api/sentinel`;
const metricsOn = process.env.BENCH_METRICS !== 'off';
const metricsPort = Number(process.env.SENTINEL_BENCH_METRICS_PORT ?? 9474);

/** The fleet's workloads, in the order plans cycle through them. */
const workloads = fleetWorkloads(fleet);

/** Plans submitted so far, over all phases: each workload is changed in turn. */
let submitted = 0;

async function submitAll(total, path = '/v1/action-plans') {
  const submitMs = [];
  const ids = [];
  const refusals = new Map();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (;;) {
        if (thinkMs > 0) await sleep(thinkMs * (0.5 + Math.random()));
        if (next >= total) return;
        next += 1;
        const n = submitted++;
        const body = scalePlanBody(workloads, n);
        const t0 = performance.now();
        // undici's request, not fetch: the load generator shares the machine's two cores
        // with what it measures, and fetch costs it about twice the CPU per request.
        const res = await request(`${base}${path}`, {
          method: 'POST',
          headers: {
            ...headers,
            'Idempotency-Key': `bench-${process.pid}-${n}`,
          },
          body,
        });
        const plan = await res.body.json();
        submitMs.push(performance.now() - t0);
        // A plan accepted (202), or a dry run answered (200 with an outcome).
        if (
          res.statusCode === 202 ||
          (res.statusCode === 200 && plan.outcome)
        ) {
          ids.push(plan.id ?? n);
        } else {
          const why = `${res.statusCode} ${plan.error?.message ?? ''}`.slice(
            0,
            160,
          );
          refusals.set(why, (refusals.get(why) ?? 0) + 1);
        }
      }
    }),
  );
  return {
    submitMs,
    ids,
    refusals,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Waits until every plan has ended, counting in the database (a cheap query that does not
 * load the backend being measured), then reads the plans once through the API.
 */
async function waitForTerminal(ids, timeoutMs) {
  const db = await sentinelDatabase();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await db.query(
        'select count(*)::int as n from plans where id = any($1) and status = any($2)',
        [ids, TERMINAL],
      );
      if (rows[0].n >= ids.length || Date.now() > deadline) break;
      await sleep(500);
    }
  } finally {
    await db.end();
  }
  const plans = new Map();
  const wanted = new Set(ids);
  let cursor;
  do {
    const page = new URL(`${base}/v1/action-plans`);
    page.searchParams.set('limit', '200');
    page.searchParams.set('status', TERMINAL.join(','));
    if (cursor) page.searchParams.set('cursor', cursor);
    const body = await (await fetch(page, { headers })).json();
    for (const p of body.items) if (wanted.has(p.id)) plans.set(p.id, p);
    cursor = body.nextCursor;
  } while (cursor);
  return [...plans.values()];
}

function check(figures) {
  const t = profile.targets;
  const results = [];
  const expect = (name, ok, detail) => results.push({ name, ok, detail });
  expect(
    'every plan finished',
    figures.unfinished === 0,
    `${figures.unfinished} unfinished`,
  );
  expect(
    'every plan succeeded',
    figures.succeeded === figures.submitted,
    JSON.stringify(figures.byStatus),
  );
  if (t.submitP99Ms !== undefined) {
    expect(
      `submit p99 < ${t.submitP99Ms} ms`,
      figures.submitP99Ms < t.submitP99Ms,
      `${figures.submitP99Ms.toFixed(1)} ms`,
    );
  }
  if (t.succeededWithin) {
    const share = figures.succeededWithinShare(t.succeededWithin.ms);
    expect(
      `${t.succeededWithin.share * 100} % succeeded within ${
        t.succeededWithin.ms / 1000
      } s`,
      share >= t.succeededWithin.share,
      `${(share * 100).toFixed(1)} %`,
    );
  }
  if (t.appliedShareOfSubmitted !== undefined) {
    const share = figures.appliedPerSecond / figures.submittedPerSecond;
    expect(
      `applied rate >= ${t.appliedShareOfSubmitted * 100} % of submit rate`,
      share >= t.appliedShareOfSubmitted,
      `${(share * 100).toFixed(0)} %`,
    );
  }
  if (t.submittedPerSecond !== undefined) {
    expect(
      `submitted >= ${t.submittedPerSecond} plans/s`,
      figures.submittedPerSecond >= t.submittedPerSecond,
      `${figures.submittedPerSecond.toFixed(0)} plans/s`,
    );
  }
  if (t.dbQueryP95Ms !== undefined && figures.dbQueryP95Ms !== undefined) {
    expect(
      `database query p95 < ${t.dbQueryP95Ms} ms`,
      figures.dbQueryP95Ms < t.dbQueryP95Ms,
      `${figures.dbQueryP95Ms.toFixed(2)} ms`,
    );
  }
  if (t.appliedPerSecond !== undefined) {
    expect(
      `applied >= ${t.appliedPerSecond} plans/s`,
      figures.appliedPerSecond >= t.appliedPerSecond,
      `${figures.appliedPerSecond.toFixed(0)} plans/s`,
    );
  }
  return results;
}

/** Sentinel's database query durations over the whole run, from the last scrape. */
function databaseFigures({ text }) {
  const name = 'sentinel_db_query_duration_seconds';
  const ms = keep => (histogramQuantile(text, name, 0.95, keep) ?? 0) * 1000;
  const byStatement = {};
  for (const statement of ['select', 'insert', 'update', 'delete', 'lock']) {
    const keep = labels => labels.statement === statement;
    if (histogramCount(text, name, keep) > 0) byStatement[statement] = ms(keep);
  }
  // The objective is about queries; the gate's lock waits are a queue by design, shown apart.
  const queries = labels => labels.statement !== 'lock';
  return {
    dbQueries: histogramCount(text, name, queries),
    dbQueryP95Ms: ms(queries),
    dbQueryP95MsByStatement: byStatement,
  };
}

/** The largest high-water resident set among the processes of a process group, in MB. */
/** CPU seconds (user + system) used so far by the processes of a process group. */
function cpuSecondsOf(pgid) {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter(e => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      // utime and stime, in clock ticks (USER_HZ, 100 on Linux).
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks / 100;
}

function peakRssMb(pgid) {
  let peakKb = 0;
  for (const pid of readdirSync('/proc').filter(e => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== pgid)
        continue;
      const hwm = readFileSync(`/proc/${pid}/status`, 'utf8').match(
        /^VmHWM:\s+(\d+)/m,
      );
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    } catch {
      // exited meanwhile
    }
  }
  return peakKb / 1024;
}

/** A connection to the backend's plan store database. */
function sentinelDatabase() {
  return connectDatabase('sentinel_bench_sentinel');
}

/**
 * Where PostgreSQL runs without autovacuum (as on the development machines), analyzes the
 * plan tables after the warm-up, as autovacuum would at some quiet moment: the statistics
 * then say the queue is empty, the worst case for the planner when the load comes (ADR 005).
 */
async function analyzeWithoutAutovacuum() {
  const db = await sentinelDatabase();
  try {
    const { rows } = await db.query('show autovacuum');
    if (rows[0].autovacuum === 'on' || process.env.BENCH_NO_ANALYZE) return;
    await db.query('analyze plans, plan_decisions, plan_events');
    console.log(
      'autovacuum is off on this PostgreSQL: analyzed the plan tables after the warm-up, as autovacuum would',
    );
  } finally {
    await db.end();
  }
}

async function main() {
  console.log(
    `Sentinel pipeline benchmark, profile ${profileName}: ${clients} clients, ${total} plans, think time ${thinkMs} ms, fleet ${workloads.length} workloads`,
  );
  console.log(machineLine());
  // Another backend on the port would answer for the one started here.
  const taken = await fetch(`${base}/health`).then(
    () => true,
    () => false,
  );
  if (taken) {
    throw new Error(
      `something already listens on port ${port}; stop it (or set SENTINEL_BENCH_PORT)`,
    );
  }
  await dropDatabases('sentinel_bench_');
  const cluster = await startCluster(fleet, 1000);
  let backend;
  let failed = false;
  try {
    const dir = mkdtempSync(join(os.tmpdir(), 'sentinel-bench-'));
    backend = await startBackend({
      configs: [
        '../../bench/pipeline.app-config.yaml',
        writeBackendOverlay({
          dir,
          name: 'fleet',
          port,
          catalog: writeFleetCatalog(fleet, dir),
          kubeconfig: cluster.kubeconfig,
        }),
      ],
      port,
      // e.g. BENCH_BACKEND_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile it
      env: {
        NODE_OPTIONS: process.env.BENCH_BACKEND_NODE_OPTIONS ?? '',
        SENTINEL_METRICS_PORT: metricsOn ? String(metricsPort) : '0',
        SENTINEL_METRICS_HOST: '127.0.0.1',
      },
    });
    await submitUntilAccepted(base, workloads[workloads.length - 1]);
    if (profile.evaluateOnly) {
      await submitAll(warmupPlans, '/v1/policies/evaluate');
      const { submitMs, ids, seconds } = await submitAll(
        total,
        '/v1/policies/evaluate',
      );
      submitMs.sort((a, b) => a - b);
      const p99 = percentile(submitMs, 99);
      console.log(`dry runs answered          ${ids.length} of ${total}`);
      console.log(
        `dry-run throughput         ${(ids.length / seconds).toFixed(0)} /s`,
      );
      console.log(
        `dry-run latency p50 / p99  ${percentile(submitMs, 50).toFixed(
          1,
        )} / ${p99.toFixed(1)} ms`,
      );
      const ok = ids.length === total && p99 < profile.targets.evaluateP99Ms;
      console.log('targets:');
      console.log(
        `  ${ok ? 'met   ' : 'MISSED'} every dry run answered, p99 < ${
          profile.targets.evaluateP99Ms
        } ms`,
      );
      failed = !ok;
      return;
    }
    // The same load, unmeasured, until the JIT, the pools and the caches are warm.
    if (warmupPlans > 0) {
      const warm = await submitAll(warmupPlans);
      await waitForTerminal(warm.ids, 120_000);
      console.log(`warm-up: ${warm.ids.length} plans, not counted`);
      await analyzeWithoutAutovacuum();
    }

    // Scraped as deploy/prometheus/prometheus.yml scrapes production (BENCH_SCRAPE_MS).
    const scraper =
      metricsOn &&
      startScraper(
        `http://127.0.0.1:${metricsPort}/metrics`,
        Number(process.env.BENCH_SCRAPE_MS ?? 15_000),
      );
    const cpuBefore = cpuSecondsOf(backend.child.pid);
    const { submitMs, ids, refusals, seconds } = await submitAll(total);
    const plans = await waitForTerminal(ids, 120_000 + total * 20);
    const scraped = scraper && (await scraper.stop());
    // The backend's own CPU per plan: far steadier on a shared VM than throughput.
    const cpuMsPerPlan =
      ((cpuSecondsOf(backend.child.pid) - cpuBefore) * 1000) / ids.length;
    const byStatus = {};
    for (const p of plans) byStatus[p.status] = (byStatus[p.status] ?? 0) + 1;
    const succeeded = plans.filter(p => p.status === 'succeeded');
    const latencies = succeeded
      .map(p => Date.parse(p.updatedAt) - Date.parse(p.createdAt))
      .sort((a, b) => a - b);
    const firstIn = Math.min(...plans.map(p => Date.parse(p.createdAt)));
    const lastDone = Math.max(...succeeded.map(p => Date.parse(p.updatedAt)));
    submitMs.sort((a, b) => a - b);
    const figures = {
      submitted: ids.length,
      unfinished: ids.length - plans.length,
      succeeded: succeeded.length,
      byStatus,
      submittedPerSecond: ids.length / seconds,
      appliedPerSecond: succeeded.length / ((lastDone - firstIn) / 1000),
      submitP50Ms: percentile(submitMs, 50),
      submitP99Ms: percentile(submitMs, 99),
      succeededP50Ms: percentile(latencies, 50),
      succeededP99Ms: percentile(latencies, 99),
      succeededWithinShare: ms =>
        latencies.filter(l => l <= ms).length / Math.max(1, ids.length),
      cpuMsPerPlan,
      ...(scraped && databaseFigures(scraped)),
    };
    const rows = [
      ['plans submitted (202)', ids.length],
      ['plans refused', [...refusals.values()].reduce((a, b) => a + b, 0)],
      ['final statuses', JSON.stringify(byStatus)],
      ['submit throughput', `${figures.submittedPerSecond.toFixed(0)} plans/s`],
      ['applied throughput', `${figures.appliedPerSecond.toFixed(0)} plans/s`],
      ['submit latency p50', `${figures.submitP50Ms.toFixed(1)} ms`],
      ['submit latency p99', `${figures.submitP99Ms.toFixed(1)} ms`],
      ['submit-to-succeeded p50', `${figures.succeededP50Ms} ms`],
      ['submit-to-succeeded p99', `${figures.succeededP99Ms} ms`],
      [
        'succeeded within 3 s',
        `${(figures.succeededWithinShare(3000) * 100).toFixed(1)} %`,
      ],
      // What the Deployment's memory request and limit are sized from (development mode, so an
      // upper bound of the image's).
      ['backend peak RSS', `${peakRssMb(backend.child.pid).toFixed(0)} MB`],
      ['backend CPU per plan', `${cpuMsPerPlan.toFixed(2)} ms`],
      [
        'metrics exporter',
        scraped
          ? `on: ${scraped.scrapes} scrapes, p50 ${percentile(
              [...scraped.durations].sort((a, b) => a - b),
              50,
            ).toFixed(0)} ms, ${(scraped.text.length / 1024).toFixed(0)} KiB`
          : 'off (BENCH_METRICS=off)',
      ],
      ...(scraped
        ? [
            [
              'db query p95 (no lock)',
              `${figures.dbQueryP95Ms.toFixed(2)} ms over ${
                figures.dbQueries
              } queries`,
            ],
            ...Object.entries(figures.dbQueryP95MsByStatement).map(
              ([statement, ms]) => [
                `  ${statement} p95`,
                `${ms.toFixed(2)} ms`,
              ],
            ),
          ]
        : []),
    ];
    // Where the time goes: from submission to each step of the timeline (p50 / p99).
    for (const status of ['approved', 'executing', 'succeeded']) {
      const offsets = succeeded
        .map(p => {
          const event = p.timeline.find(e => e.status === status);
          return event && Date.parse(event.at) - Date.parse(p.createdAt);
        })
        .filter(v => v !== undefined)
        .sort((a, b) => a - b);
      rows.push([
        `  to ${status} p50 / p99`,
        `${percentile(offsets, 50)} / ${percentile(offsets, 99)} ms`,
      ]);
    }
    for (const [k, v] of rows) console.log(`${k.padEnd(26)} ${v}`);
    for (const [why, count] of refusals)
      console.log(`refused ${count}x: ${why}`);
    console.log('targets:');
    for (const r of check(figures)) {
      console.log(`  ${r.ok ? 'met   ' : 'MISSED'} ${r.name} (${r.detail})`);
      failed ||= !r.ok;
    }
    if (process.env.BENCH_JSON) {
      const { succeededWithinShare, ...json } = figures;
      writeFileSync(
        process.env.BENCH_JSON,
        JSON.stringify(
          {
            profile: profileName,
            ...json,
            succeededWithin3s: succeededWithinShare(3000),
          },
          null,
          2,
        ),
      );
    }
  } finally {
    await backend?.stop();
    await cluster.stop();
  }
  if (failed) {
    console.log('benchmark FAILED: a target was missed');
    process.exitCode = 1;
  }
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
