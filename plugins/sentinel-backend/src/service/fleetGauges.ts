import { metrics } from '@opentelemetry/api';
import type { Rollout } from '../rollouts/types';

/** What the database says of work in flight, read every 15 s by every replica. */
export interface FleetSnapshot {
  /** Items due now and not leased, by queue (plans, rollouts). */
  due: Record<string, number>;
  rollouts: Rollout[];
}

/**
 * Gauges of work in flight, read from the database rather than kept per replica: every
 * replica reports the same values, so dashboards and rules aggregate them with `max`, never
 * `sum`. A rollout's own series (with its workload's labels) go when it ends.
 */
export function createFleetGauges(): { update(snapshot: FleetSnapshot): void } {
  const meter = metrics.getMeter('sentinel');
  let snapshot: FleetSnapshot = { due: {}, rollouts: [] };

  meter
    .createObservableGauge('sentinel_reconciler_queue_depth', {
      description: 'Items due now and not yet taken by a replica, by queue',
    })
    .addCallback(result => {
      for (const [queue, count] of Object.entries(snapshot.due)) {
        result.observe(count, { queue });
      }
    });

  meter
    .createObservableGauge('sentinel_rollouts_in_flight', {
      description:
        'Canary and blue/green rollouts not ended, by strategy and phase',
    })
    .addCallback(result => {
      const counts = new Map<
        string,
        { strategy: string; phase: string; n: number }
      >();
      for (const r of snapshot.rollouts) {
        const key = `${r.strategy}/${r.phase}`;
        const entry = counts.get(key) ?? {
          strategy: r.strategy,
          phase: r.phase,
          n: 0,
        };
        entry.n += 1;
        counts.set(key, entry);
      }
      for (const { strategy, phase, n } of counts.values()) {
        result.observe(n, { strategy, phase });
      }
    });

  meter
    .createObservableGauge('sentinel_rollout_canary_weight_percent', {
      description: "The new version's share of traffic, per rollout in flight",
      unit: '%',
    })
    .addCallback(result => {
      for (const r of snapshot.rollouts) {
        result.observe(r.weight, workloadLabels(r));
      }
    });

  meter
    .createObservableGauge('sentinel_rollout_health_score', {
      description:
        "The last analyzed interval's health score (0-100), per rollout in flight",
    })
    .addCallback(result => {
      for (const r of snapshot.rollouts) {
        if (r.health) result.observe(r.health.score, workloadLabels(r));
      }
    });

  return {
    update(next) {
      snapshot = next;
    },
  };
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
