import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startShippedAlertmanager,
  type Delivery,
  type Labels,
} from './__testUtils__/alertmanager';

jest.setTimeout(60_000);

/**
 * deploy/alertmanager/alertmanager.yml run by a real Alertmanager: its routes and inhibitions
 * as written; only each receiver's integrations are replaced by a webhook to this test (named
 * after the receiver; `nobody` keeps none), and the waits shortened.
 */
describe('deploy/alertmanager routing and inhibition, in a real Alertmanager', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-alertmanager-'));
  let received: Delivery[] = [];
  let shipped: Awaited<ReturnType<typeof startShippedAlertmanager>>;

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
    shipped = await startShippedAlertmanager(dir);
    received = shipped.received;
    const res = await fetch(`${shipped.alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts.map(labels => ({ labels }))),
    });
    if (res.status !== 200) throw new Error(`posting alerts: ${res.status}`);
  });

  afterAll(async () => {
    await shipped?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Alertmanager's view: each alert's state and what inhibits it. */
  async function states() {
    const res = await fetch(`${shipped.alertmanager.url}/api/v2/alerts`);
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
