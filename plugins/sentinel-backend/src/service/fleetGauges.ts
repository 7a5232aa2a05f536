import { metrics } from '@opentelemetry/api';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type { PlanStatus } from '@internal/backstage-plugin-sentinel-common';
import type { Rollout } from '../rollouts/types';

/** What the database says of work in flight. */
export interface FleetSnapshot {
  /** Plans not finished, by status. */
  plans: Partial<Record<PlanStatus, number>>;
  /** Items due now and not leased, by queue (plans, rollouts). */
  due: Record<string, number>;
  rollouts: Rollout[];
}

const ACTIVE_PLAN_STATUSES: PlanStatus[] = [
  'received',
  'pending_approval',
  'approved',
  'executing',
];

/**
 * Gauges of work in flight, read from the database when Prometheus scrapes rather than kept
 * per replica: every replica reports the same values (aggregate with `max`, never `sum`), none
 * goes stale when another replica did the work, and a canary that lasts seconds is seen by the
 * next scrape. A rollout's own series (with its workload's labels) go when it ends. A read
 * that fails is logged and leaves these gauges out of that scrape.
 */
export function createFleetGauges(deps: {
  read(): Promise<FleetSnapshot>;
  logger: LoggerService;
}): void {
  const meter = metrics.getMeter('sentinel');
  const planDepth = meter.createObservableGauge('sentinel_plan_queue_depth', {
    description: 'Plans not yet finished, by status',
  });
  const queueDepth = meter.createObservableGauge(
    'sentinel_reconciler_queue_depth',
    { description: 'Items due now and not yet taken by a replica, by queue' },
  );
  const inFlight = meter.createObservableGauge('sentinel_rollouts_in_flight', {
    description:
      'Canary and blue/green rollouts not ended, by strategy and phase',
  });
  const weight = meter.createObservableGauge(
    'sentinel_rollout_canary_weight_percent',
    {
      description: "The new version's share of traffic, per rollout in flight",
      unit: '%',
    },
  );
  const health = meter.createObservableGauge('sentinel_rollout_health_score', {
    description:
      "The last analyzed interval's health score (0-100), per rollout in flight",
  });

  meter.addBatchObservableCallback(
    async result => {
      let snapshot: FleetSnapshot;
      try {
        snapshot = await deps.read();
      } catch (error) {
        deps.logger.warn(
          `Sentinel could not read the work in flight for its metrics: ${error}`,
        );
        return;
      }
      for (const status of ACTIVE_PLAN_STATUSES) {
        result.observe(planDepth, snapshot.plans[status] ?? 0, { status });
      }
      for (const [queue, count] of Object.entries(snapshot.due)) {
        result.observe(queueDepth, count, { queue });
      }
      for (const [key, n] of countBy(snapshot.rollouts)) {
        const [strategy, phase] = key.split('/');
        result.observe(inFlight, n, { strategy, phase });
      }
      for (const r of snapshot.rollouts) {
        const labels = workloadLabels(r);
        result.observe(weight, r.weight, labels);
        if (r.health) result.observe(health, r.health.score, labels);
      }
    },
    [planDepth, queueDepth, inFlight, weight, health],
  );
}

function countBy(rollouts: Rollout[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rollouts) {
    const key = `${r.strategy}/${r.phase}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function workloadLabels(r: Rollout) {
  return {
    cluster: r.target.cluster,
    namespace: r.target.namespace,
    workload: r.target.name,
    entity: r.entityRef ?? '',
    strategy: r.strategy,
  };
}
