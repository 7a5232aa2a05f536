import { hashSync } from 'bcryptjs';
import { startDaemon } from './daemon';
import { request } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './freePort';

/**
 * A real Prometheus (Debian's `prometheus`) running on a loopback port of its own.
 *
 * @public
 */
export interface PrometheusProcess {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** Stops it (and with it its data); resolves once it has exited. */
  stop(): Promise<void>;
  /** Pauses it as an outage would (SIGSTOP): queries time out until `resume`. */
  pause(): void;
  /** Resumes it after `pause` (SIGCONT). */
  resume(): void;
}

/**
 * How `startPrometheus` runs Prometheus.
 *
 * @public
 */
export interface StartPrometheusOptions {
  /**
   * Base URLs whose `/metrics` to scrape (http or https; a certificate is not verified, the
   * test servers' are self-signed).
   */
  targets: string[];
  /** The loopback port to listen on; default a free one. */
  port?: number;
  /** Rule files (recording and alerting) to evaluate, every `scrapeInterval`. */
  ruleFiles?: string[];
  /** An Alertmanager (e.g. `startAlertmanager`'s url) to send firing alerts to. */
  alertmanagerUrl?: string;
  /** How often to scrape; short so that tests see fresh samples quickly. Default 1s. */
  scrapeInterval?: string;
  /** The binary; default `prometheus` on PATH (SENTINEL_PROMETHEUS overrides). */
  binary?: string;
  /** How long to wait for it to get ready. Default 30 s. */
  readyTimeoutMs?: number;
  /**
   * Its web configuration (`--web.config.file`): HTTPS with this certificate (which names
   * localhost; the URL is then https://localhost:port), and a user every request must sign
   * in as with basic auth (the password is stored bcrypt-hashed, as Prometheus requires).
   */
  web?: {
    tls?: { certFile: string; keyFile: string };
    basicAuth?: { username: string; password: string };
  };
}

/**
 * Starts Prometheus with a generated configuration and a throwaway data directory, and waits
 * until it answers `/-/ready`. The binary comes from Debian's package, installed by
 * `scripts/dev.sh` like Chromium; nothing is downloaded.
 *
 * @public
 */
export async function startPrometheus(
  options: StartPrometheusOptions,
): Promise<PrometheusProcess> {
  const binary =
    options.binary ?? process.env.SENTINEL_PROMETHEUS ?? 'prometheus';
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-prometheus-'));
  const interval = options.scrapeInterval ?? '1s';
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    ...(options.ruleFiles?.length
      ? ['rule_files:', ...options.ruleFiles.map(f => `  - '${f}'`)]
      : []),
    ...(options.alertmanagerUrl ? alerting(options.alertmanagerUrl) : []),
    'scrape_configs:',
    ...(['http', 'https'] as const).flatMap(scheme => {
      const hosts = options.targets
        .map(t => new URL(t))
        .filter(u => u.protocol === `${scheme}:`)
        .map(u => `'${u.host}'`);
      return hosts.length
        ? [
            `  - job_name: pods-${scheme}`,
            `    scheme: ${scheme}`,
            '    tls_config:',
            '      insecure_skip_verify: true',
            '    static_configs:',
            `      - targets: [${hosts.join(', ')}]`,
          ]
        : [];
    }),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const { web } = options;
  if (web) writeFileSync(join(dir, 'web.yml'), webConfig(web));
  const port = options.port ?? (await freePort());
  const url = web?.tls
    ? `https://localhost:${port}`
    : `http://127.0.0.1:${port}`;
  const { child, stop } = await startDaemon({
    binary,
    args: [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...(web ? [`--web.config.file=${join(dir, 'web.yml')}`] : []),
      // Alertmanagers are discovered some seconds after the first evaluation; an alert that
      // fired before is sent again after this delay, 1m by default.
      ...(options.alertmanagerUrl ? ['--rules.alert.resend-delay=1s'] : []),
    ],
    debianPackage: 'prometheus',
    isReady: () => answersReady(url, web?.basicAuth),
    readyTimeoutMs: options.readyTimeoutMs,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  });
  return {
    url,
    stop,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
  };
}

/** The `alerting` section sending to one Alertmanager (its path prefix kept). */
function alerting(alertmanagerUrl: string): string[] {
  const url = new URL(alertmanagerUrl);
  return [
    'alerting:',
    '  alertmanagers:',
    `    - scheme: ${url.protocol.replace(':', '')}`,
    ...(url.pathname !== '/' ? [`      path_prefix: '${url.pathname}'`] : []),
    '      static_configs:',
    `        - targets: ['${url.host}']`,
  ];
}

function webConfig(web: NonNullable<StartPrometheusOptions['web']>): string {
  return [
    ...(web.tls
      ? [
          'tls_server_config:',
          `  cert_file: ${web.tls.certFile}`,
          `  key_file: ${web.tls.keyFile}`,
        ]
      : []),
    ...(web.basicAuth
      ? [
          'basic_auth_users:',
          `  ${web.basicAuth.username}: '${hashSync(
            web.basicAuth.password,
            10,
          )}'`,
        ]
      : []),
    '',
  ].join('\n');
}

/** Whether /-/ready answers 200 (over https its certificate is not checked here). */
function answersReady(
  url: string,
  basicAuth?: { username: string; password: string },
): Promise<boolean> {
  const headers: Record<string, string> = basicAuth
    ? {
        authorization: `Basic ${Buffer.from(
          `${basicAuth.username}:${basicAuth.password}`,
        ).toString('base64')}`,
      }
    : {};
  if (url.startsWith('http:')) {
    return fetch(`${url}/-/ready`, { headers }).then(
      res => res.ok,
      () => false,
    );
  }
  return new Promise(resolve => {
    const req = request(
      `${url}/-/ready`,
      { headers, rejectUnauthorized: false },
      res => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.end();
  });
}
