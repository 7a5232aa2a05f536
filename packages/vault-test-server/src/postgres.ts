// A PostgreSQL cluster of its own, made with initdb and started with pg_ctl from the machine's
// PostgreSQL binaries: scram-sha-256 passwords on every connection (the machines' shared
// PostgreSQL trusts 127.0.0.1, so a wrong password would pass there), optionally TLS only, and
// optionally client certificates instead of passwords over the network.
//
// Only erasable TypeScript and node: imports, so that plain Node scripts import this file as it
// is (scripts/image-check.mjs does).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * Options of {@link startPostgresCluster}.
 *
 * @public
 */
export interface StartPostgresClusterOptions {
  /** An empty or missing directory for the cluster; a new temporary one by default (removed by `stop`). */
  dir?: string;
  /**
   * Accept only TLS connections (hostssl), serving this certificate and key (PEM files; the
   * certificate names the host clients dial, e.g. localhost).
   */
  tls?: { certFile: string; keyFile: string };
  /**
   * With `tls`: over the network, roles sign in with a client certificate that chains to this
   * CA (PEM file) and whose CN is the role (`cert clientcert=verify-full`), not a password.
   */
  clientCaFile?: string;
  /** Called with progress lines. */
  log?: (message: string) => void;
}

/**
 * A running cluster made by {@link startPostgresCluster}.
 *
 * @public
 */
export interface PostgresCluster {
  /** Where it listens. */
  host: 'localhost';
  /** Its port (a free one). */
  port: number;
  /** The superuser (`postgres`) password; every role needs its password. */
  superuserPassword: string;
  /** PostgreSQL's major version used. */
  version: string;
  /** Runs SQL as the superuser with psql; returns its unaligned, tuples-only output. */
  psql(sql: string): string;
  /** Stops the cluster and removes its directory if it made it. */
  stop(): void;
}

const run = (
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: 'pipe', ...opts }).trim();

/**
 * Starts a PostgreSQL cluster that checks passwords (scram-sha-256), or client certificates
 * with `clientCaFile`, on a free port of localhost.
 *
 * @public
 */
export async function startPostgresCluster(
  options: StartPostgresClusterOptions = {},
): Promise<PostgresCluster> {
  const versions = readdirSync('/usr/lib/postgresql').sort(
    (a, b) => Number(b) - Number(a),
  );
  if (!versions.length) {
    throw new Error('no PostgreSQL under /usr/lib/postgresql');
  }
  const bin = (name: string) =>
    `/usr/lib/postgresql/${versions[0]}/bin/${name}`;
  // initdb refuses to run as root: run PostgreSQL's programs as its own user then.
  const asPostgres = userInfo().uid === 0;
  const pg = (name: string, args: string[]) =>
    asPostgres
      ? run('runuser', ['-u', 'postgres', '--', bin(name), ...args])
      : run(bin(name), args);
  const owned = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'sentinel-postgres-'));
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const superuserPassword = randomBytes(12).toString('hex');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${superuserPassword}\n`);
  const ownedByPostgres = [dir, pwfile];
  let tlsSettings = '';
  if (options.clientCaFile && !options.tls) {
    throw new Error('clientCaFile needs tls');
  }
  const tls = join(dir, 'tls');
  if (options.tls) {
    mkdirSync(tls);
    copyFileSync(options.tls.certFile, join(tls, 'server.crt'));
    copyFileSync(options.tls.keyFile, join(tls, 'server.key'));
    // PostgreSQL refuses a key others may read.
    chmodSync(join(tls, 'server.key'), 0o600);
    ownedByPostgres.push(tls, join(tls, 'server.key'), join(tls, 'server.crt'));
    tlsSettings = ` -c ssl=on -c ssl_cert_file=${tls}/server.crt -c ssl_key_file=${tls}/server.key`;
  }
  if (options.clientCaFile) {
    copyFileSync(options.clientCaFile, join(tls, 'client-ca.crt'));
    ownedByPostgres.push(join(tls, 'client-ca.crt'));
    tlsSettings += ` -c ssl_ca_file=${tls}/client-ca.crt`;
  }
  if (asPostgres) {
    const uid = Number(run('id', ['-u', 'postgres']));
    const gid = Number(run('id', ['-g', 'postgres']));
    for (const path of ownedByPostgres) chownSync(path, uid, gid);
  }
  const data = join(dir, 'data');
  pg('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=scram-sha-256',
    `--pwfile=${pwfile}`,
  ]);
  const host = options.tls ? 'hostssl' : 'host';
  const method = options.clientCaFile
    ? 'cert clientcert=verify-full'
    : 'scram-sha-256';
  writeFileSync(
    join(data, 'pg_hba.conf'),
    [
      'local all all scram-sha-256',
      `${host} all all 127.0.0.1/32 ${method}`,
      `${host} all all ::1/128 ${method}`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  pg('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'server.log'),
    '-w',
    'start',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=localhost${tlsSettings}`,
  ]);
  options.log?.(
    `PostgreSQL ${versions[0]} on localhost:${port}${
      options.tls ? ', TLS only' : ''
    }`,
  );
  let stopped = false;
  return {
    host: 'localhost',
    port,
    superuserPassword,
    version: versions[0],
    psql: sql =>
      run(
        'psql',
        [
          '-h',
          dir,
          '-p',
          String(port),
          '-U',
          'postgres',
          '-d',
          'postgres',
          '-v',
          'ON_ERROR_STOP=1',
          '-At',
          '-c',
          sql,
        ],
        { env: { ...process.env, PGPASSWORD: superuserPassword } },
      ),
    stop() {
      if (stopped) return;
      stopped = true;
      pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      if (owned) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A TCP port free on localhost now.
 *
 * @public
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
