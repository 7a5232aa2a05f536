import { metrics } from '@opentelemetry/api';
import { labelSets } from '../policy/policyMetrics';
import {
  TERMINAL_PLAN_STATUSES,
  VERBS,
  type PlanStatus,
} from '@internal/backstage-plugin-sentinel-common';

/**
 * How a finished plan went: `approval` when a person approved it, `rollout` when it rolled out
 * images (it waited for pods), `direct` otherwise. The "applied within 30 s" objective is about
 * `direct` plans (docs/slo.md): the others wait on people and on pods.
 */
export type PlanPath = 'direct' | 'approval' | 'rollout';

export function planPath(plan: {
  approvedBy: string | null;
  decisions: readonly { verb: string }[];
}): PlanPath {
  if (plan.approvedBy !== null) return 'approval';
  return plan.decisions.some(d => d.verb === 'rollout') ? 'rollout' : 'direct';
}

const ROLLBACK_REASONS = [
  'decision_failed',
  'cancelled',
  'requested',
  /** A canary or blue/green rollout aborted (analysis failed, or a person aborted it). */
  'rollout_aborted',
] as const;
export type RollbackReason = (typeof ROLLBACK_REASONS)[number];

/** The pipeline's OpenTelemetry instruments; names and labels in docs/observability.md. */
export interface PipelineMetrics {
  submitted(source: string, mode: string): void;
  decision(verb: string, outcome: string): void;
  rollback(reason: RollbackReason, outcome: 'succeeded' | 'failed'): void;
  finished(plan: {
    status: PlanStatus;
    mode: string;
    seconds: number;
    path: PlanPath;
  }): void;
  /** A person's (or the timeout's) answer to a plan that waited for approval. */
  approvalAnswered(
    outcome: 'approved' | 'rejected' | 'expired',
    seconds: number,
  ): void;
}

// Seconds; 30 is the "applied within 30 s" objective's boundary.
const PLAN_SECONDS = [
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600,
];
const APPROVAL_SECONDS = [
  10, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400,
];

export function createPipelineMetrics(): PipelineMetrics {
  const meter = metrics.getMeter('sentinel');
  const plansSubmitted = meter.createCounter('sentinel_plans_submitted_total', {
    description: 'Action plans accepted, by source and mode',
  });
  const plansFinished = meter.createCounter('sentinel_plans_finished_total', {
    description:
      'Action plans that reached a terminal status, by status and mode',
  });
  const decisions = meter.createCounter('sentinel_decisions_total', {
    description: 'Decisions executed, by verb and outcome',
  });
  const rollbacks = meter.createCounter('sentinel_rollbacks_total', {
    description: 'Rollbacks, by reason and outcome',
  });
  const duration = meter.createHistogram('sentinel_plan_duration_seconds', {
    description:
      'From submission to a terminal status, by status, mode and path',
    unit: 's',
    advice: { explicitBucketBoundaries: PLAN_SECONDS },
  });
  const approvalWait = meter.createHistogram('sentinel_approval_wait_seconds', {
    description:
      'From submission to the answer to a plan that waited for approval',
    unit: 's',
    advice: { explicitBucketBoundaries: APPROVAL_SECONDS },
  });
  const modes = ['enforce', 'shadow'];
  for (const set of labelSets({
    status: TERMINAL_PLAN_STATUSES,
    mode: modes,
  })) {
    plansFinished.add(0, set);
  }
  for (const set of labelSets({
    verb: VERBS,
    outcome: ['succeeded', 'failed', 'simulated'],
  })) {
    decisions.add(0, set);
  }
  for (const set of labelSets({
    reason: ROLLBACK_REASONS,
    outcome: ['succeeded', 'failed'],
  })) {
    rollbacks.add(0, set);
  }

  return {
    submitted: (source, mode) => plansSubmitted.add(1, { source, mode }),
    decision: (verb, outcome) => decisions.add(1, { verb, outcome }),
    rollback: (reason, outcome) => rollbacks.add(1, { reason, outcome }),
    finished: ({ status, mode, seconds, path }) => {
      plansFinished.add(1, { status, mode });
      duration.record(seconds, { status, mode, path });
    },
    approvalAnswered: (outcome, seconds) =>
      approvalWait.record(seconds, { outcome }),
  };
}
