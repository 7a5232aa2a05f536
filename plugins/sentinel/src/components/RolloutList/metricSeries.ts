import type { ApiRolloutDetail } from '@internal/backstage-plugin-sentinel-common';

/** One analysis metric over the rollout's intervals, oldest first. */
export interface MetricSeries {
  name: string;
  values: (number | null)[];
  threshold: number | null;
  lastVerdict: string;
}

/** Every metric the analysis checked, as a series over its intervals. Pure. */
export function metricSeries(
  analyses: NonNullable<ApiRolloutDetail['analyses']>,
): MetricSeries[] {
  const byName = new Map<string, MetricSeries>();
  analyses.forEach((analysis, i) => {
    for (const metric of analysis.metrics as {
      name: string;
      value: number | null;
      threshold?: number | null;
      verdict: string;
    }[]) {
      const series = byName.get(metric.name) ?? {
        name: metric.name,
        values: Array(i).fill(null),
        threshold: metric.threshold ?? null,
        lastVerdict: metric.verdict,
      };
      series.values.push(metric.value ?? null);
      series.lastVerdict = metric.verdict;
      byName.set(metric.name, series);
    }
    for (const series of byName.values()) {
      if (series.values.length < i + 1) series.values.push(null);
    }
  });
  return [...byName.values()];
}

/** SVG polyline points for values in a width x height box (gaps skipped). Pure. */
export function sparkline(
  values: readonly (number | null)[],
  width: number,
  height: number,
): string {
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0) return '';
  const max = Math.max(...known);
  const min = Math.min(...known);
  const span = max - min || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((v, i) =>
      v === null
        ? null
        : `${(i * step).toFixed(1)},${(
            height -
            ((v - min) / span) * height
          ).toFixed(1)}`,
    )
    .filter(Boolean)
    .join(' ');
}
