// Starts Sentinel's image as production runs it and measures it (scripts/image.sh check).
//
// The container gets what environments/production gives a pod: the production configuration
// files, the environment variables its ConfigMap sets, the secrets and the PostgreSQL CA as files
// under /etc/sentinel, uid 1000. PostgreSQL is a cluster of its own made here that accepts only
// TLS connections with Sentinel's client certificate, so the image proves the production
// database settings (CA and host name verification, client certificate), not only that Node
// starts; Redis likewise serves TLS only to an ACL user with a password. Run with tsx
// (scripts/image.sh does): the servers' helpers are TypeScript.
//
// Prints image size, start-to-ready time (from `buildah run` until the readiness probe's path
// answers 200) and the idle resident memory of the Node process; exits 1 on a missed target.
//
//   node --import tsx scripts/image-check.mjs IMAGE READY_TARGET_S RSS_TARGET_MB
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedis, TestPki } from '@internal/kubernetes-test-server';
import { startPostgresCluster } from '@internal/vault-test-server';

const [image, readyTargetS = '30', rssTargetMb = '512'] = process.argv.slice(2);
if (!image) {
  console.error(
    'usage: node --import tsx scripts/image-check.mjs IMAGE [READY_TARGET_S] [RSS_TARGET_MB]',
  );
  process.exit(2);
}
const SENTINEL_RESULTS = 'node_modules/.cache/sentinel-test-results';
const PORT = 7007; // app-config.production.yaml's backend.listen
const METRICS_PORT = 9464; // the scrape endpoint's default, as the Deployment's annotations say
const IDLE_SECONDS = Number(process.env.SENTINEL_IMAGE_IDLE_S ?? 20);
const READY_TIMEOUT_MS = 120_000;
const log = message => console.error(`[image-check] ${message}`);
const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { encoding: 'utf8', ...opts }).trim();
// As scripts/image.sh runs it: buildah's own storage driver unless STORAGE_DRIVER names one.
const buildahArgs = args =>
  process.env.STORAGE_DRIVER
    ? ['--storage-driver', process.env.STORAGE_DRIVER, ...args]
    : args;
const buildah = args => run('buildah', buildahArgs(args));

const work = mkdtempSync('/var/tmp/sentinel-image-check.');
chmodSync(work, 0o755);
const cleanups = [];
const output = []; // the container's, kept in SENTINEL_RESULTS/image-check.log
let exitCode = 1;
async function cleanUp() {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      log(`cleanup: ${error.message}`);
    }
  }
  rmSync(work, { recursive: true, force: true });
  mkdirSync(SENTINEL_RESULTS, { recursive: true });
  writeFileSync(join(SENTINEL_RESULTS, 'image-check.log'), output.join(''));
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => cleanUp().finally(() => process.exit(130)));
}

try {
  await assertPortFree(PORT);
  const pki = new TestPki();
  cleanups.push(() => pki.remove());
  const database = await startTlsPostgres(pki);
  cleanups.push(database.stop);
  const redis = await startTlsRedis(pki);
  cleanups.push(redis.stop);
  const mounts = writePodFiles(database, redis);
  const env = {
    // The production ConfigMap's own: the portal's public address is never dialed here.
    SENTINEL_BASE_URL: 'https://sentinel.example.com',
    POSTGRES_HOST: 'localhost',
    POSTGRES_PORT: String(database.port),
    POSTGRES_USER: 'sentinel',
    // Read only when an optimizer's token arrives; none does here.
    SENTINEL_OPTIMIZER_JWKS_URL: 'https://id.example.com/.well-known/jwks.json',
    SENTINEL_OPTIMIZER_ISSUER: 'https://id.example.com',
    // People's identity provider, discovered at start: a loopback port nothing serves, so the
    // check dials nothing outside the machine; sign-in would discover it again when asked
    // (packages/backend/src/auth/rediscovering.ts).
    SENTINEL_OIDC_METADATA_URL:
      'http://127.0.0.1:9/.well-known/openid-configuration',
    SENTINEL_OIDC_CLIENT_ID: 'sentinel',
    PROMETHEUS_URL: 'http://127.0.0.1:9090',
    REDIS_URL: redis.url,
  };
  const size = buildah(['images', '--format', '{{.Size}}', image]);

  const container = buildah(['from', '--quiet', '--pull-never', image]);
  cleanups.push(() => buildah(['rm', container]));
  const args = [
    'run',
    '--user',
    '1000:1000',
    ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    ...mounts.flatMap(m => ['--volume', m]),
    container,
    '--',
    // The production Deployment's command and arguments (deploy/k8s/base/deployment.yaml).
    'node',
    'packages/backend',
    '--config',
    'app-config.yaml',
    '--config',
    'app-config.production.yaml',
    '--config',
    '/etc/sentinel/config/config.yaml',
  ];
  // Anything the process writes outside /tmp would fail under a read-only root filesystem.
  const marker = join(work, 'started');
  writeFileSync(marker, '');
  const started = performance.now();
  const backend = spawn('buildah', buildahArgs(args), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [backend.stdout, backend.stderr]) {
    stream.on('data', chunk => output.push(chunk.toString()));
  }
  const exited = new Promise(resolve =>
    backend.on('exit', code => resolve(code)),
  );
  cleanups.push(async () => {
    const pids = nodePids(backend.pid);
    for (const pid of pids) process.kill(pid, 'SIGTERM');
    if (
      (await Promise.race([exited.then(() => true), sleep(15_000)])) !== true
    ) {
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      backend.kill('SIGKILL');
    }
  });

  const readyMs = await waitReady(
    `http://127.0.0.1:${PORT}/api/sentinel/health`,
    exited,
  );
  if (readyMs === undefined) {
    console.error(output.join('').split('\n').slice(-60).join('\n'));
    throw new Error(
      'the container did not become ready (its last output above)',
    );
  }
  const startToReadyS = (performance.now() - started) / 1000;
  log(`ready after ${startToReadyS.toFixed(1)} s`);
  await expectPortal(`http://127.0.0.1:${PORT}`);
  await expectMetrics(`http://127.0.0.1:${METRICS_PORT}/metrics`);

  const cpuBefore = cpuSeconds(nodePids(backend.pid)[0]);
  for (let s = 0; s < IDLE_SECONDS; s += 5) {
    await sleep(5000);
    log(
      `idle ${s + 5} s: RSS ${nodePids(backend.pid)
        .map(residentMb)
        .map(mb => mb.toFixed(0))
        .join(', ')} MB`,
    );
  }
  const pids = nodePids(backend.pid);
  if (pids.length !== 1)
    throw new Error(`expected one Node process, found ${pids.length}`);
  const rssMb = residentMb(pids[0]);
  const idleMillicores =
    ((cpuSeconds(pids[0]) - cpuBefore) / IDLE_SECONDS) * 1000;
  const uid = readFileSync(`/proc/${pids[0]}/status`, 'utf8').match(
    /^Uid:\s+(\d+)/m,
  )[1];
  if (uid !== '1000')
    throw new Error(`the backend runs as uid ${uid}, not 1000`);

  // Kubernetes stops a pod with SIGTERM, then SIGKILL after the grace period (30 s).
  const stopping = performance.now();
  process.kill(pids[0], 'SIGTERM');
  const exitCodeOnStop = await Promise.race([exited, sleep(30_000)]);
  const stopS = (performance.now() - stopping) / 1000;
  if (exitCodeOnStop !== 0) {
    throw new Error(
      `SIGTERM did not stop the backend cleanly within 30 s (${exitCodeOnStop})`,
    );
  }
  const written = writesOutsideTmp(container, marker);
  if (written.length) {
    throw new Error(
      `the backend wrote outside /tmp, which a read-only root forbids: ${written.join(
        ', ',
      )}`,
    );
  }

  const readyMet = startToReadyS < Number(readyTargetS);
  const rssMet = rssMb < Number(rssTargetMb);
  console.log(
    [
      `Sentinel image ${image} (${new Date().toISOString()}, ${
        cpus().length
      } × ${cpus()[0].model}, ${Math.round(
        totalmem() / 2 ** 30,
      )} GiB, buildah ${
        buildah(['--version']).split(' ')[2]
      }, storage ${buildah([
        'info',
        '--format',
        '{{.store.GraphDriverName}}',
      ])}, isolation ${process.env.BUILDAH_ISOLATION ?? 'default'})`,
      `  image size:          ${size}`,
      `  start to ready:      ${startToReadyS.toFixed(
        1,
      )} s (target < ${readyTargetS} s: ${readyMet ? 'met' : 'MISSED'})`,
      `  idle RSS after ${IDLE_SECONDS} s: ${rssMb.toFixed(
        0,
      )} MB (target < ${rssTargetMb} MB: ${rssMet ? 'met' : 'MISSED'})`,
      `  idle CPU:            ${idleMillicores.toFixed(0)} millicores`,
      `  stopped by SIGTERM:  ${stopS.toFixed(1)} s, exit code 0`,
      `  runs as uid 1000, writes nothing outside /tmp; PostgreSQL over TLS with the CA file and client certificate; Redis over TLS as an ACL user; portal served`,
    ].join('\n'),
  );
  exitCode = readyMet && rssMet ? 0 : 1;
} catch (error) {
  log(`failed: ${error.message}`);
  exitCode = 1;
} finally {
  await cleanUp();
}
process.exit(exitCode);

async function assertPortFree(port) {
  try {
    await fetch(`http://127.0.0.1:${port}/`, {
      signal: AbortSignal.timeout(2000),
    });
  } catch {
    return;
  }
  throw new Error(
    `port ${port} is in use (stop the app running there: the image listens on it)`,
  );
}

// A PostgreSQL cluster of its own: TLS only, and only with the client certificate of role
// sentinel (pg_hba `cert clientcert=verify-full`); its server certificate names localhost.
async function startTlsPostgres(pki) {
  const serverCa = pki.ca('postgres-server-ca');
  const clientCa = pki.ca('postgres-client-ca');
  const postgres = await startPostgresCluster({
    tls: serverCa.issue('localhost', {
      usage: 'server',
      subjectAltNames: ['DNS:localhost'],
    }),
    clientCaFile: clientCa.certFile,
    log,
  });
  postgres.psql('CREATE ROLE sentinel LOGIN CREATEDB');
  return {
    port: postgres.port,
    // Asked by no one here (pg_hba takes the certificate), but the pod has the file.
    password: randomBytes(12).toString('hex'),
    caFile: serverCa.certFile,
    client: clientCa.issue('sentinel', { usage: 'client' }),
    stop: () => postgres.stop(),
  };
}

// A Redis of its own: TLS only, its certificate naming localhost, ACL user sentinel.
async function startTlsRedis(pki) {
  const ca = pki.ca('redis-ca');
  const password = randomBytes(16).toString('hex');
  const redis = await startRedis({
    tls: ca.issue('localhost', {
      usage: 'server',
      subjectAltNames: ['DNS:localhost'],
    }),
    users: [{ name: 'sentinel', password }],
  });
  log(`Redis on ${redis.url}, TLS only`);
  return { url: redis.url, password, caFile: ca.certFile, stop: redis.stop };
}

// The files a production pod has under /etc/sentinel (deploy/k8s/base/deployment.yaml).
function writePodFiles(database, redis) {
  const dirs = Object.fromEntries(
    ['secrets', 'tls', 'postgresClient', 'config'].map(name => [
      name,
      join(work, name),
    ]),
  );
  for (const dir of Object.values(dirs)) mkdirSync(dir, { mode: 0o755 });
  writeFileSync(join(dirs.secrets, 'postgres-password'), database.password);
  writeFileSync(join(dirs.secrets, 'redis-password'), redis.password);
  copyFileSync(redis.caFile, join(dirs.tls, 'redis-ca.crt'));
  // Secret sentinel-auth's keys: the OIDC client secret and the session secret.
  writeFileSync(
    join(dirs.secrets, 'oidc-client-secret'),
    randomBytes(24).toString('base64url'),
  );
  writeFileSync(
    join(dirs.secrets, 'auth-session-secret'),
    randomBytes(48).toString('base64'),
  );
  copyFileSync(database.caFile, join(dirs.tls, 'postgres-ca.crt'));
  copyFileSync(database.client.certFile, join(dirs.postgresClient, 'tls.crt'));
  copyFileSync(database.client.keyFile, join(dirs.postgresClient, 'tls.key'));
  copyFileSync(
    'environments/production/config.yaml',
    join(dirs.config, 'config.yaml'),
  );
  for (const dir of Object.values(dirs)) {
    for (const file of readdirSync(dir)) chmodSync(join(dir, file), 0o644);
  }
  return [
    `${dirs.secrets}:/etc/sentinel/secrets:ro`,
    `${dirs.tls}:/etc/sentinel/tls:ro`,
    `${dirs.postgresClient}:/etc/sentinel/postgres-client:ro`,
    `${dirs.config}:/etc/sentinel/config:ro`,
  ];
}

// Files changed in the container's root since the marker, but for /tmp (an emptyDir in the
// pod) and what buildah itself provides (/etc/hosts, /etc/resolv.conf, /run, /dev, /proc).
function writesOutsideTmp(container, marker) {
  const root = buildah(['mount', container]);
  try {
    const changed = run('find', [
      root,
      '-xdev',
      '-newer',
      marker,
      '-not',
      '-type',
      'd',
    ]);
    return changed
      .split('\n')
      .filter(Boolean)
      .map(path => path.slice(root.length))
      .filter(path => !/^\/(tmp|run|dev|proc|sys)\//.test(path))
      .filter(
        path =>
          !['/etc/hosts', '/etc/resolv.conf', '/etc/hostname'].includes(path),
      );
  } finally {
    buildah(['umount', container]);
  }
}

async function waitReady(url, exited) {
  let gone = false;
  exited.then(() => (gone = true));
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (!gone && performance.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.status === 200) return performance.now();
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return undefined;
}

// The scrape endpoint the Deployment's prometheus.io annotations point at: Sentinel's own
// metrics (its database queries ran at start), the HTTP server's (the readiness polls above)
// and Node's. (Backstage's catalog gauges appear once it holds entities: production's catalog
// starts empty.)
async function expectMetrics(url) {
  const response = await fetch(url);
  const text = await response.text();
  const missing = [
    'sentinel_db_query_duration_seconds_count',
    'sentinel_plan_queue_depth',
    'http_server_request_duration_count',
    'nodejs_eventloop_delay_p99',
  ].filter(name => !text.includes(`\n${name}`));
  if (response.status !== 200 || missing.length) {
    throw new Error(
      `the metrics endpoint answered ${response.status} without ${missing.join(
        ', ',
      )}`,
    );
  }
}

async function expectPortal(baseUrl) {
  const liveness = await fetch(`${baseUrl}/.backstage/health/v1/liveness`);
  if (liveness.status !== 200)
    throw new Error(`liveness answered ${liveness.status}`);
  const page = await fetch(`${baseUrl}/`);
  const html = await page.text();
  if (page.status !== 200 || !html.includes('<div id="root">')) {
    throw new Error(`the portal's page is not served (status ${page.status})`);
  }
}

// The container's Node processes: descendants of `buildah run` (chroot isolation shares the
// host's process table).
function nodePids(root) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const found = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift();
    for (const child of children.get(pid) ?? []) {
      queue.push(child);
      try {
        const argv0 = readFileSync(`/proc/${child}/cmdline`, 'utf8').split(
          '\0',
        )[0];
        if (argv0.split('/').pop() === 'node') found.push(child);
      } catch {
        // exited meanwhile
      }
    }
  }
  return found;
}

// utime + stime, in the kernel's clock ticks (USER_HZ, 100 on Linux).
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function residentMb(pid) {
  const kb = Number(
    readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)[1],
  );
  return kb / 1024;
}
