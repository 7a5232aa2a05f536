import type { LoggerService } from '@backstage/backend-plugin-api';
import type { ClusterDriver } from '@internal/backstage-plugin-sentinel-node';
import type { GateStore } from './gate/GateStore';
import type { PlanStore, PlanWork } from './store/PlanStore';
import type { ChangeLedger } from '../policy/ChangeLedger';
import type { PolicyEngine } from '../policy/PolicyEngine';
import type { PolicyService } from '../policy/PolicyService';
import { Reconciler } from '../work/Reconciler';
import type { ProgressiveRollouts } from '../rollouts/ProgressiveRollouts';
import type { ExecutionSettings } from './executionConfig';
import { ApplyGate } from './gate/ApplyGate';
import type { PolicyMetrics } from '../policy/policyMetrics';
import type { PipelineMetrics } from './metrics';
import {
  PlanController,
  type PlanControllerOptions,
} from './controller/PlanController';
import { RolloutWakeups } from '../work/RolloutWakeups';
import {
  WorkloadReader,
  type WorkloadCache,
  type WorkloadEvents,
} from '../inventory/WorkloadReader';

export interface PlanExecutionOptions {
  store: PlanStore;
  /** The apply gate's check and reservation. */
  gateStore: GateStore;
  clusterDrivers: ReadonlyMap<string, ClusterDriver>;
  /** The policy at receipt and at the moment of apply; without it everything is allowed. */
  policies?: PolicyService;
  /** The verdicts at receipt, when not from `policies` (tests). */
  policyEngine?: PolicyEngine;
  ledger?: ChangeLedger;
  logger: LoggerService;
  metrics?: PipelineMetrics;
  /** Counts the gate's verdicts at the moment of apply. */
  policyMetrics?: PolicyMetrics;
  owner: string;
  settings: ExecutionSettings;
  /** The inventory: reads without API calls, and watch events that wake waiting plans. */
  inventory?: WorkloadCache & WorkloadEvents;
  /** Reads of current workload state (built from the drivers and inventory if not given). */
  workloads?: WorkloadReader;
  /** Canary and blue/green rollouts (their own reconciler runs them). */
  rollouts?: ProgressiveRollouts;
  now?: () => Date;
  hooks?: PlanControllerOptions['hooks'];
}

/**
 * Plan execution on one replica: the plan controller run by a reconciler, the gate at the
 * moment of apply, and the wiring that lets a watch event showing a finished rollout wake the
 * plans waiting on it.
 */
export function createPlanExecution(options: PlanExecutionOptions) {
  const { store, settings } = options;
  const wakeups = new RolloutWakeups();
  const workloads =
    options.workloads ??
    new WorkloadReader(options.clusterDrivers, options.inventory);
  const policyEngine = options.policyEngine ?? options.policies;
  if (!policyEngine) {
    throw new Error('plan execution needs a policy engine');
  }
  let reconciler: Reconciler<PlanWork> | undefined = undefined;
  const controller = new PlanController({
    store,
    clusterDrivers: options.clusterDrivers,
    workloads,
    policyEngine,
    gate: new ApplyGate({
      store: options.gateStore,
      policies: options.policies,
      maxHoldMs: settings.maxHoldMs,
      inFlightRecheckMs: settings.rolloutRecheckMs,
      metrics: options.policyMetrics,
    }),
    logger: options.logger,
    metrics: options.metrics,
    ledger: options.ledger,
    wakeups,
    rollouts: options.rollouts,
    owner: options.owner,
    leaseMs: settings.leaseMs,
    rolloutTimeoutMs: settings.rolloutTimeoutMs,
    // Where no watch events come, looking again is the only way to notice.
    rolloutRecheckMs: cluster =>
      options.inventory?.covers(cluster)
        ? settings.rolloutRecheckMs
        : Math.min(settings.pollIntervalMs, settings.rolloutRecheckMs),
    wake: ids => reconciler?.wake(ids),
    now: options.now,
    hooks: options.hooks,
  });
  reconciler = new Reconciler({
    name: 'plan',
    queue: store.queue,
    controller,
    logger: options.logger,
    owner: options.owner,
    concurrency: settings.concurrency,
    batchSize: settings.batchSize,
    leaseMs: settings.leaseMs,
    pollIntervalMs: settings.pollIntervalMs,
    now: options.now,
  });
  const plans = reconciler;

  // A rollout that completed or failed wakes the plans this replica left waiting on it.
  const unsubscribe =
    options.inventory &&
    wakeups.wakeOn(options.inventory, ids => plans.wake(ids));

  return {
    reconciler: plans,
    wakeups,
    workloads,
    start: () => plans.start(),
    stop: async () => {
      unsubscribe?.();
      await plans.stop();
    },
  };
}
