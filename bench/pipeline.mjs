// Benchmark of the plan pipeline over HTTP: a real backend (packages/backend) on the local
// PostgreSQL, the demo cluster in memory, and concurrent optimizer clients submitting plans.
// Prints throughput, submit latency p50/p99 and submit-to-applied latency p50/p99.
//
// Each client waits a random think time between its submissions (BENCH_THINK_MS, mean 1000 ms,
// as the seed plan's Locust users do); BENCH_THINK_MS=0 makes a closed loop that measures
// saturation instead.
//
//   yarn bench:pipeline                      # 100 clients, 2000 plans, ~1 s think time
//   BENCH_CLIENTS=20 BENCH_PLANS=500 BENCH_THINK_MS=0 yarn bench:pipeline
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import pg from 'pg';

const root = fileURLToPath(new URL('..', import.meta.url));
const clients = Number(process.env.BENCH_CLIENTS ?? 100);
const total = Number(process.env.BENCH_PLANS ?? 2000);
const thinkMs = Number(process.env.BENCH_THINK_MS ?? 1000);
const databaseUrl =
  process.env.SENTINEL_BENCH_DATABASE_URL ??
  'postgresql://postgres@127.0.0.1:5432';
const base = 'http://localhost:7017/api/sentinel';
const headers = {
  Authorization: `Bearer ${
    process.env.SENTINEL_OPTIMIZER_TOKEN ?? 'dev-optimizer-token'
  }`,
  'Content-Type': 'application/json',
};
const targets = [
  { namespace: 'shop', name: 'cart' },
  { namespace: 'shop', name: 'checkout' },
  { namespace: 'payments', name: 'payments-api' },
  { namespace: 'payments', name: 'ledger', kind: 'StatefulSet' },
];

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}

async function dropBenchDatabases() {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query(
    "select datname from pg_database where datname like 'sentinel_bench_%'",
  );
  for (const { datname } of rows) {
    await client.query(`drop database "${datname}" with (force)`);
  }
  await client.end();
}

async function startBackend() {
  const child = spawn(
    'yarn',
    [
      'workspace',
      'backend',
      'start',
      '--config',
      '../../app-config.yaml',
      '--config',
      '../../bench/pipeline.app-config.yaml',
    ],
    {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
      detached: true,
    },
  );
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/health`);
      if (res.ok && (await res.json()).clusters.includes('demo')) return child;
    } catch {
      // not listening yet
    }
    await sleep(500);
  }
  process.kill(-child.pid, 'SIGTERM');
  throw new Error('backend did not become ready within 180 s');
}

async function submitAll() {
  const submitMs = [];
  const ids = [];
  let next = 0;
  let refused = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (;;) {
        if (thinkMs > 0) await sleep(thinkMs * (0.5 + Math.random()));
        const n = next++;
        if (n >= total) return;
        const target = targets[n % targets.length];
        const body = JSON.stringify({
          source: 'InfraMind',
          decisions: [
            {
              verb: 'scale',
              target,
              params: { replicas: 1 + (n % 9) },
              confidence: 0.9,
            },
          ],
        });
        const t0 = performance.now();
        const res = await fetch(`${base}/v1/action-plans`, {
          method: 'POST',
          headers: {
            ...headers,
            'Idempotency-Key': `bench-${process.pid}-${n}`,
          },
          body,
        });
        const plan = await res.json();
        submitMs.push(performance.now() - t0);
        if (res.status === 202) ids.push(plan.id);
        else refused += 1;
      }
    }),
  );
  return {
    submitMs,
    ids,
    refused,
    seconds: (performance.now() - started) / 1000,
  };
}

async function waitForTerminal(ids) {
  const terminal = new Set([
    'succeeded',
    'failed',
    'rolled_back',
    'rejected',
    'cancelled',
    'simulated',
  ]);
  const plans = new Map();
  const wanted = new Set(ids);
  const deadline = Date.now() + 300_000;
  while (plans.size < ids.length && Date.now() < deadline) {
    let cursor;
    plans.clear();
    do {
      const url = new URL(`${base}/v1/action-plans`);
      url.searchParams.set('limit', '200');
      if (cursor) url.searchParams.set('cursor', cursor);
      const page = await (await fetch(url, { headers })).json();
      for (const p of page.items) {
        if (wanted.has(p.id) && terminal.has(p.status)) plans.set(p.id, p);
      }
      cursor = page.nextCursor;
    } while (cursor);
    if (plans.size < ids.length) await sleep(500);
  }
  return [...plans.values()];
}

async function main() {
  console.log(
    `Sentinel pipeline benchmark: ${clients} clients, ${total} plans, think time ${thinkMs} ms`,
  );
  console.log(
    `machine: ${os.cpus().length} x ${os.cpus()[0].model}, ${Math.round(
      os.totalmem() / 2 ** 30,
    )} GiB, ${new Date().toISOString()}`,
  );
  await dropBenchDatabases();
  const backend = await startBackend();
  try {
    // Warm-up: JIT, connection pools, and the catalog, which ingests the demo services in
    // the first seconds of a fresh database.
    for (let attempt = 1; ; attempt++) {
      const warm = await fetch(`${base}/v1/action-plans`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          source: 'warmup',
          decisions: [{ verb: 'restart', target: targets[0] }],
        }),
      });
      if (warm.status === 202) break;
      if (attempt === 60) {
        throw new Error(`warm-up refused: ${warm.status} ${await warm.text()}`);
      }
      await sleep(1000);
    }
    await sleep(2000);

    const { submitMs, ids, refused, seconds } = await submitAll();
    const plans = await waitForTerminal(ids);
    const byStatus = {};
    for (const p of plans) byStatus[p.status] = (byStatus[p.status] ?? 0) + 1;
    const applied = plans
      .filter(p => p.status === 'succeeded')
      .map(p => Date.parse(p.updatedAt) - Date.parse(p.createdAt))
      .sort((a, b) => a - b);
    const lastDone = Math.max(...plans.map(p => Date.parse(p.updatedAt)));
    const firstIn = Math.min(...plans.map(p => Date.parse(p.createdAt)));
    submitMs.sort((a, b) => a - b);
    const within2s =
      applied.filter(ms => ms <= 2000).length / Math.max(1, applied.length);

    const rows = [
      ['plans submitted (202)', ids.length],
      ['plans refused', refused],
      ['final statuses', JSON.stringify(byStatus)],
      ['submit throughput', `${(ids.length / seconds).toFixed(0)} plans/s`],
      [
        'applied throughput',
        `${(applied.length / ((lastDone - firstIn) / 1000)).toFixed(
          0,
        )} plans/s`,
      ],
      ['submit latency p50', `${percentile(submitMs, 50).toFixed(1)} ms`],
      ['submit latency p99', `${percentile(submitMs, 99).toFixed(1)} ms`],
      ['submit-to-applied p50', `${percentile(applied, 50)} ms`],
      ['submit-to-applied p99', `${percentile(applied, 99)} ms`],
      ['applied within 2 s', `${(within2s * 100).toFixed(1)} %`],
    ];
    for (const [k, v] of rows) console.log(`${k.padEnd(24)} ${v}`);
  } finally {
    process.kill(-backend.pid, 'SIGTERM');
    await once(backend, 'exit').catch(() => {});
  }
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
