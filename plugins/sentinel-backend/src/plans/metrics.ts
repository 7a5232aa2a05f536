import { metrics, type Attributes } from '@opentelemetry/api';
import type { PlanStatus } from '@internal/backstage-plugin-sentinel-common';

/** The pipeline's OpenTelemetry instruments; names are listed in the plugin README. */
export interface PipelineMetrics {
  submitted(source: string, mode: string): void;
  decision(verb: string, outcome: string): void;
  rollback(reason: string): void;
  finished(plan: { status: PlanStatus; mode: string; seconds: number }): void;
  setQueueDepth(byStatus: Partial<Record<PlanStatus, number>>): void;
}

export function createPipelineMetrics(): PipelineMetrics {
  const meter = metrics.getMeter('sentinel');
  const plansSubmitted = meter.createCounter('sentinel_plans_submitted_total', {
    description: 'Action plans accepted, by source and mode',
  });
  const decisions = meter.createCounter('sentinel_decisions_total', {
    description: 'Decisions executed, by verb and outcome',
  });
  const rollbacks = meter.createCounter('sentinel_rollbacks_total', {
    description: 'Rollbacks, by reason',
  });
  const duration = meter.createHistogram('sentinel_plan_duration_seconds', {
    description: 'From submission to a terminal status',
    unit: 's',
  });
  let depth: Partial<Record<PlanStatus, number>> = {};
  meter
    .createObservableGauge('sentinel_plan_queue_depth', {
      description: 'Plans not yet finished, by status',
    })
    .addCallback(result => {
      for (const [status, count] of Object.entries(depth)) {
        result.observe(count ?? 0, { status } as Attributes);
      }
    });

  return {
    submitted: (source, mode) => plansSubmitted.add(1, { source, mode }),
    decision: (verb, outcome) => decisions.add(1, { verb, outcome }),
    rollback: reason => rollbacks.add(1, { reason }),
    finished: ({ status, mode, seconds }) =>
      duration.record(seconds, { status, mode }),
    setQueueDepth: byStatus => {
      depth = {
        received: 0,
        pending_approval: 0,
        approved: 0,
        executing: 0,
        ...byStatus,
      };
    },
  };
}
