import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  ClusterDriver,
  TrafficRouter,
} from '@internal/backstage-plugin-sentinel-node';
import { PrometheusClient } from './analysis/PrometheusClient';
import type { WorkloadEvents } from '../inventory/WorkloadReader';
import { RolloutWakeups } from '../work/RolloutWakeups';
import { Reconciler } from '../work/Reconciler';
import type { RolloutSettings } from './rolloutConfig';
import type { RolloutObserver } from './rolloutObserver';
import { RolloutController } from './controller/RolloutController';
import type { RolloutStore } from './store/RolloutStore';
import type { Rollout } from './types';

export interface RolloutExecutionOptions {
  store: RolloutStore;
  clusterDrivers: ReadonlyMap<string, ClusterDriver>;
  settings: RolloutSettings;
  logger: LoggerService;
  owner: string;
  /** Watch events of candidate and stable workloads wake their rollouts. */
  inventory?: WorkloadEvents;
  observer?: RolloutObserver;
  /** Traffic routers by `<cluster>/<name>`. */
  trafficRouters?: ReadonlyMap<string, TrafficRouter>;
  /** A rollout ended: its plan's decision can go on. */
  onEnded?: (rollout: Rollout) => void;
  leaseMs?: number;
  pollIntervalMs?: number;
  now?: () => Date;
}

/**
 * Progressive rollouts on one replica: the rollout controller run by a reconciler of its own,
 * woken by the inventory's watch events on the workloads it is rolling out.
 */
export function createRolloutExecution(options: RolloutExecutionOptions) {
  const { settings } = options;
  const wakeups = new RolloutWakeups();
  const controller = new RolloutController({
    store: options.store,
    clusterDrivers: options.clusterDrivers,
    prometheus: settings.prometheusUrl
      ? new PrometheusClient({
          ...settings.prometheusAccess,
          baseUrl: settings.prometheusUrl,
          timeoutMs: settings.prometheusTimeoutMs,
        })
      : undefined,
    logger: options.logger,
    owner: options.owner,
    maxPauseMs: settings.maxPauseMs,
    recheckMs: settings.recheckMs,
    abortAttempts: settings.abortAttempts,
    onEnded: options.onEnded,
    wakeups,
    trafficRouters: options.trafficRouters,
    observer: options.observer,
    now: options.now,
  });
  const reconciler = new Reconciler<Rollout>({
    name: 'rollout',
    queue: options.store.queue,
    controller,
    logger: options.logger,
    owner: options.owner,
    concurrency: settings.concurrency,
    leaseMs: options.leaseMs,
    pollIntervalMs: options.pollIntervalMs,
    now: options.now,
  });
  // Only what may end a wait matters: a workload whose rollout is no longer progressing.
  const unsubscribe =
    options.inventory &&
    wakeups.wakeOn(options.inventory, ids => reconciler.wake(ids));
  return {
    reconciler,
    start: () => reconciler.start(),
    stop: async () => {
      unsubscribe?.();
      await reconciler.stop();
    },
  };
}
