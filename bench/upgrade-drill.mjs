// Upgrade and rollback drill (ADR 016, docs/upgrades.md): the previous release and this one
// run against the same PostgreSQL at once, as two replicas of a rolling update do, while an
// optimizer keeps submitting plans; then the previous one is stopped. Then the rollback: the
// previous release started again beside this one, and this one stopped.
//
//   yarn drill:upgrade                        # the previous release is HEAD^ (first parent)
//   yarn drill:upgrade --previous v2026.12.1  # any git ref; or DRILL_PREVIOUS_REF=<ref>
//
// The previous release is checked out with `git worktree add` into a temporary folder and
// installed there (`yarn install --immutable`; Yarn's global cache makes it quick); "this
// release" is this checkout as it is, uncommitted changes included. Both run the real backend
// (packages/backend, development mode) with bench/upgrade-drill.app-config.yaml, on databases
// of their own (sentinel_drill_*), against the simulated Kubernetes cluster in a process of its
// own (bench/simulatedCluster.ts). Optimizer clients submit one-decision `scale` plans with an
// Idempotency-Key each, through a load balancer in this process that sends each request to the
// next backend in rotation. A backend is stopped as Kubernetes stops a pod: SIGTERM, and out
// of rotation a moment later (DRILL_LB_LAG_MS). A request is retried, with the same key and
// body, only when the load balancer answers 502, 503 or 504 or the connection fails; those
// are counted.
//
// Just before a replica is stopped, it is sent a scale-up of each of a few slow workloads
// (pods ready after 15 s) directly, and stopped once those changes are rolling out: they are
// still under way when it exits, and the other release must finish them.
//
// Checks, after each drill, once every plan has ended: every request was answered 2xx; every
// answered Idempotency-Key names exactly one stored plan, with the id the client was given,
// and no plan was stored for a request never answered; every plan succeeded; no plan entered
// a status twice; the Kubernetes API server received exactly one successful write per
// succeeded decision of each workload (KubernetesTestServer.writes(), over every plan so
// far); both releases answered while they ran together; the stopped one exited on its own;
// the changes it left rolling out were finished by the other. Prints the figures and exits
// non-zero when a check fails.
//
// DRILL_CLIENTS (6), DRILL_THINK_MS (400), DRILL_PHASE_MS (8000: how long each arrangement
// serves), DRILL_LB_LAG_MS (1000), DRILL_PORT (7040, and the two after it) change the run;
// DRILL_KEEP_CHECKOUT=1 keeps the previous release's checkout (the next run reuses it).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
} from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import {
  connectDatabase,
  dropDatabases,
  fleetWorkloads,
  isServing,
  machineLine,
  optimizerHeaders,
  percentile,
  scalePlanBody,
  root,
  startBackend,
  startCluster,
  submitUntilAccepted,
  TERMINAL,
  writeBackendOverlay,
  writeFleetCatalog,
} from './harness.mjs';

const argument = name => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const previousRef =
  argument('--previous') ?? process.env.DRILL_PREVIOUS_REF ?? 'HEAD^';
const clients = Number(process.env.DRILL_CLIENTS ?? 6);
const thinkMs = Number(process.env.DRILL_THINK_MS ?? 400);
const phaseMs = Number(process.env.DRILL_PHASE_MS ?? 8000);
const lbLagMs = Number(process.env.DRILL_LB_LAG_MS ?? 1000);
const basePort = Number(process.env.DRILL_PORT ?? 7040);
const ports = { proxy: basePort, a: basePort + 1, b: basePort + 2 };
const keepCheckout = process.env.DRILL_KEEP_CHECKOUT === '1';
/**
 * 100 workloads whose pods get ready in half a second, and a few slow ones (15 s): changes
 * still rolling out when a replica stops, for the other release to finish.
 */
const fleet = {
  namespaces: 4,
  workloadsPerNamespace: 25,
  slow: { workloads: 4, readyAfterMs: 15_000 },
};
const workloads = fleetWorkloads(fleet);
const DATABASE_PREFIX = 'sentinel_drill_';
/** Answers of the load balancer that say the request may not have reached Sentinel. */
const RETRYABLE = new Set([502, 503, 504]);
const MAX_ATTEMPTS = 40;
const runId = Date.now().toString(36);
const started = performance.now();
const work = mkdtempSync(join(os.tmpdir(), 'sentinel-drill-'));

function log(message) {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`[${seconds.padStart(6)} s] ${message}`);
}

const git = (...args) =>
  execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();

/** Runs a shell command in `cwd`, its output into `logFile`; throws with the log's end. */
async function run(command, cwd, logFile) {
  const out = openSync(logFile, 'a');
  const child = spawn('bash', ['-c', command], {
    cwd,
    stdio: ['ignore', out, out],
    env: cleanEnv(),
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) {
    throw new Error(
      `\`${command}\` failed in ${cwd} (${code}):\n${tail(logFile, 30)}`,
    );
  }
}

/**
 * The environment without what `yarn run` adds about this project (another one is installed),
 * keeping npm's config: npm_config_nodedir names the headers native addons build against.
 */
function cleanEnv() {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) =>
        !/^npm_(package|lifecycle)_/.test(key) &&
        !['PROJECT_CWD', 'INIT_CWD', 'BERRY_BIN_FOLDER'].includes(key),
    ),
  );
  // As scripts/toolchain.sh does: the headers of the Node that runs them.
  const prefix = dirname(dirname(process.execPath));
  if (!env.npm_config_nodedir && existsSync(join(prefix, 'include/node'))) {
    env.npm_config_nodedir = prefix;
  }
  return env;
}

/** The API's error message of an answer, on one line. */
function messageOf(text) {
  try {
    return JSON.parse(text).error?.message ?? text.slice(0, 200);
  } catch {
    return text.replace(/\s+/g, ' ').slice(0, 200);
  }
}

function tail(file, lines) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

const migrationsIn = checkout =>
  readdirSync(join(checkout, 'plugins/sentinel-backend/migrations'))
    .filter(f => f.endsWith('.js'))
    .sort();

/** The previous release, checked out and installed; reused when kept from a run before. */
async function checkOutPrevious() {
  const sha = git('rev-parse', '--verify', `${previousRef}^{commit}`);
  const subject = git('log', '-1', '--format=%s', sha).slice(0, 100);
  const dir = join(os.tmpdir(), `sentinel-drill-release-${sha.slice(0, 12)}`);
  log(`previous release: ${previousRef} = ${sha.slice(0, 12)} "${subject}"`);
  const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
  log(
    `this release: ${root} at ${git('rev-parse', '--short=12', 'HEAD')}${
      dirty ? ' with uncommitted changes' : ''
    }`,
  );
  if (sha === git('rev-parse', 'HEAD') && !dirty) {
    throw new Error(
      `the previous release ${previousRef} is this checkout itself; name an older one with --previous`,
    );
  }
  git('worktree', 'prune');
  if (!existsSync(join(dir, 'package.json'))) {
    log(`checking it out into ${dir}`);
    git('worktree', 'add', '--detach', '--force', dir, sha);
  }
  const installLog = join(work, 'previous-install.log');
  log(`installing it (yarn install --immutable; log ${installLog})`);
  await run(
    'source scripts/toolchain.sh && yarn install --immutable',
    dir,
    installLog,
  );
  return { dir, sha };
}

/**
 * The load balancer in front of the replicas: each request goes to the next backend in
 * rotation. A connection refused never reached a server, so it goes to the next one (as
 * ingress-nginx and Envoy retry connect failures); any other failure is a 502.
 */
function startLoadBalancer(port) {
  const upstreams = new Map();
  let turn = 0;
  const stats = { rerouted: 0, badGateway: 0 };
  const forward = (upstream, req, body) =>
    new Promise((resolve, reject) => {
      const out = http.request(
        {
          host: '127.0.0.1',
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: `localhost:${upstream.port}` },
          agent: false,
        },
        res => {
          const chunks = [];
          res.on('data', chunk => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode,
              headers: res.headers,
              body: Buffer.concat(chunks),
            }),
          );
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const tried = new Set();
    for (;;) {
      const ready = [...upstreams.values()].filter(
        u => u.inRotation && !tried.has(u.name),
      );
      if (ready.length === 0) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: { message: 'no backend in rotation' } }),
        );
        return;
      }
      const upstream = ready[turn++ % ready.length];
      tried.add(upstream.name);
      try {
        const answer = await forward(upstream, req, body);
        const headers = { ...answer.headers };
        for (const hop of ['connection', 'keep-alive', 'transfer-encoding']) {
          delete headers[hop];
        }
        res.writeHead(answer.status, {
          ...headers,
          'content-length': answer.body.length,
          'x-drill-backend': upstream.name,
        });
        res.end(answer.body);
        return;
      } catch (error) {
        if (error.code === 'ECONNREFUSED') {
          stats.rerouted += 1;
          continue;
        }
        stats.badGateway += 1;
        res.writeHead(502, {
          'content-type': 'application/json',
          'x-drill-backend': upstream.name,
        });
        res.end(
          JSON.stringify({ error: { message: error.code ?? error.message } }),
        );
        return;
      }
    }
  });
  server.keepAliveTimeout = 60_000;
  return {
    base: `http://localhost:${port}/api/sentinel`,
    stats,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', resolve);
      }),
    add(name, upstreamPort) {
      upstreams.set(name, { name, port: upstreamPort, inRotation: true });
    },
    remove(name) {
      upstreams.delete(name);
    },
    close: () =>
      new Promise(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every submission, with what was answered to each attempt. */
const records = [];
let submitted = 0;

/** Loads under way, stopped on the way out whatever happened. */
const loads = new Set();

/** Optimizer clients submitting at a steady pace until stopped. */
function startLoad(base, phase) {
  let running = true;
  const submitOne = async n => {
    const body = scalePlanBody(workloads, n);
    const record = {
      phase,
      key: `drill-${runId}-${n}`,
      sentAt: Date.now(),
      attempts: [],
    };
    records.push(record);
    const t0 = performance.now();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      try {
        const res = await request(`${base}/v1/action-plans`, {
          method: 'POST',
          headers: { ...optimizerHeaders, 'Idempotency-Key': record.key },
          body,
        });
        const text = await res.body.text();
        const backend = res.headers['x-drill-backend'];
        record.attempts.push({ status: res.statusCode, backend });
        if (res.statusCode === 202 || res.statusCode === 200) {
          record.planId = JSON.parse(text).id;
          record.backend = backend;
          break;
        }
        if (!RETRYABLE.has(res.statusCode)) {
          record.error = `${res.statusCode} ${messageOf(text)}`;
          break;
        }
      } catch (error) {
        record.attempts.push({ error: error.code ?? error.message });
      }
      await sleep(250);
    }
    if (!record.planId && !record.error) {
      record.error = `no answer after ${MAX_ATTEMPTS} attempts`;
    }
    record.latencyMs = performance.now() - t0;
  };
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      await sleep(thinkMs * (0.5 + Math.random()));
      if (!running) return;
      await submitOne(submitted++);
    }
  });
  const load = {
    async stop() {
      running = false;
      loads.delete(load);
      await Promise.all(loops);
    },
  };
  loads.add(load);
  return load;
}

/**
 * Plans the replica about to stop accepts and is still rolling out when it stops: a scale-up
 * of each slow workload, sent to it directly. Resolves with their ids once each decision is
 * applied and rolling out.
 */
async function submitInFlight(backend, name, phase, replicas) {
  const ids = [];
  for (let m = 0; m < fleet.slow.workloads; m++) {
    const record = {
      phase,
      key: `drill-${runId}-${phase}-slow-${m}`,
      sentAt: Date.now(),
      attempts: [],
      slow: true,
    };
    records.push(record);
    const t0 = performance.now();
    const res = await request(`${backend.base}/v1/action-plans`, {
      method: 'POST',
      headers: { ...optimizerHeaders, 'Idempotency-Key': record.key },
      body: JSON.stringify({
        source: 'InfraMind',
        decisions: [
          {
            verb: 'scale',
            target: { cluster: 'demo', namespace: 'slow', name: `svc-${m}` },
            params: { replicas },
            confidence: 0.9,
          },
        ],
      }),
    });
    const text = await res.body.text();
    record.latencyMs = performance.now() - t0;
    record.attempts.push({ status: res.statusCode, backend: name });
    if (res.statusCode !== 202) {
      record.error = `${res.statusCode} ${messageOf(text)}`;
      continue;
    }
    record.planId = JSON.parse(text).id;
    record.backend = name;
    ids.push(record.planId);
  }
  const db = await connectDatabase(`${DATABASE_PREFIX}sentinel`);
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await db.query(
        `select count(*)::int as n from plan_decisions
          where plan_id = any($1) and status = 'rolling_out'`,
        [ids],
      );
      if (rows[0].n === ids.length) break;
      if (Date.now() > deadline) {
        // The checks say what became of them.
        log(
          `${name} did not start rolling out the slow workloads' changes within 60 s`,
        );
        return ids;
      }
      await sleep(200);
    }
  } finally {
    await db.end();
  }
  log(`${name} accepted ${ids.length} changes to slow workloads, rolling out`);
  return ids;
}

/** Those of `ids` that have not ended. */
async function unfinished(ids) {
  const db = await connectDatabase(`${DATABASE_PREFIX}sentinel`);
  try {
    const { rows } = await db.query(
      'select id from plans where id = any($1) and not (status = any($2))',
      [ids, TERMINAL],
    );
    return rows.map(r => r.id);
  } finally {
    await db.end();
  }
}

/**
 * Stops a backend as Kubernetes stops a pod: SIGTERM, and out of the load balancer's rotation
 * after `lbLagMs` (the endpoints catch up). Resolves when it exited.
 */
async function stopReplica(loadBalancer, backend, name, inFlight) {
  const t0 = performance.now();
  log(`stopping ${name} (SIGTERM; out of rotation in ${lbLagMs} ms)`);
  const lag = sleep(lbLagMs).then(() => loadBalancer.remove(name));
  const graceful = await backend.stop({ graceMs: 90_000 });
  await lag;
  const seconds = (performance.now() - t0) / 1000;
  log(
    `${name} ${
      graceful ? 'exited' : 'was KILLED, not exited,'
    } ${seconds.toFixed(1)} s after SIGTERM`,
  );
  const stillInFlight = await unfinished(inFlight);
  log(
    `${stillInFlight.length} of the ${inFlight.length} changes it accepted to slow workloads are still under way`,
  );
  return { graceful, seconds, at: Date.now(), inFlight, stillInFlight };
}

/** Waits until every plan of `ids` has ended (or the deadline); returns the stored plans. */
async function settledPlans(db, ids, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query(
      'select count(*)::int as n from plans where id = any($1) and status = any($2)',
      [ids, TERMINAL],
    );
    if (rows[0].n >= ids.length || Date.now() > deadline) break;
    await sleep(500);
  }
  const { rows } = await db.query(
    `select id, idempotency_key, status, status_reason, updated_at from plans
      where idempotency_key like $1`,
    [`drill-${runId}-%`],
  );
  return rows;
}

/** Successful writes to each workload at the API server vs decisions that succeeded. */
async function writesAgainstDecisions(db, cluster) {
  const writes = await cluster.writes();
  const written = new Map();
  let conflicts = 0;
  for (const w of writes) {
    if (w.resource !== 'deployments' && w.resource !== 'deployments/scale') {
      continue;
    }
    const key = `${w.namespace}/${w.name}`;
    if (w.code === 409) conflicts += w.count;
    if (w.code >= 200 && w.code < 300) {
      written.set(key, (written.get(key) ?? 0) + w.count);
    }
  }
  const { rows } = await db.query(
    `select namespace, name, count(*)::int as n from plan_decisions
      where status = 'succeeded' group by namespace, name`,
  );
  const decided = new Map(rows.map(r => [`${r.namespace}/${r.name}`, r.n]));
  const mismatched = [];
  for (const key of new Set([...written.keys(), ...decided.keys()])) {
    const w = written.get(key) ?? 0;
    const d = decided.get(key) ?? 0;
    if (w !== d) mismatched.push(`${key}: ${w} writes for ${d} decisions`);
  }
  const sum = map => [...map.values()].reduce((a, b) => a + b, 0);
  return {
    writes: sum(written),
    decisions: sum(decided),
    conflicts,
    mismatched,
  };
}

/** The checks and figures of one drill; returns whether every check held. */
async function judge({
  name,
  phase,
  stopped,
  started: startedName,
  overlap,
  cluster,
}) {
  const mine = records.filter(r => r.phase === phase);
  const answered = mine.filter(r => r.planId);
  const failed = mine.filter(r => !r.planId);
  const retried = mine.filter(r => r.attempts.length > 1);
  log(`${name}: waiting for ${answered.length} plans to end`);
  const db = await connectDatabase(`${DATABASE_PREFIX}sentinel`);
  try {
    const stored = await settledPlans(
      db,
      answered.map(r => r.planId),
      180_000,
    );
    log('plans settled (or 180 s passed)');
    const byKey = new Map(stored.map(p => [p.idempotency_key, p]));
    const phaseKeys = new Set(mine.map(r => r.key));
    const lost = answered.filter(r => byKey.get(r.key)?.id !== r.planId);
    const unanswered = stored.filter(
      p =>
        phaseKeys.has(p.idempotency_key) &&
        !answered.some(r => r.key === p.idempotency_key),
    );
    const plans = answered.map(r => byKey.get(r.key)).filter(Boolean);
    const byStatus = {};
    for (const p of plans) byStatus[p.status] = (byStatus[p.status] ?? 0) + 1;
    const unfinished = plans.filter(p => !TERMINAL.includes(p.status));
    const notSucceeded = plans.filter(p => p.status !== 'succeeded');
    const { rows: twice } = await db.query(
      `select plan_id, status, count(*)::int as n from plan_events
        where plan_id = any($1) group by plan_id, status having count(*) > 1`,
      [plans.map(p => p.id)],
    );
    const cluster_ = await writesAgainstDecisions(db, cluster);
    const resumed = answered.filter(
      r =>
        r.backend === stopped.name &&
        byKey.get(r.key)?.updated_at.getTime() > stopped.at,
    );
    const during = mine.filter(
      r => r.sentAt >= overlap.from && r.sentAt <= overlap.to,
    );
    const duringBy = name_ => during.filter(r => r.backend === name_).length;
    const latencies = answered
      .filter(r => !r.slow)
      .map(r => r.latencyMs)
      .sort((a, b) => a - b);
    const overlapLatencies = during
      .filter(r => r.planId && !r.slow)
      .map(r => r.latencyMs)
      .sort((a, b) => a - b);
    const by = name_ => answered.filter(r => r.backend === name_).length;

    console.log(`\n${name}`);
    const rows = [
      [
        'requests',
        `${mine.length} (answered 2xx ${answered.length}, retried ${retried.length}, failed ${failed.length})`,
      ],
      ['answered 2xx by', `previous ${by('previous')}, new ${by('new')}`],
      [
        'overlap',
        `${((overlap.to - overlap.from) / 1000).toFixed(1)} s, ${
          during.length
        } requests: previous ${duringBy('previous')}, new ${duringBy('new')}`,
      ],
      ['plans', `${plans.length} stored, ${JSON.stringify(byStatus)}`],
      [
        `resumed after ${stopped.name} stopped`,
        `${resumed.length} plans it accepted ended after it exited (${stopped.stillInFlight.length} of them rolling out when it exited)`,
      ],
      [
        'submit latency p50 / p99',
        `${percentile(latencies, 50)?.toFixed(1)} / ${percentile(
          latencies,
          99,
        )?.toFixed(1)} ms; p99 during the overlap ${percentile(
          overlapLatencies,
          99,
        )?.toFixed(1)} ms`,
      ],
      [
        `${stopped.name} stopped`,
        `${
          stopped.graceful ? 'on its own' : 'KILLED'
        } ${stopped.seconds.toFixed(1)} s after SIGTERM`,
      ],
      [
        'API server writes',
        `${cluster_.writes} successful workload writes for ${cluster_.decisions} succeeded decisions (all drills so far); ${cluster_.conflicts} refused with 409 and retried`,
      ],
    ];
    for (const [k, v] of rows) console.log(`  ${k.padEnd(30)} ${v}`);
    const errors = new Map();
    for (const r of mine) {
      for (const a of r.attempts) {
        if (a.status === 200 || a.status === 202) continue;
        const why =
          a.error ?? `${a.status} from ${a.backend ?? 'the load balancer'}`;
        errors.set(why, (errors.get(why) ?? 0) + 1);
      }
    }
    for (const [why, n] of errors)
      console.log(`  attempt answered ${why}: ${n}x`);

    const checks = [
      [
        'every request answered 2xx (retries with the same Idempotency-Key counted above)',
        failed.length === 0,
        failed
          .slice(0, 3)
          .map(r => `${r.key}: ${r.error}`)
          .join('; '),
      ],
      [
        'no plan lost: each answered key names one stored plan, the one answered',
        lost.length === 0,
        lost
          .slice(0, 3)
          .map(
            r =>
              `${r.key} answered ${r.planId}, stored ${byKey.get(r.key)?.id}`,
          )
          .join('; '),
      ],
      [
        'no plan stored for a request never answered',
        unanswered.length === 0,
        unanswered
          .map(p => p.idempotency_key)
          .slice(0, 3)
          .join(', '),
      ],
      [
        'every plan ended',
        unfinished.length === 0,
        unfinished
          .slice(0, 3)
          .map(p => `${p.id} ${p.status}`)
          .join(', '),
      ],
      [
        'every plan succeeded',
        notSucceeded.length === 0,
        notSucceeded
          .slice(0, 3)
          .map(p => `${p.id} ${p.status}: ${p.status_reason ?? ''}`)
          .join('; '),
      ],
      [
        'no plan entered a status twice',
        twice.length === 0,
        twice
          .slice(0, 3)
          .map(t => `${t.plan_id} ${t.status} x${t.n}`)
          .join(', '),
      ],
      [
        'each succeeded decision written to the cluster exactly once',
        cluster_.mismatched.length === 0,
        cluster_.mismatched.slice(0, 5).join('; '),
      ],
      [
        `both releases answered while they ran together (${startedName} joined, ${stopped.name} left)`,
        duringBy('previous') > 0 && duringBy('new') > 0,
        `previous ${duringBy('previous')}, new ${duringBy('new')}`,
      ],
      [`${stopped.name} exited on its own after SIGTERM`, stopped.graceful, ''],
      [
        `the ${stopped.inFlight.length} changes ${stopped.name} was rolling out when it exited were finished by ${startedName}`,
        stopped.stillInFlight.length === stopped.inFlight.length &&
          stopped.inFlight.length === fleet.slow.workloads &&
          stopped.inFlight.every(
            id => plans.find(p => p.id === id)?.status === 'succeeded',
          ),
        `${stopped.stillInFlight.length} of ${stopped.inFlight.length} still under way at its exit`,
      ],
    ];
    console.log('  checks:');
    for (const [what, ok, detail] of checks) {
      console.log(
        `    ${ok ? 'ok    ' : 'FAILED'} ${what}${
          !ok && detail ? `: ${detail}` : ''
        }`,
      );
    }
    return checks.every(([, ok]) => ok);
  } finally {
    await db.end();
  }
}

async function main() {
  console.log(
    `Sentinel upgrade and rollback drill: ${clients} clients, think time ${thinkMs} ms, ${
      phaseMs / 1000
    } s per arrangement, fleet ${workloads.length} workloads`,
  );
  console.log(machineLine());
  for (const port of Object.values(ports)) {
    const taken = await fetch(`http://localhost:${port}/`).then(
      () => true,
      () => false,
    );
    if (taken) {
      throw new Error(
        `something already listens on port ${port}; stop it (or set DRILL_PORT)`,
      );
    }
  }
  const previous = await checkOutPrevious();
  const lacking = migrationsIn(root).filter(
    m => !migrationsIn(previous.dir).includes(m),
  );
  log(
    `migrations the previous release does not have: ${
      lacking.length ? lacking.join(', ') : 'none'
    }`,
  );

  await dropDatabases(DATABASE_PREFIX);
  const cluster = await startCluster(fleet, 500);
  const catalog = writeFleetCatalog(fleet, work);
  const config = join(root, 'bench/upgrade-drill.app-config.yaml');
  const overlay = (name, port) =>
    writeBackendOverlay({
      dir: work,
      name,
      port,
      catalog,
      kubeconfig: cluster.kubeconfig,
    });
  const overlays = { a: overlay('a', ports.a), b: overlay('b', ports.b) };
  const loadBalancer = startLoadBalancer(ports.proxy);
  await loadBalancer.listen();
  const running = [];
  const start = async (name, checkout, slot) => {
    const logFile = join(work, `${name}-${slot}-${running.length}.log`);
    log(`starting ${name} on port ${ports[slot]} (log ${logFile})`);
    const t0 = performance.now();
    const backend = await startBackend({
      checkout,
      configs: [config, overlays[slot]],
      port: ports[slot],
      logFile,
    });
    running.push(backend);
    loadBalancer.add(name, ports[slot]);
    log(
      `${name} serves (${((performance.now() - t0) / 1000).toFixed(
        1,
      )} s) and is in rotation`,
    );
    return backend;
  };

  let ok = true;
  try {
    // The upgrade: the previous release alone, then both, then the new one alone.
    const previousA = await start('previous', previous.dir, 'a');
    // Until the catalog has ingested every component (one plan to each; they apply too).
    const namespaces = [...new Set(workloads.map(w => w.namespace)), 'slow'];
    for (const namespace of namespaces) {
      await submitUntilAccepted(loadBalancer.base, {
        cluster: 'demo',
        namespace,
        name: 'svc-0',
      });
    }
    log('optimizer clients submitting');
    const upgradeLoad = startLoad(loadBalancer.base, 'upgrade');
    await sleep(phaseMs);
    log(
      'starting the new release beside it: its migrations run while the previous one serves',
    );
    const next = await start('new', root, 'b');
    const upgradeOverlap = { from: Date.now() };
    await sleep(phaseMs);
    const handedOver = await submitInFlight(
      previousA,
      'previous',
      'upgrade',
      2,
    );
    const stoppedPrevious = await stopReplica(
      loadBalancer,
      previousA,
      'previous',
      handedOver,
    );
    running.splice(running.indexOf(previousA), 1);
    upgradeOverlap.to = stoppedPrevious.at;
    await sleep(phaseMs);
    await upgradeLoad.stop();
    log('optimizer clients stopped');
    ok =
      (await judge({
        name: `upgrade drill: ${previousRef} (${previous.sha.slice(
          0,
          12,
        )}) -> this checkout`,
        phase: 'upgrade',
        stopped: { name: 'previous', ...stoppedPrevious },
        started: 'new',
        overlap: upgradeOverlap,
        cluster,
      })) && ok;

    // The rollback: the previous release again beside the new one, then the new one stopped.
    console.log('');
    log('optimizer clients submitting');
    const rollbackLoad = startLoad(loadBalancer.base, 'rollback');
    await sleep(phaseMs / 2);
    log(
      'starting the previous release again beside the new one, on the schema the new one migrated',
    );
    const previousB = await start('previous', previous.dir, 'a');
    const rollbackOverlap = { from: Date.now() };
    await sleep(phaseMs);
    const handedBack = await submitInFlight(next, 'new', 'rollback', 3);
    const stoppedNew = await stopReplica(loadBalancer, next, 'new', handedBack);
    running.splice(running.indexOf(next), 1);
    rollbackOverlap.to = stoppedNew.at;
    await sleep(phaseMs);
    await rollbackLoad.stop();
    log('optimizer clients stopped');
    ok =
      (await judge({
        name: `rollback drill: this checkout -> ${previousRef} (${previous.sha.slice(
          0,
          12,
        )})`,
        phase: 'rollback',
        stopped: { name: 'new', ...stoppedNew },
        started: 'previous',
        overlap: rollbackOverlap,
        cluster,
      })) && ok;
    if (!(await isServing(previousB.base))) {
      console.log(
        '  FAILED the previous release no longer serves after the rollback',
      );
      ok = false;
    }
    console.log(
      `\nload balancer: ${loadBalancer.stats.rerouted} requests sent on after a refused connection, ${loadBalancer.stats.badGateway} answered 502`,
    );
  } finally {
    await Promise.all([...loads].map(load => load.stop()));
    await Promise.all(running.map(b => b.stop({ graceMs: 30_000 })));
    await loadBalancer.close();
    await cluster.stop();
    if (!keepCheckout) {
      log(`removing ${previous.dir} (DRILL_KEEP_CHECKOUT=1 keeps it)`);
      // Deleting its 2 GB takes about a minute: moved aside and unregistered at once, deleted
      // in the background after this process has ended.
      const doomed = `${previous.dir}.removing-${process.pid}`;
      try {
        renameSync(previous.dir, doomed);
        git('worktree', 'prune');
        spawn('rm', ['-rf', doomed], {
          detached: true,
          stdio: 'ignore',
        }).unref();
      } catch (error) {
        console.error(`could not remove ${previous.dir}: ${error.message}`);
      }
    }
  }
  log(`drill ${ok ? 'passed' : 'FAILED'}; backend logs in ${work}`);
  if (!ok) process.exitCode = 1;
}

main().catch(error => {
  console.error(`drill FAILED: ${error.stack ?? error}`);
  process.exitCode = 1;
});
