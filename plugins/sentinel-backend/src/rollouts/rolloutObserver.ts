import type {
  AuditorService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { metrics } from '@opentelemetry/api';
import type { RolloutPhase } from './rolloutPhases';
import type { Rollout } from './types';

/** What a rollout's steps tell the world: every change of phase, every analyzed interval. */
export interface RolloutObserver {
  phaseChanged(
    rollout: Rollout,
    from: RolloutPhase,
    to: RolloutPhase,
    reason: string,
  ): void;
  analyzed(
    rollout: Rollout,
    analysis: {
      verdict: string;
      score: number;
      checks: readonly { name: string; verdict: string }[];
    },
  ): void;
}

// Scores are 0-100; most intervals pass near 100, the ones that matter are below.
const SCORE_BUCKETS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100];

/**
 * Metrics (names in the plugin README) and audit events for rollouts: the controller's own
 * changes of phase are audited as Sentinel's, as people's actions are audited by the routes.
 */
export function createRolloutObserver(deps: {
  auditor?: AuditorService;
  logger: LoggerService;
}): RolloutObserver {
  const meter = metrics.getMeter('sentinel');
  const phases = meter.createCounter('sentinel_rollout_phase_changes_total', {
    description:
      'Changes of phase of canary and blue/green rollouts, by strategy and phase',
  });
  const analyses = meter.createCounter('sentinel_rollout_analyses_total', {
    description: 'Analyzed intervals, by strategy and verdict',
  });
  const scores = meter.createHistogram('sentinel_analysis_score', {
    description: 'Health score of each analyzed interval (0-100), by strategy',
    advice: { explicitBucketBoundaries: SCORE_BUCKETS },
  });
  const results = meter.createCounter('sentinel_analysis_results_total', {
    description:
      "Each analysis metric's verdict per interval, by metric and verdict",
  });
  return {
    phaseChanged(rollout, from, to, reason) {
      phases.add(1, { strategy: rollout.strategy, phase: to });
      const auditor = deps.auditor;
      if (!auditor) return;
      // Never in the step's way: an audit backend that fails is logged, not thrown.
      Promise.resolve()
        .then(() =>
          auditor.createEvent({
            eventId: 'rollout-phase',
            severityLevel:
              to === 'aborted' || to === 'failed' ? 'high' : 'medium',
            meta: {
              rolloutId: rollout.id,
              planId: rollout.planId,
              workload: `${rollout.target.cluster}/${rollout.target.namespace}/${rollout.target.kind}/${rollout.target.name}`,
              from,
              to,
              reason,
            },
          }),
        )
        .then(event => event?.success())
        .catch(error =>
          deps.logger.warn(
            `Sentinel could not audit rollout ${rollout.id} going ${to}`,
            error,
          ),
        );
    },
    analyzed(rollout, { verdict, score, checks }) {
      analyses.add(1, { strategy: rollout.strategy, verdict });
      scores.record(score, { strategy: rollout.strategy });
      // Metric names come from the analysis settings (a handful), never from the request.
      for (const check of checks) {
        results.add(1, { metric: check.name, verdict: check.verdict });
      }
    },
  };
}
