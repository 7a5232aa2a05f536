import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAlertmanager, type AlertmanagerProcess } from './alertmanager';
import { startPrometheus, type PrometheusProcess } from './prometheus';

jest.setTimeout(60_000);

interface Notification {
  status: string;
  alerts: Array<{ status: string; labels: Record<string, string> }>;
}

/** An HTTP server standing in for a webhook receiver: keeps every notification posted. */
async function webhookReceiver(): Promise<{
  url: string;
  received: Notification[];
  server: Server;
}> {
  const received: Notification[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', chunk => (body += chunk));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.end();
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/hook`, received, server };
}

async function until<T>(find: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 200));
  }
}

describe('startAlertmanager', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alertmanager-test-'));
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  let alertmanager: AlertmanagerProcess | undefined;
  let prometheus: PrometheusProcess | undefined;

  beforeAll(async () => {
    hook = await webhookReceiver();
    const config = join(dir, 'alertmanager.yml');
    writeFileSync(
      config,
      [
        'route:',
        '  receiver: hook',
        '  group_by: [alertname]',
        '  group_wait: 1s',
        'receivers:',
        '  - name: hook',
        '    webhook_configs:',
        `      - url: ${hook.url}`,
        '',
      ].join('\n'),
    );
    alertmanager = await startAlertmanager({ configFile: config });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    hook?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers a posted alert to a webhook receiver', async () => {
    const res = await fetch(`${alertmanager!.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { labels: { alertname: 'Posted', severity: 'warning' } },
      ]),
    });
    expect(res.status).toBe(200);
    const alert = await until(
      () =>
        hook.received
          .flatMap(n => n.alerts)
          .find(a => a.labels.alertname === 'Posted'),
      'the posted alert at the webhook',
    );
    expect(alert).toMatchObject({
      status: 'firing',
      labels: { alertname: 'Posted', severity: 'warning' },
    });
  });

  it('receives what a Prometheus started with ruleFiles and alertmanagerUrl fires', async () => {
    const rules = join(dir, 'rules.yml');
    writeFileSync(
      rules,
      [
        'groups:',
        '  - name: test',
        '    rules:',
        '      - alert: AlwaysFiring',
        '        expr: vector(1)',
        '        labels: { severity: critical }',
        '',
      ].join('\n'),
    );
    prometheus = await startPrometheus({
      targets: [],
      ruleFiles: [rules],
      alertmanagerUrl: alertmanager!.url,
    });
    const alert = await until(
      () =>
        hook.received
          .flatMap(n => n.alerts)
          .find(a => a.labels.alertname === 'AlwaysFiring'),
      "Prometheus' alert at the webhook",
    );
    expect(alert.labels.severity).toBe('critical');
  });

  it('stops: the port answers no more', async () => {
    const { url } = alertmanager!;
    await alertmanager!.stop();
    alertmanager = undefined;
    await expect(fetch(`${url}/-/ready`)).rejects.toThrow();
  });
});
