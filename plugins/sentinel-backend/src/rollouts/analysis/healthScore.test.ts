import type { MetricCheck } from '@internal/backstage-plugin-sentinel-common';
import type { KubernetesSignals } from '@internal/backstage-plugin-sentinel-node';
import {
  judgeAnalysis,
  judgeCheck,
  renderQuery,
  scoreInterval,
  type Measured,
} from './healthScore';

const errorRate: MetricCheck = {
  name: 'error-rate',
  query:
    'sum(rate(http_requests_total{workload="{{workload}}",code=~"5.."}[1m]))',
  weight: 50,
  critical: true,
  max: 0.01,
};
const latency: MetricCheck = {
  name: 'latency-p99',
  query: 'histogram_quantile(0.99, ...)',
  weight: 30,
  max: 0.5,
};
const throughput: MetricCheck = {
  name: 'throughput',
  query: 'sum(rate(http_requests_total{workload="{{workload}}"}[1m]))',
  weight: 20,
  min: 1,
};
const value = (v: number) => ({ kind: 'value' as const, value: v });
const healthy: KubernetesSignals = {
  readyRatio: 1,
  restarts: 0,
  oomKilled: false,
  crashLoopBackOff: false,
  progressDeadlineExceeded: false,
};

describe('renderQuery', () => {
  it('fills in the workload judged, escaped for a PromQL string', () => {
    expect(
      renderQuery('x{namespace="{{namespace}}",workload="{{ workload }}"}', {
        namespace: 'shop',
        workload: 'cart-"canary"',
        cluster: 'demo',
      }),
    ).toBe('x{namespace="shop",workload="cart-\\"canary\\""}');
  });
});

describe('judgeCheck', () => {
  it.each<[string, Measured, Partial<ReturnType<typeof judgeCheck>>]>([
    [
      'under its maximum passes',
      { check: errorRate, canary: value(0.002) },
      { verdict: 'pass', threshold: 0.01 },
    ],
    [
      'over its maximum fails, saying by how much',
      { check: errorRate, canary: value(0.2) },
      { verdict: 'fail', reason: 'error-rate is 0.2, above 0.01' },
    ],
    [
      'under its minimum fails',
      { check: throughput, canary: value(0.5) },
      { verdict: 'fail', threshold: 1 },
    ],
    [
      'no data is inconclusive, never a pass',
      { check: errorRate, canary: { kind: 'no_data' } },
      {
        verdict: 'inconclusive',
        value: null,
        reason: 'no data for the judged workload',
      },
    ],
    [
      'Prometheus down is inconclusive, with its reason',
      {
        check: errorRate,
        canary: {
          kind: 'unavailable',
          reason: 'Prometheus at x did not answer',
        },
      },
      { verdict: 'inconclusive', reason: 'Prometheus at x did not answer' },
    ],
    [
      'against the stable workload: within tolerance and slack passes',
      {
        check: {
          ...latency,
          max: undefined,
          against: 'stable',
          tolerance: 0.1,
          slack: 0.01,
        },
        canary: value(0.32),
        stable: value(0.3),
      },
      { verdict: 'pass', threshold: 0.3 * 1.1 + 0.01 },
    ],
    [
      'against the stable workload: beyond it fails',
      {
        check: {
          ...latency,
          max: undefined,
          against: 'stable',
          tolerance: 0.1,
        },
        canary: value(0.5),
        stable: value(0.3),
      },
      { verdict: 'fail' },
    ],
    [
      'against the stable workload without its value is inconclusive',
      {
        check: { ...latency, max: undefined, against: 'stable' },
        canary: value(0.5),
        stable: { kind: 'no_data' },
      },
      { verdict: 'inconclusive', reason: 'no data for the stable workload' },
    ],
  ])('%s', (_, measured, expected) => {
    expect(judgeCheck(measured)).toMatchObject(expected);
  });
});

describe('scoreInterval', () => {
  it('scores 100 and passes when every check passes', () => {
    const score = scoreInterval(
      [
        { check: errorRate, canary: value(0) },
        { check: latency, canary: value(0.05) },
        { check: throughput, canary: value(20) },
      ],
      healthy,
    );
    expect(score).toMatchObject({ score: 100, verdict: 'pass' });
  });

  it('fails on a critical check alone, whatever the score', () => {
    const score = scoreInterval(
      [
        { check: { ...errorRate, weight: 1 }, canary: value(0.2) },
        { check: { ...latency, weight: 99 }, canary: value(0.05) },
      ],
      healthy,
    );
    expect(score.verdict).toBe('fail');
    expect(score.score).toBe(99);
    expect(score.reason).toMatch(/critical check error-rate failed/);
  });

  it('calls a score between marginal and pass inconclusive, and below marginal a failure', () => {
    const slowOnly = scoreInterval(
      [
        { check: errorRate, canary: value(0) },
        { check: latency, canary: value(2) },
        { check: throughput, canary: value(20) },
      ],
      healthy,
    );
    expect(slowOnly).toMatchObject({ score: 70, verdict: 'fail' });
    const marginal = scoreInterval(
      [
        { check: { ...errorRate, weight: 80 }, canary: value(0) },
        { check: { ...latency, weight: 10 }, canary: value(2) },
        { check: { ...throughput, weight: 10 }, canary: value(20) },
      ],
      healthy,
    );
    expect(marginal).toMatchObject({ score: 90, verdict: 'inconclusive' });
  });

  it('is inconclusive when a check has no data, even if the rest pass', () => {
    const score = scoreInterval(
      [
        { check: errorRate, canary: value(0) },
        {
          check: latency,
          canary: {
            kind: 'unavailable',
            reason: 'Prometheus at x did not answer',
          },
        },
      ],
      healthy,
    );
    expect(score.verdict).toBe('inconclusive');
    expect(score.reason).toMatch(
      /latency-p99 is inconclusive: Prometheus at x did not answer/,
    );
  });

  it.each<[keyof KubernetesSignals, unknown, RegExp]>([
    ['crashLoopBackOff', true, /CrashLoopBackOff/],
    ['oomKilled', true, /OOMKilled/],
    ['progressDeadlineExceeded', true, /progress deadline/],
    ['restarts', 3, /restarted 3 time/],
    ['readyRatio', 0.5, /50 % of the pods are ready/],
  ])(
    'fails on the Kubernetes signal %s, whatever the metrics say',
    (signal, bad, reason) => {
      const score = scoreInterval([{ check: errorRate, canary: value(0) }], {
        ...healthy,
        [signal]: bad,
      });
      expect(score.verdict).toBe('fail');
      expect(score.reason).toMatch(reason);
    },
  );
});

describe('judgeAnalysis', () => {
  const pass = { verdict: 'pass' as const, reason: 'score 100' };
  const fail = {
    verdict: 'fail' as const,
    reason: 'critical check error-rate failed',
  };
  const unsure = { verdict: 'inconclusive' as const, reason: 'no data' };
  const rules = { passAfter: 3, inconclusiveAfter: 2 };

  it.each([
    ['nothing yet', [], 'running'],
    ['two passes of three', [pass, pass], 'running'],
    ['three passes in a row', [pass, pass, pass], 'pass'],
    [
      'an inconclusive interval breaks the run of passes',
      [pass, pass, unsure, pass, pass],
      'running',
    ],
    ['one failure fails at once', [pass, pass, fail], 'fail'],
    ['two inconclusive in a row', [pass, unsure, unsure], 'inconclusive'],
  ] as const)('%s: %s', (_, intervals, verdict) => {
    expect(judgeAnalysis([...intervals], rules).verdict).toBe(verdict);
  });
});
