import type { MetricCheck } from '@internal/backstage-plugin-sentinel-common';
import type { KubernetesSignals } from '@internal/backstage-plugin-sentinel-node';
import type { QueryOutcome } from './PrometheusClient';

/**
 * Health scoring of a canary (or a green workload) in the manner of Kayenta's metric groups:
 * each check is judged on its own (pass, fail, or inconclusive when there is nothing to judge),
 * the passing checks' weights make a score from 0 to 100, a critical check that fails fails
 * the interval alone, and a verdict is only reached over consecutive intervals. Pure: the
 * values come from Prometheus and the Kubernetes API beforehand.
 */

export type CheckVerdict = 'pass' | 'fail' | 'inconclusive';

/** What was measured for one check in one interval. */
export interface Measured {
  check: MetricCheck;
  canary: QueryOutcome;
  /** The stable workload's value, for checks `against: 'stable'`. */
  stable?: QueryOutcome;
}

export interface CheckResult {
  name: string;
  value: number | null;
  /** The bound the value was held to (absolute, or derived from the stable value). */
  threshold: number | null;
  weight: number;
  critical: boolean;
  verdict: CheckVerdict;
  /** Why, for inconclusive and failed checks. */
  reason?: string;
}

export interface IntervalScore {
  /** 0 to 100: the weight of passing checks over the weight of checks with a value. */
  score: number;
  verdict: CheckVerdict;
  reason: string;
  checks: CheckResult[];
}

export interface ScoreThresholds {
  /** At or above: the interval passes (unless a critical check failed). Default 95. */
  pass: number;
  /** Below: the interval fails. Between the two it is inconclusive (marginal). Default 75. */
  marginal: number;
}

export const DEFAULT_THRESHOLDS: ScoreThresholds = { pass: 95, marginal: 75 };

/** The PromQL of `template` for one workload; label values are escaped for PromQL strings. */
export function renderQuery(
  template: string,
  vars: { namespace: string; workload: string; cluster: string },
): string {
  const escape = (value: string) =>
    value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return template.replace(
    /\{\{\s*(namespace|workload|cluster)\s*\}\}/g,
    (_, name: keyof typeof vars) => escape(vars[name]),
  );
}

/** Why an outcome gives no value to judge; undefined when it has one. */
function missingValue(
  outcome: QueryOutcome | undefined,
  whose: string,
): string | undefined {
  if (!outcome) return `no value for the ${whose} workload`;
  if (outcome.kind === 'no_data') return `no data for the ${whose} workload`;
  if (outcome.kind === 'unavailable') return outcome.reason;
  return undefined;
}

/** Judges one check from what was measured. */
export function judgeCheck(measured: Measured): CheckResult {
  const { check } = measured;
  const base = {
    name: check.name,
    weight: check.weight,
    critical: check.critical ?? false,
  };
  const canaryMissing = missingValue(measured.canary, 'judged');
  if (canaryMissing) {
    return {
      ...base,
      value: null,
      threshold: null,
      verdict: 'inconclusive',
      reason: canaryMissing,
    };
  }
  const value = (measured.canary as { value: number }).value;
  let max = check.max;
  let min = check.min;
  if (check.against === 'stable') {
    const stableMissing = missingValue(measured.stable, 'stable');
    if (stableMissing) {
      return {
        ...base,
        value,
        threshold: null,
        verdict: 'inconclusive',
        reason: stableMissing,
      };
    }
    const baseline = (measured.stable as { value: number }).value;
    const tolerance = check.tolerance ?? 0;
    const slack = check.slack ?? 0;
    if (check.min !== undefined) min = baseline * (1 - tolerance) - slack;
    else max = baseline * (1 + tolerance) + slack;
  }
  if (max !== undefined && value > max) {
    return {
      ...base,
      value,
      threshold: max,
      verdict: 'fail',
      reason: `${check.name} is ${value}, above ${max}`,
    };
  }
  if (min !== undefined && value < min) {
    return {
      ...base,
      value,
      threshold: min,
      verdict: 'fail',
      reason: `${check.name} is ${value}, below ${min}`,
    };
  }
  return { ...base, value, threshold: max ?? min ?? null, verdict: 'pass' };
}

/** Kubernetes signals as critical checks: any one of them fails the interval alone. */
export function judgeKubernetes(signals: KubernetesSignals): CheckResult[] {
  const check = (
    name: string,
    value: number,
    threshold: number,
    bad: boolean,
    reason: string,
  ): CheckResult => ({
    name,
    value,
    threshold,
    weight: 0,
    critical: true,
    verdict: bad ? 'fail' : 'pass',
    ...(bad && { reason }),
  });
  return [
    check(
      'crash-loop',
      signals.crashLoopBackOff ? 1 : 0,
      0,
      signals.crashLoopBackOff,
      'a container is in CrashLoopBackOff',
    ),
    check(
      'oom-killed',
      signals.oomKilled ? 1 : 0,
      0,
      signals.oomKilled,
      'a container was OOMKilled',
    ),
    check(
      'progress-deadline',
      signals.progressDeadlineExceeded ? 1 : 0,
      0,
      signals.progressDeadlineExceeded,
      'the rollout exceeded its progress deadline',
    ),
    check(
      'restarts',
      signals.restarts,
      0,
      signals.restarts > 0,
      `containers restarted ${signals.restarts} time(s)`,
    ),
    // Analysis starts once the workload's pods are up: one that is not ready any more is sick.
    check(
      'ready',
      signals.readyRatio,
      1,
      signals.readyRatio < 1,
      `${Math.round(signals.readyRatio * 100)} % of the pods are ready`,
    ),
  ];
}

/**
 * Scores one analysis interval. Any inconclusive check makes the interval inconclusive:
 * Sentinel never promotes on a partial picture.
 */
export function scoreInterval(
  measured: Measured[],
  signals: KubernetesSignals | undefined,
  thresholds: ScoreThresholds = DEFAULT_THRESHOLDS,
): IntervalScore {
  const checks = [
    ...(signals ? judgeKubernetes(signals) : []),
    ...measured.map(judgeCheck),
  ];
  const scored = checks.filter(c => c.verdict !== 'inconclusive');
  const total = scored.reduce((sum, c) => sum + c.weight, 0);
  const passed = scored
    .filter(c => c.verdict === 'pass')
    .reduce((sum, c) => sum + c.weight, 0);
  const score = total > 0 ? Math.round((passed / total) * 100) : 0;
  const criticalFailure = checks.find(c => c.critical && c.verdict === 'fail');
  if (criticalFailure) {
    return {
      score,
      verdict: 'fail',
      reason: `critical check ${criticalFailure.name} failed: ${criticalFailure.reason}`,
      checks,
    };
  }
  const inconclusive = checks.find(c => c.verdict === 'inconclusive');
  if (inconclusive) {
    return {
      score,
      verdict: 'inconclusive',
      reason: `check ${inconclusive.name} is inconclusive: ${inconclusive.reason}`,
      checks,
    };
  }
  if (total === 0) {
    return {
      score,
      verdict: 'inconclusive',
      reason: 'no check carries weight: nothing to score',
      checks,
    };
  }
  if (score < thresholds.marginal) {
    return {
      score,
      verdict: 'fail',
      reason: `score ${score} is below ${thresholds.marginal}`,
      checks,
    };
  }
  if (score < thresholds.pass) {
    return {
      score,
      verdict: 'inconclusive',
      reason: `score ${score} is marginal (pass at ${thresholds.pass})`,
      checks,
    };
  }
  return {
    score,
    verdict: 'pass',
    reason: `score ${score}`,
    checks,
  };
}

export interface AnalysisRules {
  /** Consecutive passing intervals needed to pass the step. */
  passAfter: number;
  /** Consecutive inconclusive intervals after which the analysis is inconclusive. */
  inconclusiveAfter: number;
}

export type AnalysisVerdict =
  | { verdict: 'pass' | 'fail' | 'inconclusive'; reason: string }
  /** Not yet decided: analyze another interval. */
  | { verdict: 'running'; reason: string };

/**
 * The verdict of a step's analysis from its intervals so far (oldest first): one failing
 * interval fails it; `passAfter` passes in a row pass it; `inconclusiveAfter` inconclusive
 * intervals in a row make it inconclusive (the controller pauses and says why). An
 * inconclusive interval breaks a run of passes.
 */
export function judgeAnalysis(
  intervals: Pick<IntervalScore, 'verdict' | 'reason'>[],
  rules: AnalysisRules,
): AnalysisVerdict {
  const last = intervals[intervals.length - 1];
  if (!last) return { verdict: 'running', reason: 'no interval analyzed yet' };
  if (last.verdict === 'fail') {
    return { verdict: 'fail', reason: last.reason };
  }
  let streak = 0;
  for (let i = intervals.length - 1; i >= 0; i--) {
    if (intervals[i].verdict !== last.verdict) break;
    streak += 1;
  }
  if (last.verdict === 'pass' && streak >= rules.passAfter) {
    return {
      verdict: 'pass',
      reason: `${streak} interval(s) in a row passed (${last.reason})`,
    };
  }
  if (last.verdict === 'inconclusive' && streak >= rules.inconclusiveAfter) {
    return {
      verdict: 'inconclusive',
      reason: `${streak} interval(s) in a row were inconclusive: ${last.reason}`,
    };
  }
  return {
    verdict: 'running',
    reason:
      last.verdict === 'pass'
        ? `${streak} of ${rules.passAfter} interval(s) passed`
        : `inconclusive (${streak} of ${rules.inconclusiveAfter}): ${last.reason}`,
  };
}
