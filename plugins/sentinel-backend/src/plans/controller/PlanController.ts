import type { LoggerService } from '@backstage/backend-plugin-api';
import type { ClusterDriver } from '@internal/backstage-plugin-sentinel-node';
import type { WorkloadReader } from '../../inventory/WorkloadReader';
import type { ChangeLedger } from '../../policy/ChangeLedger';
import type { PolicyEngine } from '../../policy/PolicyEngine';
import type { ProgressiveRollouts } from '../../rollouts/ProgressiveRollouts';
import type { Controller, StepOutcome } from '../../work/Reconciler';
import type { RolloutWakeups } from '../../work/RolloutWakeups';
import type { ApplyGate } from '../gate/ApplyGate';
import type { PipelineMetrics } from '../metrics';
import type { PlanStore, PlanWork } from '../store/PlanStore';
import { PlanStep } from './PlanStep';

export interface PlanControllerOptions {
  store: PlanStore;
  clusterDrivers: ReadonlyMap<string, ClusterDriver>;
  /** Current workload state for decisions (the inventory first). */
  workloads: WorkloadReader;
  /** The verdicts at receipt. */
  policyEngine: PolicyEngine;
  /** Guardrails again at the moment of apply. */
  gate: ApplyGate;
  logger: LoggerService;
  metrics?: PipelineMetrics;
  /** Shares admitted changes with every replica's receipt-time rate limits. */
  ledger?: ChangeLedger;
  wakeups?: RolloutWakeups;
  /** Canary and blue/green rollouts; without them such decisions fail, saying so. */
  rollouts?: ProgressiveRollouts;
  /** Unique per replica; the lease owner. */
  owner: string;
  leaseMs: number;
  /** How long a change may take to roll out before it is rolled back. */
  rolloutTimeoutMs: number;
  /**
   * When to look at a rollout in `cluster` again: a fallback where watch events wake waiting
   * plans, the only way where none come.
   */
  rolloutRecheckMs(cluster: string): number;
  /** Claims these plans now: they were held on a workload whose change just ended. */
  wake?: (ids: string[]) => void;
  now?: () => Date;
  /** Test hooks, called where a crash is most dangerous. */
  hooks?: {
    afterApply?(planId: string, index: number): Promise<void> | void;
  };
}

/**
 * One plan, one step at a time: the policy's verdicts at receipt, the gate and the change at
 * the moment of apply, a look at the rollout, the automatic rollback. Each step reads the
 * plan, acts once on the world, persists what it did in one transaction (fenced by the plan's
 * lease) and says when to look again; waiting for a rollout, a freeze or another change is a
 * persisted due time, never a sleeping worker. Every change is recorded before it is applied,
 * and applied with the resourceVersion it was decided on, so a plan resumed by another replica
 * is never applied twice.
 */
export class PlanController implements Controller<PlanWork> {
  readonly #o: PlanControllerOptions;
  readonly #now: () => Date;

  constructor(options: PlanControllerOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
  }

  async reconcile(plan: PlanWork): Promise<StepOutcome> {
    return new PlanStep(this.#o, this.#now, plan).run();
  }
}
