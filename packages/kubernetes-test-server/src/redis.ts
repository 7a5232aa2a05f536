import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { freePort } from './freePort';

/**
 * How `startRedis` runs Redis.
 *
 * @public
 */
export interface StartRedisOptions {
  /**
   * The server's certificate and key (PEM files; the certificate names the host clients dial).
   * Redis then listens on its TLS port only (`--port 0 --tls-port`). Clients need no
   * certificate of their own.
   */
  tls: { certFile: string; keyFile: string };
  /** ACL users allowed everything; the `default` user is off. */
  users: Array<{ name: string; password: string }>;
  /** The binary; default `redis-server` on PATH. */
  binary?: string;
}

/**
 * A real Redis on a loopback port of its own.
 *
 * @public
 */
export interface RedisProcess {
  /** e.g. rediss://localhost:41234 (no credentials) */
  url: string;
  /** The TLS port on 127.0.0.1. */
  port: number;
  /** Stops it; resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts Debian's redis-server serving TLS only, with ACL users, keeping nothing on disk, and
 * waits until it accepts TLS connections. The machine's own Redis is left alone.
 *
 * @public
 */
export async function startRedis(
  options: StartRedisOptions,
): Promise<RedisProcess> {
  const binary = options.binary ?? 'redis-server';
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--tls-cert-file',
      options.tls.certFile,
      '--tls-key-file',
      options.tls.keyFile,
      // Redis wants a CA even when it asks clients for no certificate.
      '--tls-ca-cert-file',
      options.tls.certFile,
      '--tls-auth-clients',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
      '--user',
      'default',
      'off',
      ...options.users.flatMap(user => [
        '--user',
        user.name,
        'on',
        `>${user.password}`,
        '~*',
        '&*',
        '+@all',
      ]),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + String(chunk)).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve()),
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  const ca = readFileSync(options.tls.certFile);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`${binary} exited at start: ${output.trim()}`);
    }
    if (await acceptsTls(port, ca)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${binary} did not start: ${output.trim()}`);
    }
    await new Promise(r => setTimeout(r, 50));
  }
  return { url: `rediss://localhost:${port}`, port, stop };
}

/** Whether a TLS handshake on the port succeeds (the certificate itself is not checked). */
function acceptsTls(port: number, ca: Buffer): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca,
      rejectUnauthorized: false,
    });
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
