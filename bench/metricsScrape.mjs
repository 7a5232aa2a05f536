// Scrapes the backend's Prometheus endpoint during a benchmark as Prometheus would, so that
// the exporter's cost is part of the figures, and reads histogram
// quantiles from the last scrape (e.g. Sentinel's database query durations).
import { setTimeout as sleep } from 'node:timers/promises';

/** Scrapes `url` every `intervalMs` until stopped; resolves with the scrapes and the last text. */
export function startScraper(url, intervalMs) {
  let running = true;
  const durations = [];
  let last = '';
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const res = await fetch(url);
      if (!res.ok) throw new Error(`scrape of ${url} answered ${res.status}`);
      last = await res.text();
      durations.push(performance.now() - started);
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      // One more, so that the figures include everything up to now.
      last = await (await fetch(url)).text();
      return { scrapes: durations.length, durations, text: last };
    },
  };
}

/** `name{labels} value` lines of the exposition text, with their labels parsed. */
function samples(text, name) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^([^{\s]+)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = {};
    for (const [, k, v] of (match[2] ?? '').matchAll(
      /(\w+)="((?:[^"\\]|\\.)*)"/g,
    )) {
      labels[k] = v;
    }
    out.push({ labels, value: Number(match[3]) });
  }
  return out;
}

/**
 * The `q` quantile of histogram `name` over the series `keep` selects, summed, interpolated
 * within its bucket as PromQL's histogram_quantile does; undefined without observations.
 */
export function histogramQuantile(text, name, q, keep = () => true) {
  const byLe = new Map();
  for (const { labels, value } of samples(text, `${name}_bucket`)) {
    if (!keep(labels)) continue;
    const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + value);
  }
  const buckets = [...byLe.entries()].sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let [lowerLe, lowerCount] = [0, 0];
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return lowerLe;
      return (
        lowerLe +
        ((le - lowerLe) * (rank - lowerCount)) / (count - lowerCount || 1)
      );
    }
    [lowerLe, lowerCount] = [le, count];
  }
  return lowerLe;
}

/** The number of observations of histogram `name` over the series `keep` selects. */
export function histogramCount(text, name, keep = () => true) {
  return samples(text, `${name}_count`)
    .filter(s => keep(s.labels))
    .reduce((sum, s) => sum + s.value, 0);
}
