import {
  startAlertmanager,
  type AlertmanagerProcess,
} from '@internal/kubernetes-test-server';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { repoRoot } from './__testUtils__/render';

jest.setTimeout(60_000);

type Labels = Record<string, string>;

/**
 * deploy/alertmanager/alertmanager.yml run by a real Alertmanager: its routes and inhibitions
 * as written; only each receiver's integrations are replaced by a webhook to this test (named
 * after the receiver; `nobody` keeps none), and the waits shortened.
 */
describe('deploy/alertmanager routing and inhibition, in a real Alertmanager', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-alertmanager-'));
  const received: Array<{ receiver: string; labels: Labels }> = [];
  let server: Server;
  let alertmanager: AlertmanagerProcess | undefined;

  const posted: Labels[] = [
    {
      alertname: 'SLOErrorBudgetBurn',
      severity: 'critical',
      slo: 'api_availability',
    },
    {
      alertname: 'SLOErrorBudgetBurn',
      severity: 'warning',
      slo: 'api_availability',
    },
    {
      alertname: 'SLOErrorBudgetBurn',
      severity: 'warning',
      slo: 'submit_latency',
    },
    { alertname: 'ChangeFreezeActive', severity: 'warning' },
    { alertname: 'PolicyViolations', severity: 'warning', rule_kind: 'freeze' },
    {
      alertname: 'PolicyViolations',
      severity: 'warning',
      rule_kind: 'rate_limit',
    },
  ];
  const alerts = posted.map(labels => ({ ...labels, job: 'sentinel' }));

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', chunk => (body += chunk));
      req.on('end', () => {
        for (const alert of JSON.parse(body).alerts) {
          received.push({ receiver: req.url!.slice(1), labels: alert.labels });
        }
        res.end();
      });
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };

    const config = parse(
      readFileSync(
        resolve(repoRoot, 'deploy/alertmanager/alertmanager.yml'),
        'utf8',
      ),
    );
    config.receivers = config.receivers.map(({ name }: { name: string }) =>
      name === 'nobody'
        ? { name }
        : {
            name,
            webhook_configs: [{ url: `http://127.0.0.1:${port}/${name}` }],
          },
    );
    for (const route of [config.route, ...config.route.routes]) {
      route.group_wait = '1s';
    }
    const file = join(dir, 'alertmanager.yml');
    writeFileSync(file, stringify(config));
    alertmanager = await startAlertmanager({
      configFile: file,
      storageDir: join(dir, 'data'),
    });
    const res = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts.map(labels => ({ labels }))),
    });
    if (res.status !== 200) throw new Error(`posting alerts: ${res.status}`);
  });

  afterAll(async () => {
    await alertmanager?.stop();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Alertmanager's view: each alert's state and what inhibits it. */
  async function states() {
    const res = await fetch(`${alertmanager!.url}/api/v2/alerts`);
    const list = (await res.json()) as Array<{
      labels: Labels;
      status: { state: string; inhibitedBy: string[] };
    }>;
    return list.map(a => ({
      alertname: a.labels.alertname,
      severity: a.labels.severity,
      subject: a.labels.slo ?? a.labels.rule_kind,
      state: a.status.state,
      inhibited: a.status.inhibitedBy.length > 0,
    }));
  }

  it('a critical inhibits the warning of the same SLO only; a freeze inhibits its own denials only', async () => {
    expect(await states()).toEqual(
      expect.arrayContaining([
        {
          alertname: 'SLOErrorBudgetBurn',
          severity: 'critical',
          subject: 'api_availability',
          state: 'active',
          inhibited: false,
        },
        {
          alertname: 'SLOErrorBudgetBurn',
          severity: 'warning',
          subject: 'api_availability',
          state: 'suppressed',
          inhibited: true,
        },
        {
          alertname: 'SLOErrorBudgetBurn',
          severity: 'warning',
          subject: 'submit_latency',
          state: 'active',
          inhibited: false,
        },
        {
          alertname: 'ChangeFreezeActive',
          severity: 'warning',
          subject: undefined,
          state: 'active',
          inhibited: false,
        },
        {
          alertname: 'PolicyViolations',
          severity: 'warning',
          subject: 'freeze',
          state: 'suppressed',
          inhibited: true,
        },
        {
          alertname: 'PolicyViolations',
          severity: 'warning',
          subject: 'rate_limit',
          state: 'active',
          inhibited: false,
        },
      ]),
    );
  });

  it('delivers critical to PagerDuty, warnings to chat, the freeze to no one, nothing inhibited', async () => {
    const deadline = Date.now() + 30_000;
    while (received.length < 3 && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 200));
    }
    // Another group_interval for anything that should not come.
    await new Promise(r => setTimeout(r, 2_000));
    const delivered = received.map(({ receiver, labels }) =>
      [
        receiver,
        labels.alertname,
        labels.severity,
        labels.slo ?? labels.rule_kind,
      ].join(' '),
    );
    expect(delivered.sort()).toEqual([
      'chat PolicyViolations warning rate_limit',
      'chat SLOErrorBudgetBurn warning submit_latency',
      'pagerduty SLOErrorBudgetBurn critical api_availability',
    ]);
  });
});
