import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { repoRoot } from './render';

/** Labels every series has besides its own (docs/observability.md, "Sentinel's metrics"). */
export const COMMON_LABELS = ['job', 'instance', 'otel_scope_name'];

/**
 * The metrics docs/observability.md's tables list: name, type (when a column says it) and
 * every word in backticks of the labels column (label names, and a few values: a superset).
 */
export function metricCatalogue(): Map<
  string,
  { type?: string; labels: Set<string> }
> {
  const text = readFileSync(resolve(repoRoot, 'docs/observability.md'), 'utf8');
  const catalogue = new Map<string, { type?: string; labels: Set<string> }>();
  for (const line of text.split('\n')) {
    const cells = line.split('|').map(c => c.trim());
    // | `name` | type | labels |  or  | `name` (...) | from |
    const name = cells[1]?.match(/^`([a-z_][a-z0-9_]*)`/)?.[1];
    if (!name) continue;
    const typed = cells.length >= 5;
    const labelCell = typed ? cells[3] : cells[2];
    catalogue.set(name, {
      type: typed ? cells[2] : undefined,
      labels: new Set(
        [...(labelCell ?? '').matchAll(/`([a-z_][a-z0-9_]*)`/g)].map(m => m[1]),
      ),
    });
  }
  return catalogue;
}

/** The catalogue's name for a series name: a histogram's series drop their suffix. */
export function catalogueName(
  series: string,
  catalogue: ReturnType<typeof metricCatalogue>,
): string | undefined {
  if (catalogue.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return base !== series &&
    catalogue.get(base)?.type !== 'counter' &&
    catalogue.has(base)
    ? base
    : undefined;
}

/**
 * The selectors of metrics in a PromQL expression: `name{matchers}` or a bare name, for names
 * of Sentinel's metrics and the HTTP server histogram (the ones the catalogue lists).
 */
export function selectors(
  expr: string,
): Array<{ metric: string; labels: string[] }> {
  const found: Array<{ metric: string; labels: string[] }> = [];
  const pattern =
    /(?<![a-z0-9_:])((?:sentinel|http_server)_[a-z0-9_]+)(?![a-z0-9_:(])\s*(\{[^}]*\})?/g;
  for (const m of expr.matchAll(pattern)) {
    const matchers = m[2] ?? '';
    found.push({
      metric: m[1],
      labels: [
        ...matchers.matchAll(/([a-z_][a-z0-9_]*)\s*(?:=~|!~|!=|=)/g),
      ].map(l => l[1]),
    });
  }
  return found;
}

/**
 * The gauges docs/observability.md says every replica reports alike (aggregate with `max`,
 * never `sum`): the backticked names of the paragraph saying so.
 */
export function gaugesReportedByEveryReplica(): string[] {
  const text = readFileSync(resolve(repoRoot, 'docs/observability.md'), 'utf8');
  const paragraph = text.split(/\n\s*\n/).find(p => p.includes('never `sum`'));
  return [...(paragraph ?? '').matchAll(/`(sentinel_[a-z0-9_]+)`/g)].map(
    m => m[1],
  );
}
