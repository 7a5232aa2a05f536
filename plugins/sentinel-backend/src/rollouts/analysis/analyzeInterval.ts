import type { PrometheusClient } from './PrometheusClient';
import {
  renderQuery,
  scoreInterval,
  type IntervalScore,
  type Measured,
} from './healthScore';
import type { CandidateOperations } from '@internal/backstage-plugin-sentinel-node';
import type { Rollout } from '../types';

/**
 * Measures one analysis interval of a rollout's candidate: its Kubernetes signals and every
 * PromQL check (for the candidate and, where a check compares, for the stable workload), all
 * at once, then scores them. Without Prometheus configured, checks are inconclusive, never
 * passed.
 */
export async function analyzeInterval(
  rollout: Rollout,
  candidates: Pick<CandidateOperations, 'healthSignals'>,
  prometheus: PrometheusClient | undefined,
): Promise<{ score: IntervalScore; restartCount?: number }> {
  const { namespace, cluster, name } = rollout.target;
  const candidate = { ...rollout.target, name: rollout.candidate.workload };
  const query = (template: string, workload: string) =>
    prometheus
      ? prometheus.query(
          renderQuery(template, { namespace, cluster, workload }),
        )
      : Promise.resolve({
          kind: 'unavailable' as const,
          reason: 'no Prometheus is configured (sentinel.prometheus.baseUrl)',
        });
  const [signals, measured] = await Promise.all([
    // Restarts count within the interval: since the last one analyzed.
    candidates.healthSignals(candidate, rollout.candidate.restartsSeen ?? 0),
    Promise.all(
      rollout.analysis.checks.map(async (check): Promise<Measured> => {
        const [canary, stable] = await Promise.all([
          query(check.query, candidate.name),
          check.against === 'stable' ? query(check.query, name) : undefined,
        ]);
        return { check, canary, ...(stable && { stable }) };
      }),
    ),
  ]);
  return {
    score: scoreInterval(measured, signals, rollout.analysis.thresholds),
    restartCount: signals?.restartCount,
  };
}
