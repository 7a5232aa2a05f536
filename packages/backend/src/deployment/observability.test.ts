import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { amtool, debianTool, promtool } from './__testUtils__/debianTool';
import {
  catalogueName,
  COMMON_LABELS,
  gaugesReportedByEveryReplica,
  metricCatalogue,
  selectors,
} from './__testUtils__/metricCatalogue';
import { repoRoot } from './__testUtils__/render';
import {
  DASHBOARD_FILES,
  observabilityQueries,
  RULE_FILES,
  substituteGrafanaVariables,
} from './observabilityQueries';

jest.setTimeout(60_000);

const read = (path: string) => readFileSync(resolve(repoRoot, path), 'utf8');
const dashboards = Object.entries(DASHBOARD_FILES).map(([uid, file]) => ({
  uid,
  file,
  json: JSON.parse(read(file)),
}));
const ruleGroups = RULE_FILES.flatMap(
  file => (parse(read(file)) as { groups: any[] }).groups,
);
const alerts = ruleGroups.flatMap(g => g.rules.filter((r: any) => r.alert));
const alertNames = [...new Set(alerts.map((a: any) => a.alert as string))];
const catalogue = metricCatalogue();
const ALERTMANAGER_CONFIG = 'deploy/alertmanager/alertmanager.yml';
const RUNBOOK_PREFIX =
  '{{ with $externalLabels.runbook_base }}{{ . }}{{ else }}docs/runbooks{{ end }}/';

describe('Prometheus rules', () => {
  it('fail, not skip, without their tools, naming the package to install', () => {
    expect(() => debianTool('sentinel-no-such-tool', 'prometheus', [])).toThrow(
      "sentinel-no-such-tool is not installed: install Debian's prometheus package",
    );
  });

  it('pass promtool check rules', () => {
    const { status, output } = promtool('check', 'rules', ...RULE_FILES);
    expect(status === 0 ? 'passed' : output).toBe('passed');
  });

  it('load in the Prometheus configuration we ship (promtool check config)', () => {
    // Checks the scrape job's relabelling and that the rule files it names exist and parse.
    const { status, output } = promtool(
      'check',
      'config',
      'deploy/prometheus/prometheus.yml',
    );
    expect(status === 0 ? 'passed' : output).toBe('passed');
  });

  it('pass their promtool unit tests', () => {
    const tests = ['recording-rules', 'alert-rules'].map(
      name => `deploy/prometheus/tests/${name}.test.yml`,
    );
    const { status, output } = promtool('test', 'rules', ...tests);
    expect(status === 0 ? 'passed' : output).toBe('passed');
  });

  it('have, for every alert, a unit test where it fires and one where it stays quiet', () => {
    const cases = (
      parse(read('deploy/prometheus/tests/alert-rules.test.yml')).tests as any[]
    ).flatMap(t => t.alert_rule_test ?? []);
    for (const name of alertNames) {
      const mine = cases.filter(c => c.alertname === name);
      expect({ name, fires: mine.some(c => c.exp_alerts?.length > 0) }).toEqual(
        {
          name,
          fires: true,
        },
      );
      expect({
        name,
        quiet: mine.some(c => c.exp_alerts?.length === 0),
      }).toEqual({ name, quiet: true });
    }
  });

  it.each(alerts.map((a: any) => [`${a.alert} (${a.labels?.severity})`, a]))(
    '%s has a severity, a summary, a description, a runbook that exists and a dashboard',
    (_, alert: any) => {
      expect(['critical', 'warning']).toContain(alert.labels?.severity);
      expect(alert.annotations.summary).toBeTruthy();
      expect(alert.annotations.description).toBeTruthy();
      const runbook: string = alert.annotations.runbook_url;
      expect(runbook.startsWith(RUNBOOK_PREFIX)).toBe(true);
      const page = runbook.slice(RUNBOOK_PREFIX.length);
      expect(existsSync(resolve(repoRoot, 'docs/runbooks', page))).toBe(true);
      const uid = alert.annotations.dashboard.match(/^\/d\/([a-z0-9-]+)/)?.[1];
      expect(Object.keys(DASHBOARD_FILES)).toContain(uid);
    },
  );
});

describe('Alertmanager configuration', () => {
  it('passes amtool check-config', () => {
    const { status, output } = amtool('check-config', ALERTMANAGER_CONFIG);
    expect(status === 0 ? 'passed' : output).toBe('passed');
  });

  const route = (...labels: string[]) =>
    amtool(
      'config',
      'routes',
      'test',
      `--config.file=${ALERTMANAGER_CONFIG}`,
      ...labels,
    ).stdout.trim();

  it.each(
    alerts.map((a: any) => [a.alert as string, a.labels.severity as string]),
  )('routes %s (%s) where its severity says', (name, severity) => {
    const bySeverity = severity === 'critical' ? 'pagerduty' : 'chat';
    const expected = name === 'ChangeFreezeActive' ? 'nobody' : bySeverity;
    expect(route(`alertname=${name}`, `severity=${severity}`)).toBe(expected);
  });

  it('reads every secret from a file and writes none', () => {
    const text = read(ALERTMANAGER_CONFIG);
    const config = parse(text);
    const configs = config.receivers.flatMap((r: any) => [
      ...(r.pagerduty_configs ?? []),
      ...(r.slack_configs ?? []),
      ...(r.webhook_configs ?? []),
    ]);
    for (const c of configs) {
      expect(c.routing_key ?? c.service_key ?? c.api_url).toBeUndefined();
    }
    // The only URL is the Teams bridge on loopback.
    expect(text.match(/https?:\/\/[^\s'"]+/g)).toEqual([
      'http://127.0.0.1:2000/sentinel',
    ]);
  });
});

describe('Grafana dashboards', () => {
  it.each(dashboards.map(d => [d.uid, d]))(
    '%s has its uid, the datasource, cluster and workload variables, and a query in every panel',
    (uid, { json }: any) => {
      expect(json.uid).toBe(uid);
      expect(json.schemaVersion).toBeGreaterThanOrEqual(36);
      const vars = new Map<string, any>(
        json.templating.list.map((v: any) => [v.name, v]),
      );
      expect(vars.get('datasource')).toMatchObject({
        type: 'datasource',
        query: 'prometheus',
      });
      for (const name of ['cluster', 'workload']) {
        expect(vars.get(name)).toMatchObject({
          type: 'query',
          includeAll: true,
          allValue: '.*',
        });
        expect(vars.get(name).definition).toMatch(
          new RegExp(`^label_values\\(.*, ${name}\\)$`),
        );
      }
      expect(json.panels.length).toBeGreaterThan(5);
      for (const panel of json.panels) {
        expect(panel.datasource).toEqual({
          type: 'prometheus',
          uid: '${datasource}',
        });
        const exprs = (panel.targets ?? []).map((t: any) => t.expr);
        expect({ panel: panel.title, exprs }).toEqual({
          panel: panel.title,
          exprs: expect.arrayContaining([expect.stringMatching(/\S/)]),
        });
      }
    },
  );

  it('filter by cluster and workload wherever the metric has those labels', () => {
    for (const { uid, json } of dashboards) {
      for (const panel of json.panels) {
        for (const { expr } of panel.targets) {
          for (const s of selectors(expr)) {
            const labels = catalogue.get(
              catalogueName(s.metric, catalogue)!,
            )?.labels;
            for (const name of ['cluster', 'workload']) {
              if (!labels?.has(name)) continue;
              expect({ uid, panel: panel.title, expr }).toEqual({
                uid,
                panel: panel.title,
                expr: expect.stringContaining(`${name}=~"$${name}"`),
              });
            }
          }
        }
      }
    }
  });

  it('are provisioned from files, with a Prometheus data source of no fixed address', () => {
    const providers = parse(
      read('deploy/grafana/provisioning/dashboards.yaml'),
    );
    expect(providers.providers[0]).toMatchObject({ type: 'file' });
    const sources = parse(read('deploy/grafana/provisioning/datasources.yaml'));
    expect(sources.datasources[0]).toMatchObject({
      type: 'prometheus',
      url: '${SENTINEL_PROMETHEUS_URL}',
    });
  });
});

describe('metric names', () => {
  const files = [...Object.values(DASHBOARD_FILES), ...RULE_FILES];

  it('every sentinel_* metric a dashboard or rule names is in docs/observability.md', () => {
    expect(catalogue.size).toBeGreaterThan(30);
    const unknown = files.flatMap(file =>
      [...read(file).matchAll(/(?<![a-z0-9_:])sentinel_[a-z0-9_]+/g)]
        .map(m => m[0])
        .filter(name => !catalogueName(name, catalogue))
        .map(name => `${file}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it('every label a selector matches on is one the catalogue gives that metric', () => {
    const wrong = observabilityQueries().flatMap(q =>
      selectors(q.expr).flatMap(s => {
        const known = catalogue.get(catalogueName(s.metric, catalogue) ?? '');
        if (!known) return [`${q.where}: ${s.metric} is not in the catalogue`];
        return s.labels
          .filter(
            l =>
              !known.labels.has(l) && !COMMON_LABELS.includes(l) && l !== 'le',
          )
          .map(l => `${q.where}: ${s.metric} has no label ${l}`);
      }),
    );
    expect(wrong).toEqual([]);
  });

  it('never sums or counts the gauges every replica reports alike', () => {
    const gauges = gaugesReportedByEveryReplica();
    expect(gauges).toContain('sentinel_rollout_health_score');
    const summed = observabilityQueries().filter(q =>
      gauges.some(g =>
        new RegExp(
          `\\b(sum|count)\\s*(by\\s*\\([^)]*\\)\\s*)?\\(\\s*${g}\\b`,
        ).test(q.expr),
      ),
    );
    expect(summed.map(q => `${q.where}: ${q.expr}`)).toEqual([]);
  });

  it('every recorded series a dashboard or alert reads is recorded', () => {
    const recorded = new Set(
      ruleGroups.flatMap(g =>
        g.rules.map((r: any) => r.record).filter(Boolean),
      ),
    );
    const used = observabilityQueries()
      .filter(q => q.kind !== 'record')
      .flatMap(q =>
        [...q.expr.matchAll(/sentinel:[a-z0-9_:]+/g)].map(m => m[0]),
      );
    expect(used.length).toBeGreaterThan(0);
    expect([...new Set(used)].filter(name => !recorded.has(name))).toEqual([]);
  });
});

describe('observabilityQueries', () => {
  const queries = observabilityQueries();

  it('substitutes Grafana variables', () => {
    expect(
      substituteGrafanaVariables(
        'sum(rate(x{cluster=~"$cluster",workload=~"$workload"}[$__rate_interval])) + increase(y[$__range]) + z[$__interval]',
      ),
    ).toBe(
      'sum(rate(x{cluster=~".*",workload=~".*"}[1m])) + increase(y[1h]) + z[1m]',
    );
  });

  it('returns every panel target and every rule, each with where it comes from', () => {
    const targets = dashboards.flatMap(d =>
      d.json.panels.flatMap((p: any) => p.targets),
    );
    const rules = ruleGroups.flatMap(g => g.rules);
    expect(queries).toHaveLength(targets.length + rules.length);
    expect(queries.filter(q => q.kind === 'alert')).toHaveLength(alerts.length);
    expect(queries).toContainEqual({
      expr: expect.stringContaining(
        'sentinel_rollout_canary_weight_percent{cluster=~".*", workload=~".*"}',
      ),
      file: 'deploy/grafana/dashboards/canary.json',
      where: 'Traffic on the new version (A)',
      kind: 'panel',
    });
    expect(queries).toContainEqual(
      expect.objectContaining({
        file: 'deploy/prometheus/alert-rules.yml',
        where: 'sentinel-platform: VaultUnreachable {severity=critical}',
      }),
    );
    for (const q of queries) expect(q.expr).not.toContain('$');
  });

  it('returns only expressions Prometheus parses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'observability-queries-'));
    try {
      const file = join(dir, 'queries.yml');
      // As recording rules of distinct names: promtool parses every expression.
      const rules = queries.map((q, i) => ({
        record: `query:${i}`,
        expr: q.expr,
      }));
      writeFileSync(file, JSON.stringify({ groups: [{ name: 'all', rules }] }));
      const { status, output } = promtool('check', 'rules', file);
      expect(status === 0 ? 'passed' : output).toBe('passed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
