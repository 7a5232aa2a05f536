import { metrics, type Histogram, type Counter } from '@opentelemetry/api';

/** How late a replica takes work and how often it loses it (docs/observability.md). */
export interface QueueMetrics {
  /** Items just leased, with how long after their due time. */
  claimed(lagSeconds: readonly number[]): void;
  /** A step whose lease another replica (or a person's action) took meanwhile. */
  leaseLost(): void;
}

// Seconds: a healthy queue takes work within the poll interval; minutes mean a backlog.
const LAG_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300];

let instruments: { lag: Histogram; losses: Counter } | undefined;

/** One set of instruments for every queue (plans, rollouts), told apart by `queue`. */
export function queueMetrics(queue: string): QueueMetrics {
  instruments ??= {
    lag: metrics
      .getMeter('sentinel')
      .createHistogram('sentinel_reconciler_due_lag_seconds', {
        description: "From an item's due time to a replica taking it, by queue",
        unit: 's',
        advice: { explicitBucketBoundaries: LAG_SECONDS },
      }),
    losses: metrics
      .getMeter('sentinel')
      .createCounter('sentinel_reconciler_lease_losses_total', {
        description:
          'Steps whose lease expired or was taken before they ended, by queue',
      }),
  };
  const { lag, losses } = instruments;
  // From 0, so that the first loss after a start shows as an increase (and a quiet queue as 0).
  losses.add(0, { queue });
  return {
    claimed: lags => {
      for (const seconds of lags) lag.record(seconds, { queue });
    },
    leaseLost: () => losses.add(1, { queue }),
  };
}
