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
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './freePort';

/**
 * How `startPostgres` runs PostgreSQL.
 *
 * @public
 */
export interface StartPostgresOptions {
  /**
   * The server's certificate and key (PEM files; the certificate names the host clients dial).
   * The server accepts TLS connections only (`hostssl`).
   */
  tls: { certFile: string; keyFile: string };
  /**
   * How clients prove who they are: `scram-sha-256` (a password), or `cert`: a client
   * certificate that chains to `clientCaFile` and whose CN is the role's name
   * (`cert clientcert=verify-full`), no password.
   */
  auth: { method: 'scram-sha-256' } | { method: 'cert'; clientCaFile: string };
  /** A folder for the cluster; default a new temporary one, deleted by `stop()`. */
  dir?: string;
  /** Where PostgreSQL's programs are; default the newest /usr/lib/postgresql/<version>/bin. */
  binDir?: string;
}

/**
 * A PostgreSQL cluster of its own.
 *
 * @public
 */
export interface PostgresProcess {
  /** The loopback port it listens on (host names localhost and 127.0.0.1). */
  port: number;
  /** e.g. 15 */
  version: string;
  /** Creates a login role that may create databases, with a password for scram-sha-256. */
  createRole(name: string, options?: { password?: string }): void;
  /** Stops it (fast shutdown) and deletes its folder when `startPostgres` made it. */
  stop(): void;
}

/**
 * Starts a PostgreSQL cluster with Debian's initdb and pg_ctl on a free loopback port, serving
 * TLS only, for tests and checks that prove how Sentinel connects to its database. The
 * machine's own PostgreSQL is left alone. As root, PostgreSQL runs as the `postgres` user.
 *
 * @public
 */
export async function startPostgres(
  options: StartPostgresOptions,
): Promise<PostgresProcess> {
  const binDir = options.binDir ?? newestPostgresBin();
  const version = binDir.split('/').at(-2) ?? '';
  const asPostgres =
    userInfo().uid === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  const pg = (name: string, args: string[], env?: NodeJS.ProcessEnv) => {
    const [command, ...prefix] = [...asPostgres, join(binDir, name)];
    return execFileSync(command, [...prefix, ...args], {
      encoding: 'utf8',
      stdio: 'pipe',
      env: env ? { ...process.env, ...env } : process.env,
    });
  };
  const made = !options.dir;
  const dir = options.dir ?? mkdtempSync('/tmp/sentinel-postgres-');
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const tls = join(dir, 'tls');
  mkdirSync(tls);
  copyFileSync(options.tls.certFile, join(tls, 'server.crt'));
  copyFileSync(options.tls.keyFile, join(tls, 'server.key'));
  if (options.auth.method === 'cert') {
    copyFileSync(options.auth.clientCaFile, join(tls, 'client-ca.crt'));
  }
  // The superuser signs in over the cluster's own Unix socket with a password of its own.
  const superPassword = randomBytes(12).toString('hex');
  writeFileSync(join(dir, 'pwfile'), `${superPassword}\n`);
  if (asPostgres.length) {
    const uid = Number(
      execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }),
    );
    const gid = Number(
      execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }),
    );
    for (const path of [dir, tls, join(dir, 'pwfile')])
      chownSync(path, uid, gid);
    for (const file of readdirSync(tls)) chownSync(join(tls, file), uid, gid);
  }
  // PostgreSQL refuses a key others may read.
  chmodSync(join(tls, 'server.key'), 0o600);
  const data = join(dir, 'data');
  pg('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=scram-sha-256',
    `--pwfile=${join(dir, 'pwfile')}`,
  ]);
  const network =
    options.auth.method === 'cert'
      ? 'cert clientcert=verify-full'
      : 'scram-sha-256';
  writeFileSync(
    join(data, 'pg_hba.conf'),
    [
      'local all all scram-sha-256',
      `hostssl all all 127.0.0.1/32 ${network}`,
      `hostssl all all ::1/128 ${network}`,
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
    [
      `-p ${port} -k ${dir} -c listen_addresses=localhost -c ssl=on`,
      `-c ssl_cert_file=${tls}/server.crt -c ssl_key_file=${tls}/server.key`,
      ...(options.auth.method === 'cert'
        ? [`-c ssl_ca_file=${tls}/client-ca.crt`]
        : []),
    ].join(' '),
  ]);
  const psql = (sql: string) =>
    execFileSync(
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
        '-c',
        sql,
      ],
      {
        stdio: 'pipe',
        env: { ...process.env, PGPASSWORD: superPassword },
      },
    );
  return {
    port,
    version,
    createRole(name, roleOptions = {}) {
      const password = roleOptions.password
        ? ` PASSWORD '${roleOptions.password.replace(/'/g, "''")}'`
        : '';
      psql(`CREATE ROLE "${name}" LOGIN CREATEDB${password}`);
    },
    stop() {
      try {
        pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        if (made) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function newestPostgresBin(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort(
    (a, b) => Number(b) - Number(a),
  );
  if (!versions.length) {
    throw new Error(
      'no PostgreSQL in /usr/lib/postgresql; install Debian postgresql (scripts/dev.sh does)',
    );
  }
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}
