import {
  startPrometheus,
  type PrometheusProcess,
} from '@internal/kubernetes-test-server';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import { parse, stringify } from 'yaml';
import { startShippedAlertmanager } from '../deployment/__testUtils__/alertmanager';
import {
  observabilityQueries,
  RULE_FILES,
} from '../deployment/observabilityQueries';
import {
  eventually,
  freePort,
  repoRoot,
  startBackendProcess,
  type BackendProcess,
} from '../replicas/__testUtils__/backendProcess';
import { Scenario, scenarioPolicy } from './__testUtils__/scenario';

// The proof that the dashboards and rules of deploy/ read what the backend exports: the
// embedded default (simulated cluster, demo catalog) on PostgreSQL with its metrics endpoint,
// the real Prometheus scraping it with deploy/prometheus's rules, the real Alertmanager with
// deploy/alertmanager's routes; a scenario that lights every panel; then every dashboard query
// and rule expression is run against that Prometheus.

jest.setTimeout(900_000);

const postgres =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';
const prefix = `sentinel_series_${process.pid}_`;
const optimizer = { Authorization: 'Bearer dev-optimizer-token' };

/**
 * Panels that cannot have data in the embedded default, and why. Anything not listed here
 * must return series over the scenario.
 */
const PANELS_WITHOUT_DATA: Record<string, string> = {
  'Certificates: time left (A)':
    'the embedded default holds no client certificate (PostgreSQL, Redis, Prometheus and the cluster are reached without one)',
  'Certificates: time left (B)':
    'the embedded default serves plain HTTP (no sentinel.tls listener)',
  'Vault (A)': 'the embedded default reads no secret from Vault',
};

/**
 * Metrics the rules name that only a production setup exports: Vault and the certificates
 * Sentinel holds exist only when configured (docs/security.md); the embedded default has none.
 */
const METRICS_ONLY_WHEN_CONFIGURED = new Set([
  'sentinel_vault_up',
  'sentinel_vault_lease_expiry_timestamp_seconds',
  'sentinel_certificate_expiry_timestamp_seconds',
  'sentinel_tls_certificate_expiry_timestamp_seconds',
]);

/** The rule files with every group evaluated each second (the 1d-30d windows: every 5 min). */
function rulesEvaluatedEachSecond(dir: string): string[] {
  return RULE_FILES.map(file => {
    const rules = parse(readFileSync(join(repoRoot, file), 'utf8'));
    for (const group of rules.groups) group.interval = '1s';
    const copy = join(dir, file.replace(/\//g, '_'));
    writeFileSync(copy, stringify(rules));
    return copy;
  });
}

async function dropDatabases() {
  const knex = knexFactory({ client: 'pg', connection: postgres });
  try {
    const { rows } = await knex.raw(
      'select datname from pg_database where datname like ?',
      [`${prefix.replace(/_/g, '\\_')}%`],
    );
    for (const { datname } of rows) {
      await knex.raw('drop database ?? with (force)', [datname]);
    }
  } finally {
    await knex.destroy();
  }
}

/** The metric names an expression reads (not functions, keywords or label names). */
function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const withoutLabels = withoutStrings.replace(/\{[^}]*\}/g, '{}');
  const withoutGrouping = withoutLabels.replace(
    /\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g,
    '',
  );
  const names = withoutGrouping.match(/\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()/g);
  return [...new Set(names ?? [])].filter(
    name =>
      /[_:]/.test(name) &&
      !/^(and|or|unless|bool|offset)$/.test(name) &&
      !/^\d/.test(name),
  );
}

describe('dashboards and rules against the series the backend exports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-series-'));
  let backend: BackendProcess;
  let monitoring: PrometheusProcess;
  let shipped: Awaited<ReturnType<typeof startShippedAlertmanager>>;
  let metricsUrl: string;
  let scenario: Scenario;
  let scenarioStart: number;
  let passed = 0;

  async function prometheus(path: string, params: Record<string, string>) {
    const res = await fetch(`${monitoring.url}/api/v1/${path}`, {
      method: 'POST',
      body: new URLSearchParams(params),
    });
    return (await res.json()) as {
      status: string;
      error?: string;
      data: {
        result: Array<{
          metric: Record<string, string>;
          value?: [number, string];
        }>;
      };
    };
  }
  const instant = (query: string) => prometheus('query', { query });
  const overScenario = (query: string) =>
    prometheus('query_range', {
      query,
      start: String(scenarioStart / 1000),
      end: String(Date.now() / 1000),
      step: '5',
    });

  beforeAll(async () => {
    await dropDatabases();
    shipped = await startShippedAlertmanager(dir);
    const [port, metricsPort, analysisPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    metricsUrl = `http://127.0.0.1:${metricsPort}`;
    monitoring = await startPrometheus({
      targets: [metricsUrl],
      ruleFiles: rulesEvaluatedEachSecond(dir),
      alertmanagerUrl: shipped.alertmanager.url,
    });
    backend = await startBackendProcess({
      name: 'series',
      port,
      dir,
      metricsPort,
      overlay: {
        backend: {
          baseUrl: `http://localhost:${port}`,
          listen: { port },
          database: { client: 'pg', connection: postgres, prefix },
        },
        sentinel: {
          simulatedCluster: {
            enabled: true,
            kubeconfigPath: join(dir, 'simulated-cluster.kubeconfig'),
            prometheusPort: analysisPort,
          },
          clusters: [
            {
              name: 'demo',
              kubeconfig: { path: join(dir, 'simulated-cluster.kubeconfig') },
            },
          ],
          prometheus: { baseUrl: `http://127.0.0.1:${analysisPort}` },
          ...scenarioPolicy(new Date()),
        },
      },
    });
    // The guest's token says which groups they belong to when it is issued: sign in once
    // the catalog holds the guest (in sentinel-admins) and the demo services.
    const signIn = () =>
      eventually(async () => {
        const res = await fetch(`${backend.baseUrl}/api/auth/guest/refresh`, {
          headers: { 'X-Requested-With': 'XMLHttpRequest' },
        });
        return res.ok && (await res.json()).backstageIdentity.token;
      }, 'the guest can sign in');
    const firstToken = await signIn();
    await eventually(async () => {
      const found = await Promise.all(
        ['user/development/guest', 'component/default/payments-api'].map(path =>
          fetch(`${backend.baseUrl}/api/catalog/entities/by-name/${path}`, {
            headers: { Authorization: `Bearer ${firstToken}` },
          }).then(res => res.ok),
        ),
      );
      return found.every(Boolean);
    }, 'the catalog holds the guest and the demo services');
    const guestToken = await signIn();

    scenarioStart = Date.now();
    scenario = new Scenario(backend.baseUrl, optimizer, {
      Authorization: `Bearer ${guestToken}`,
    });
    await scenario.play();
    // The gauges of work in flight are read every 15 s and scraped every second: wait until
    // Prometheus holds what the scenario ended with.
    await eventually(
      async () =>
        (
          await instant('sentinel_plan_queue_depth{status="executing"} == 0')
        ).data.result.length > 0 &&
        (
          await instant('sum(sentinel_plans_finished_total)')
        ).data.result[0]?.value?.[1] === String(scenario.plans.size),
      'Prometheus has scraped the end of the scenario',
      60_000,
    );
  });

  afterAll(async () => {
    await backend?.stop();
    await monitoring?.stop();
    await shipped?.stop();
    await dropDatabases();
    if (passed === 5) rmSync(dir, { recursive: true, force: true });
    // eslint-disable-next-line no-console
    else console.log(`The backend's log and the configurations: ${dir}`);
  });

  it("serves Sentinel's metrics on the scrape endpoint after a plan", async () => {
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    for (const line of [
      'sentinel_plans_submitted_total{source="InfraMind",mode="enforce"',
      'sentinel_plans_finished_total{status="succeeded",mode="enforce"',
      'sentinel_policy_verdicts_total{verdict="deny",rule_kind="rate_limit",stage="receipt"',
      'sentinel_rollbacks_total{reason="rollout_aborted",outcome="succeeded"',
      'sentinel_db_query_duration_seconds_bucket{statement="select",outcome="ok"',
      'http_server_request_duration_count{http_request_method="POST"',
      'catalog_entities_count{',
    ]) {
      expect(text).toContain(line);
    }
    passed += 1;
  });

  it('counts what the scenario did: a denial per rule kind, the freeze, the canaries, the rollbacks', async () => {
    const byLabel = async (query: string, label: string) =>
      Object.fromEntries(
        (await instant(query)).data.result.map(r => [
          r.metric[label],
          Number(r.value![1]),
        ]),
      );
    expect(
      await byLabel(
        'sum by (rule_kind) (sentinel_policy_denials_total{stage="receipt"})',
        'rule_kind',
      ),
    ).toEqual({
      allowed_verbs: 1,
      replica_bounds: 1,
      resource_bounds: 1,
      rate_limit: 1,
      blast_radius: 1,
      plan_size: 3,
      freeze: 1,
    });
    expect(
      await byLabel('sum by (stage) (sentinel_freeze_hits_total)', 'stage'),
    ).toEqual({ receipt: 1, apply: 0 });
    expect(
      await byLabel('sum by (rule) (sentinel_rate_limit_hits_total)', 'rule'),
    ).toEqual({ 'cart-rate': 1 });
    expect(
      await byLabel('max by (rule) (sentinel_rate_limit_usage_ratio)', 'rule'),
    ).toEqual({ 'cart-rate': 2 });
    expect(
      await byLabel(
        'sum by (reason) (sentinel_rollbacks_total{outcome="succeeded"})',
        'reason',
      ),
    ).toEqual({
      rollout_aborted: 1,
      requested: 1,
      decision_failed: 0,
      cancelled: 0,
    });
    expect(
      await byLabel(
        'sum by (phase) (sentinel_rollout_phase_changes_total{phase=~"succeeded|aborted"})',
        'phase',
      ),
    ).toEqual({ succeeded: 1, aborted: 1 });
    expect(
      await byLabel(
        'sum by (outcome) (sentinel_approval_wait_seconds_count)',
        'outcome',
      ),
    ).toEqual({ approved: 1, rejected: 1 });
    // A canary's traffic split was seen while it ran.
    const weights = await overScenario(
      'max by (workload) (sentinel_rollout_canary_weight_percent)',
    );
    expect(weights.data.result.map(r => r.metric.workload).sort()).toEqual([
      'checkout',
      'payments-api',
    ]);
    passed += 1;
  });

  it('runs every dashboard query, each with series over the scenario', async () => {
    const problems: string[] = [];
    for (const q of observabilityQueries().filter(
      query => query.kind === 'panel',
    )) {
      const result = await overScenario(q.expr);
      if (result.status !== 'success') {
        problems.push(`${q.file} ${q.where}: ${result.error}`);
      } else if (
        result.data.result.length === 0 &&
        !PANELS_WITHOUT_DATA[q.where]
      ) {
        problems.push(`${q.file} ${q.where}: no series (${q.expr})`);
      }
    }
    expect(problems).toEqual([]);
    passed += 1;
  });

  it('runs every rule expression, and every metric a rule reads is exported', async () => {
    const exported = new Set(
      (
        (await (
          await fetch(`${monitoring.url}/api/v1/label/__name__/values`)
        ).json()) as {
          data: string[];
        }
      ).data,
    );
    const problems: string[] = [];
    for (const q of observabilityQueries().filter(
      query => query.kind !== 'panel',
    )) {
      const result = await instant(q.expr);
      if (result.status !== 'success') {
        problems.push(`${q.file} ${q.where}: ${result.error}`);
      }
      for (const name of metricNames(q.expr)) {
        if (!exported.has(name) && !METRICS_ONLY_WHEN_CONFIGURED.has(name)) {
          problems.push(
            `${q.file} ${q.where}: reads ${name}, which is not exported`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
    passed += 1;
  });

  it("fires HighRollbackRate on the scenario's rollbacks, and Alertmanager delivers it", async () => {
    const delivery = await eventually(
      async () =>
        shipped.received.find(d => d.labels.alertname === 'HighRollbackRate'),
      'Alertmanager delivers HighRollbackRate',
      60_000,
    );
    expect(delivery).toMatchObject({
      receiver: 'chat',
      labels: { alertname: 'HighRollbackRate', severity: 'warning' },
    });
    passed += 1;
  });
});
