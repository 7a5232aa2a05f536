import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

/** The repository's root, where app-config.yaml is. */
export const repoRoot = resolve(__dirname, '../../../../..');
const backendDir = resolve(repoRoot, 'packages/backend');

/** A port nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Polls `check` until it returns a truthy value; fails naming `what` after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | false | undefined | null>,
  what: string,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting until ${what}${
          last ? ` (last error: ${last})` : ''
        }`,
      );
    }
    await new Promise(r => setTimeout(r, 250));
  }
}

/** One Sentinel backend (packages/backend) in a process of its own. */
export interface BackendProcess {
  name: string;
  /** http://localhost:<port> */
  baseUrl: string;
  /** Where its output goes. */
  logFile: string;
  /** Stops it (SIGTERM, then SIGKILL after 20 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts packages/backend as `yarn start:backend` does (`backstage-cli package start`), with
 * app-config.yaml and `overlay` on top, and resolves once it is ready: Backstage's readiness
 * check passes and Sentinel serves cluster `demo`.
 */
export async function startBackendProcess(options: {
  name: string;
  port: number;
  /** app-config merged over app-config.yaml. */
  overlay: Record<string, unknown>;
  /** A folder for the overlay file and the log. */
  dir: string;
  /** The Prometheus scrape endpoint's port (docs/observability.md); none by default. */
  metricsPort?: number;
}): Promise<BackendProcess> {
  const { name, port, dir } = options;
  const baseUrl = `http://localhost:${port}`;
  const overlayFile = join(dir, `${name}.app-config.yaml`);
  writeFileSync(overlayFile, stringify(options.overlay));
  const logFile = join(dir, `${name}.log`);
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      resolve(repoRoot, 'node_modules/@backstage/cli/bin/backstage-cli'),
      'package',
      'start',
      '--config',
      resolve(repoRoot, 'app-config.yaml'),
      '--config',
      overlayFile,
    ],
    {
      cwd: backendDir,
      // Jest sets NODE_ENV=test; the embedded default (guest sign-in) is development.
      env: {
        ...process.env,
        NODE_ENV: 'development',
        LOG_LEVEL: 'info',
        // Replicas on one machine: one metrics port each, or none.
        SENTINEL_METRICS_PORT: String(options.metricsPort ?? 0),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: the CLI starts the backend as a child of its own.
      detached: true,
    },
  );
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = once(child, 'exit');

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGTERM');
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone already
        }
      }, 20_000);
      await exited;
      clearTimeout(timer);
    }
    log.end();
  };

  try {
    await Promise.race([
      eventually(
        async () => {
          const ready = await fetch(
            `${baseUrl}/.backstage/health/v1/readiness`,
          );
          if (!ready.ok) return false;
          const health = await fetch(`${baseUrl}/api/sentinel/health`);
          return (
            health.ok &&
            ((await health.json()).clusters as string[]).includes('demo')
          );
        },
        `backend ${name} is ready on ${baseUrl} (log: ${logFile})`,
        240_000,
      ),
      exited.then(([code]) => {
        throw new Error(`backend ${name} exited (${code}); log: ${logFile}`);
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { name, baseUrl, logFile, stop };
}
