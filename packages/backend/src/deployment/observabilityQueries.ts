// For tests only (this one's and the lead's real-series test): never part of the backend's
// build, so it may read the repository beside it and use a devDependency.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
// eslint-disable-next-line @backstage/no-undeclared-imports
import { parse } from 'yaml';

/** The repository's root, where `deploy/` is. */
// eslint-disable-next-line no-restricted-syntax
const repoRoot = resolve(__dirname, '../../../..');

/** The dashboards of issue 21, by uid (the portal links to `/d/<uid>`). */
export const DASHBOARD_FILES: Record<string, string> = {
  'sentinel-sre-overview': 'deploy/grafana/dashboards/sre-overview.json',
  'sentinel-canary': 'deploy/grafana/dashboards/canary.json',
  'sentinel-rollbacks': 'deploy/grafana/dashboards/rollbacks.json',
  'sentinel-policies': 'deploy/grafana/dashboards/policies.json',
};

/** Recording rules first: the alerts read what they record. */
export const RULE_FILES = [
  'deploy/prometheus/recording-rules.yml',
  'deploy/prometheus/alert-rules.yml',
];

/** One PromQL expression of a dashboard or rule file, ready to send to Prometheus. */
export interface ObservabilityQuery {
  expr: string;
  /** The file it comes from, relative to the repository's root. */
  file: string;
  /** Panel title and target refId, or the rule's name (with an alert's severity). */
  where: string;
  kind: 'panel' | 'record' | 'alert';
}

/**
 * Grafana's variables as the real-series test evaluates them: every cluster and workload, and
 * fixed intervals in place of those Grafana computes from the time range.
 */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$(cluster|workload)\b/g, '.*')
    .replace(/\$__rate_interval\b/g, '1m')
    .replace(/\$__interval\b/g, '1m')
    .replace(/\$__range\b/g, '1h');
}

interface Panel {
  title: string;
  targets?: Array<{ refId: string; expr?: string }>;
  panels?: Panel[];
}

interface RuleGroup {
  name: string;
  rules: Array<{
    record?: string;
    alert?: string;
    expr: string;
    labels?: Record<string, string>;
  }>;
}

/** Every PromQL expression of the four dashboards and of the rule files, with its origin. */
export function observabilityQueries(root = repoRoot): ObservabilityQuery[] {
  const queries: ObservabilityQuery[] = [];
  for (const file of Object.values(DASHBOARD_FILES)) {
    const dashboard = JSON.parse(readFileSync(join(root, file), 'utf8'));
    // Rows may nest panels; these dashboards have none, but a later edit in Grafana might.
    const panels: Panel[] = dashboard.panels.flatMap((p: Panel) => [
      p,
      ...(p.panels ?? []),
    ]);
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (!target.expr) continue;
        queries.push({
          expr: substituteGrafanaVariables(target.expr),
          file,
          where: `${panel.title} (${target.refId})`,
          kind: 'panel',
        });
      }
    }
  }
  for (const file of RULE_FILES) {
    const { groups } = parse(readFileSync(join(root, file), 'utf8')) as {
      groups: RuleGroup[];
    };
    for (const group of groups) {
      for (const rule of group.rules) {
        const labels = Object.entries(rule.labels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(', ');
        queries.push({
          expr: rule.expr.trim(),
          file,
          where: `${group.name}: ${rule.record ?? rule.alert}${
            labels ? ` {${labels}}` : ''
          }`,
          kind: rule.alert ? 'alert' : 'record',
        });
      }
    }
  }
  return queries;
}
