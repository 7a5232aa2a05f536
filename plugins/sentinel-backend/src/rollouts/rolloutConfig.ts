import {
  metricCheckSchema,
  type MetricCheck,
} from '@internal/backstage-plugin-sentinel-common';
import { z } from 'zod';
import type { Config } from '@backstage/config';
import { DEFAULT_THRESHOLDS } from './analysis/healthScore';
import {
  readPrometheusAccess,
  type PrometheusAccessOptions,
} from './analysis/prometheusAccess';
import { checkSteps } from './canarySteps';
import {
  ROLLBACK_POLICIES,
  type AnalysisConfig,
  type RollbackPolicy,
  type RolloutStep,
} from './types';

/** How progressive rollouts run (`sentinel.rollouts`), with the defaults. */
export interface RolloutSettings {
  steps: RolloutStep[];
  analysis: AnalysisConfig;
  rollbackPolicy: RollbackPolicy;
  /**
   * Canary: the traffic router that sets the canary's weight (`nginx`, `gateway-api`, or one a
   * module adds); none: traffic follows the replica ratio.
   */
  trafficRouter?: string;
  /** Blue/green: how long blue stays scaled after the switch, for a rollback in one write. */
  rollbackWindowSeconds: number;
  /** Where the analysis asks (`sentinel.prometheus.baseUrl`); none: every check is inconclusive. */
  prometheusUrl?: string;
  /** Its CA file and credentials (`sentinel.prometheus.tls`, `.basicAuth`). */
  prometheusAccess: PrometheusAccessOptions;
  /** How long one query may take before it counts as unavailable. */
  prometheusTimeoutMs: number;
  maxPauseMs: number;
  abortAttempts: number;
  recheckMs: number;
  concurrency: number;
}

/**
 * The checks every canary gets unless the configuration says otherwise, in the metric names
 * of the simulated cluster (and of most HTTP services' instrumentation): the 5xx share and the
 * p99 latency, each over the last 30 s.
 */
export const DEFAULT_CHECKS: MetricCheck[] = [
  {
    name: 'error-rate',
    query:
      'sum(rate(http_requests_total{namespace="{{namespace}}",workload="{{workload}}",code=~"5.."}[30s])) / sum(rate(http_requests_total{namespace="{{namespace}}",workload="{{workload}}"}[30s]))',
    weight: 50,
    critical: true,
    max: 0.05,
  },
  {
    name: 'latency-p99',
    query:
      'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="{{namespace}}",workload="{{workload}}"}[30s])))',
    weight: 50,
    max: 1,
  },
];

export const DEFAULT_ROLLOUTS: RolloutSettings = {
  steps: [
    { weight: 10, pauseSeconds: 10 },
    { weight: 25, pauseSeconds: 10 },
    { weight: 50, pauseSeconds: 10 },
    { weight: 100 },
  ],
  analysis: {
    checks: DEFAULT_CHECKS,
    intervalSeconds: 10,
    passAfter: 2,
    inconclusiveAfter: 3,
    thresholds: DEFAULT_THRESHOLDS,
    readySeconds: 300,
    inconclusiveSeconds: 300,
    onInconclusive: 'abort',
  },
  rollbackPolicy: 'auto',
  rollbackWindowSeconds: 600,
  prometheusAccess: {},
  prometheusTimeoutMs: 5_000,
  maxPauseMs: 24 * 3600_000,
  abortAttempts: 20,
  recheckMs: 5_000,
  concurrency: 32,
};

/** `sentinel.rollouts.analysis.checks`, validated as everywhere a check is read. */
function readChecks(value: unknown): MetricCheck[] {
  const parsed = z.array(metricCheckSchema).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `sentinel.rollouts.analysis.checks${issue.path
        .map(p => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')}: ${issue.message}`,
    );
  }
  return parsed.data;
}

/** Reads `sentinel.rollouts` and `sentinel.prometheus`; throws naming a bad key. */
export function readRolloutSettings(root: Config): RolloutSettings {
  const config = root.getOptionalConfig('sentinel.rollouts');
  const d = DEFAULT_ROLLOUTS;
  const steps =
    config?.getOptionalConfigArray('steps')?.map(step => ({
      weight: step.getNumber('weight'),
      ...(step.has('pauseSeconds') && {
        pauseSeconds: step.getNumber('pauseSeconds'),
      }),
      ...(step.has('gate') && { gate: step.getBoolean('gate') }),
    })) ?? d.steps;
  const problem = checkSteps(steps);
  if (problem) throw new Error(`sentinel.rollouts.steps: ${problem}`);
  const a = config?.getOptionalConfig('analysis');
  const checks = a?.has('checks')
    ? readChecks(a.get('checks'))
    : d.analysis.checks;
  const onInconclusive =
    a?.getOptionalString('onInconclusive') ?? d.analysis.onInconclusive;
  if (onInconclusive !== 'abort' && onInconclusive !== 'wait') {
    throw new Error(
      `sentinel.rollouts.analysis.onInconclusive must be abort or wait, not ${onInconclusive}`,
    );
  }
  const rollbackPolicy =
    config?.getOptionalString('rollbackPolicy') ?? d.rollbackPolicy;
  if (!ROLLBACK_POLICIES.includes(rollbackPolicy as RollbackPolicy)) {
    throw new Error(
      `sentinel.rollouts.rollbackPolicy must be one of ${ROLLBACK_POLICIES.join(
        ', ',
      )}, not ${rollbackPolicy}`,
    );
  }
  const num = (c: Config | undefined, key: string, fallback: number) =>
    c?.getOptionalNumber(key) ?? fallback;
  return {
    steps,
    analysis: {
      checks,
      intervalSeconds: num(a, 'intervalSeconds', d.analysis.intervalSeconds),
      passAfter: num(a, 'passAfter', d.analysis.passAfter),
      inconclusiveAfter: num(
        a,
        'inconclusiveAfter',
        d.analysis.inconclusiveAfter,
      ),
      thresholds: {
        pass: num(a, 'passScore', d.analysis.thresholds.pass),
        marginal: num(a, 'marginalScore', d.analysis.thresholds.marginal),
      },
      readySeconds: num(a, 'readySeconds', d.analysis.readySeconds),
      inconclusiveSeconds: num(
        a,
        'inconclusiveSeconds',
        d.analysis.inconclusiveSeconds,
      ),
      onInconclusive,
    },
    rollbackPolicy: rollbackPolicy as RollbackPolicy,
    trafficRouter: config?.getOptionalString('trafficRouter'),
    rollbackWindowSeconds: num(
      config,
      'rollbackWindowSeconds',
      d.rollbackWindowSeconds,
    ),
    prometheusUrl: root.getOptionalString('sentinel.prometheus.baseUrl'),
    prometheusAccess: readPrometheusAccess(root),
    prometheusTimeoutMs:
      (root.getOptionalNumber('sentinel.prometheus.timeoutSeconds') ??
        d.prometheusTimeoutMs / 1000) * 1000,
    maxPauseMs: num(config, 'maxPauseSeconds', d.maxPauseMs / 1000) * 1000,
    abortAttempts: num(config, 'abortAttempts', d.abortAttempts),
    recheckMs: num(config, 'recheckSeconds', d.recheckMs / 1000) * 1000,
    concurrency: num(config, 'concurrency', d.concurrency),
  };
}
