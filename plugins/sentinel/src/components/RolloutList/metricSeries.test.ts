import { metricSeries, sparkline } from './metricSeries';

const interval = (metrics: { name: string; value: number | null }[]) => ({
  step: 0,
  at: '',
  score: 100,
  verdict: 'pass',
  reason: '',
  metrics: metrics.map(m => ({ ...m, threshold: 1, verdict: 'pass' })),
});

describe('metricSeries', () => {
  it('lines each metric up over the intervals, with gaps where it was not measured', () => {
    const series = metricSeries([
      interval([{ name: 'errors', value: 0.1 }]),
      interval([
        { name: 'errors', value: 0.2 },
        { name: 'latency', value: 300 },
      ]),
      interval([{ name: 'latency', value: 250 }]),
    ] as any);
    expect(series.map(s => [s.name, s.values])).toEqual([
      ['errors', [0.1, 0.2, null]],
      ['latency', [null, 300, 250]],
    ]);
  });
});

describe('sparkline', () => {
  it('spans the box from the lowest value (bottom) to the highest (top), skipping gaps', () => {
    expect(sparkline([1, null, 3], 100, 10)).toBe('0.0,10.0 100.0,0.0');
    expect(sparkline([null], 100, 10)).toBe('');
    expect(sparkline([5], 100, 10)).toBe('0.0,10.0');
  });
});
