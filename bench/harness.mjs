// What the benchmark (bench/pipeline.mjs) and the upgrade drill (bench/upgrade-drill.mjs)
// share: the simulated Kubernetes cluster in a process of its own with a fleet mapped to
// catalog entities, the real backend (packages/backend, development mode) started from a
// checkout on the local PostgreSQL, its databases, and the optimizer's submissions.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** This checkout's root. */
export const root = fileURLToPath(new URL('..', import.meta.url));

export const databaseUrl =
  process.env.SENTINEL_BENCH_DATABASE_URL ??
  'postgresql://postgres@127.0.0.1:5432';

/** How the optimizer authenticates (the embedded default's static token). */
export const optimizerHeaders = {
  Authorization: `Bearer ${
    process.env.SENTINEL_OPTIMIZER_TOKEN ?? 'dev-optimizer-token'
  }`,
  'Content-Type': 'application/json',
};

export const TERMINAL = [
  'succeeded',
  'failed',
  'rolled_back',
  'rejected',
  'cancelled',
  'simulated',
];

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}

/** The machine and date line every benchmark prints. */
export function machineLine() {
  const cpus = os.cpus();
  return `machine: ${cpus.length} x ${cpus[0].model}, ${Math.round(
    os.totalmem() / 2 ** 30,
  )} GiB, Node ${process.versions.node}; ${new Date().toISOString()}`;
}

/** The fleet's workloads, namespace by namespace for each name, as plans cycle through them. */
export function fleetWorkloads(fleet) {
  const workloads = [];
  for (let m = 0; m < fleet.workloadsPerNamespace; m++) {
    for (let n = 0; n < fleet.namespaces; n++) {
      workloads.push({
        cluster: 'demo',
        namespace: `fleet-${n}`,
        name: `svc-${m}`,
      });
    }
  }
  return workloads;
}

/**
 * The n-th optimizer plan over the fleet, as JSON: each workload in turn, scaled between one and
 * two replicas, so every change rolls out.
 */
export function scalePlanBody(workloads, n) {
  const round = Math.floor(n / workloads.length);
  return JSON.stringify({
    source: 'InfraMind',
    decisions: [
      {
        verb: 'scale',
        target: workloads[n % workloads.length],
        params: { replicas: round % 2 === 0 ? 2 : 1 },
        confidence: 0.9,
      },
    ],
  });
}

/**
 * Starts bench/simulatedCluster.ts with the fleet (and its `slow` workloads, if any). Resolves with its kubeconfig, `writes()`
 * (the writes its API server answered, see KubernetesTestServer.writes) and `stop()`.
 */
export async function startCluster(fleet, readyAfterMs) {
  const child = spawn(
    join(root, 'node_modules/.bin/tsx'),
    [
      join(root, 'bench/simulatedCluster.ts'),
      JSON.stringify({ ...fleet, readyAfterMs }),
    ],
    { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', line => waiting.shift()?.(JSON.parse(line)));
  const nextLine = () => new Promise(resolve => waiting.push(resolve));
  const { kubeconfig } = await Promise.race([
    nextLine(),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the simulated cluster exited with ${code}`);
    }),
  ]);
  return {
    child,
    kubeconfig,
    async writes() {
      const answer = nextLine();
      child.stdin.write('writes\n');
      return (await answer).writes;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/**
 * The fleet's catalog (one component per namespace, `slow` too when the fleet has slow
 * workloads), written into `dir`; returns its path.
 */
export function writeFleetCatalog(fleet, dir) {
  const components = [];
  for (let n = 0; n < fleet.namespaces; n++) {
    components.push([`fleet-${n}`, fleet.workloadsPerNamespace]);
  }
  if (fleet.slow) components.push(['slow', fleet.slow.workloads]);
  const entities = components.map(([namespace, count]) => {
    const refs = [];
    for (let m = 0; m < count; m++) {
      refs.push(`demo/${namespace}/Deployment/svc-${m}`);
    }
    return [
      'apiVersion: backstage.io/v1alpha1',
      'kind: Component',
      'metadata:',
      `  name: ${namespace}`,
      '  annotations:',
      `    sentinel.io/workloads: ${refs.join(', ')}`,
      'spec:',
      '  type: service',
      '  lifecycle: production',
      '  owner: group:default/team-shop',
    ].join('\n');
  });
  const catalog = join(dir, 'fleet.yaml');
  writeFileSync(catalog, `${entities.join('\n---\n')}\n`);
  return catalog;
}

/**
 * The config overlay of one backend: its port, the fleet's catalog, the simulated cluster
 * instead of the embedded one. Written into `dir` as `<name>.app-config.yaml`.
 */
export function writeBackendOverlay({ dir, name, port, catalog, kubeconfig }) {
  const overlay = join(dir, `${name}.app-config.yaml`);
  writeFileSync(
    overlay,
    [
      'backend:',
      `  baseUrl: http://localhost:${port}`,
      '  listen:',
      `    port: ${port}`,
      'catalog:',
      '  locations:',
      '    - type: file',
      `      target: ${catalog}`,
      'sentinel:',
      '  simulatedCluster:',
      '    enabled: false',
      '  clusters:',
      '    - name: demo',
      '      kubeconfig:',
      `        path: ${kubeconfig}`,
      '',
    ].join('\n'),
  );
  return overlay;
}

/** Drops the databases whose names start with `prefix` (a backend's, with all its plugins'). */
export async function dropDatabases(prefix) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      'select datname from pg_database where datname like $1',
      [`${prefix.replace(/_/g, '\\_')}%`],
    );
    for (const { datname } of rows) {
      await client.query(`drop database "${datname}" with (force)`);
    }
  } finally {
    await client.end();
  }
}

/** A connection to one plugin's database, e.g. `sentinel_bench_sentinel`. */
export async function connectDatabase(name) {
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  return db;
}

/** Whether Sentinel answers at `base` (its health route names the demo cluster). */
export async function isServing(base) {
  try {
    const res = await fetch(`${base}/health`);
    return res.ok && (await res.json()).clusters.includes('demo');
  } catch {
    return false;
  }
}

/**
 * Starts the backend of the checkout at `checkout` (development mode, as `yarn workspace
 * backend start` does) with `configs` after its own app-config.yaml, and waits until Sentinel
 * answers on `port`. Its output goes to `logFile` if given (then a backend that logs that its
 * startup failed is given up at once, naming why; it would otherwise go on answering 503);
 * without one, errors go to this process's. `stop()` sends SIGTERM to the CLI, which passes it to the backend and exits when
 * the backend has (Backstage's graceful shutdown); resolves with whether it exited within
 * `graceMs`, killing the whole process group when it did not.
 */
export async function startBackend({
  checkout = root,
  configs,
  port,
  env = {},
  logFile,
  readyTimeoutMs = 180_000,
}) {
  const output = logFile ? openSync(logFile, 'a') : undefined;
  const child = spawn(
    join(checkout, 'node_modules/.bin/backstage-cli'),
    [
      'package',
      'start',
      '--config',
      '../../app-config.yaml',
      ...configs.flatMap(config => ['--config', config]),
    ],
    {
      cwd: join(checkout, 'packages/backend'),
      // Backends side by side: no metrics endpoint unless the caller gives one its port.
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        SENTINEL_METRICS_PORT: '0',
        ...env,
      },
      stdio: ['ignore', output ?? 'ignore', output ?? 'inherit'],
      detached: true,
    },
  );
  const exited = once(child, 'exit');
  const backend = {
    child,
    base: `http://localhost:${port}/api/sentinel`,
    async stop({ graceMs = 60_000 } = {}) {
      if (child.exitCode !== null || child.signalCode !== null) return true;
      child.kill('SIGTERM');
      const graceful = await Promise.race([
        exited.then(() => true),
        // Unreferenced: a timer left running must not keep the process alive.
        sleep(graceMs, false, { ref: false }),
      ]);
      if (!graceful) {
        process.kill(-child.pid, 'SIGKILL');
        await exited;
      }
      return graceful;
    },
    /** Kills what is left of it (after a failure): the whole process group. */
    kill() {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    },
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(
        `the backend on port ${port} exited with ${child.exitCode} before it served`,
      );
    }
    if (await isServing(backend.base)) return backend;
    const failure = logFile && startupFailure(readFileSync(logFile, 'utf8'));
    if (failure) {
      backend.kill();
      throw new Error(
        `the backend on port ${port} failed to start (log ${logFile}):\n${failure}`,
      );
    }
    await sleep(500);
  }
  backend.kill();
  throw new Error(
    `the backend on port ${port} did not serve within ${
      readyTimeoutMs / 1000
    } s`,
  );
}

/** Backstage's own words when a backend's startup failed, without colours; or undefined. */
function startupFailure(log) {
  if (!log.includes('Backend startup failed')) return undefined;
  // eslint-disable-next-line no-control-regex
  const plain = log.replace(/\u001b\[[0-9;]*m/g, '');
  return [
    ...new Set(
      plain
        .split('\n')
        .filter(line =>
          /startup failed|threw an error during startup/.test(line),
        )
        .map(line => line.replace(/ (type|stack)=.*$/, '').slice(0, 400)),
    ),
  ].join('\n');
}

/** Submits until the catalog knows `target`'s entity (ingested in the first seconds). */
export async function submitUntilAccepted(base, target) {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${base}/v1/action-plans`, {
      method: 'POST',
      headers: optimizerHeaders,
      body: JSON.stringify({
        source: 'warmup',
        decisions: [
          { verb: 'scale', target, params: { replicas: 1 }, confidence: 0.9 },
        ],
      }),
    });
    if (res.status === 202) return (await res.json()).id;
    if (attempt === 90) {
      throw new Error(`warm-up refused: ${res.status} ${await res.text()}`);
    }
    await sleep(1000);
  }
}
