import type { MetricCheck } from '@internal/backstage-plugin-sentinel-common';
import type {
  PlanTarget,
  Verb,
} from '@internal/backstage-plugin-sentinel-common';
import type { WorkloadState } from '@internal/backstage-plugin-sentinel-node';
import type {
  AnalysisRules,
  CheckResult,
  CheckVerdict,
  ScoreThresholds,
} from './analysis/healthScore';
import type { RolloutPhase } from './rolloutPhases';

export type RolloutStrategy = 'canary' | 'bluegreen';

/** The decision of a plan that starts a rollout, as the rollouts domain reads it. */
export interface RolloutDecision {
  index: number;
  verb: Verb;
  target: PlanTarget;
  params: Record<string, unknown>;
  entityRef: string | null;
}

/**
 * What happens when a step's analysis fails: `auto` aborts and rolls back, `manual` pauses and
 * tells the owners, `freeze` pauses and holds every further change to the workload until a
 * person acts.
 */
export type RollbackPolicy = 'auto' | 'manual' | 'freeze';
export const ROLLBACK_POLICIES: readonly RollbackPolicy[] = [
  'auto',
  'manual',
  'freeze',
];

/** One step of a canary: the share of traffic the candidate takes, then a pause. */
export interface RolloutStep {
  weight: number;
  /** Waited after the step's analysis passed, before the next step. */
  pauseSeconds?: number;
  /** The step waits for a person to resume or promote it (a manual gate). */
  gate?: boolean;
}

/** How each step is analyzed. */
export interface AnalysisConfig extends AnalysisRules {
  /** PromQL checks, templated with `{{namespace}}`, `{{workload}}`, `{{cluster}}`. */
  checks: MetricCheck[];
  intervalSeconds: number;
  thresholds: ScoreThresholds;
  /** How long the candidate's pods may take to become ready at a step. */
  readySeconds: number;
  /** How long an inconclusive analysis (Prometheus down, no data) may pause a rollout. */
  inconclusiveSeconds: number;
  /** What then: abort, or keep waiting for a person. */
  onInconclusive: 'abort' | 'wait';
}

/** The workload beside the stable one that takes the new images. */
export interface Candidate {
  /** `<name>-canary` (canary) or `<name>-green` (blue/green). */
  workload: string;
  containers: Record<string, { image: string }>;
  replicas: number;
  /** Blue/green: the Service it switches, with its selector as it was before. */
  service?: { name: string; selector: Record<string, string> };
  /** Blue/green: the pod-template-hash of the stable (blue) and of the green pods. */
  blueHash?: string;
  greenHash?: string;
  /** Blue/green: how long blue stays ready to take traffic back after the switch. */
  rollbackWindowSeconds?: number;
  /** Restart count of the candidate's containers at its last analyzed interval. */
  restartsSeen?: number;
  /**
   * Canary: the traffic router that sets its weight (`nginx`, `gateway-api`); without one,
   * traffic follows the replica ratio.
   */
  router?: string;
}

/** Where within its phase a rollout is. */
export type RolloutStage =
  /** Created, the candidate not yet. */
  | 'create'
  /** The candidate scaled for the step; waiting for its pods. */
  | 'scale'
  /** Analyzing the step, one interval per look. */
  | 'analyze'
  /** The step passed; pausing before the next. */
  | 'pause'
  /** A person resumed it: the step again, from its pods. */
  | 'resume'
  /** A person promoted it one step: on to the next. */
  | 'advance'
  /** Waiting at a step's manual gate (resume goes on to the next step). */
  | 'gate'
  /** Waiting for a person at a manual gate or after a failed/inconclusive analysis. */
  | 'hold'
  /** Promotion written to the stable workload; waiting for its rollout. */
  | 'promote'
  /** Abort: removing the candidate, restoring the stable workload. */
  | 'undo'
  /** Abort: waiting for the restored stable workload before traffic goes back to it. */
  | 'undo-wait'
  /** Blue/green: traffic is on green; blue waits, scaled, for a rollback. */
  | 'window'
  | 'done';

export interface IntervalVerdict {
  verdict: CheckVerdict;
  reason: string;
}

export interface RolloutHealth {
  score: number;
  verdict: CheckVerdict;
  reason: string;
  checkedAt: string;
  metrics: CheckResult[];
}

/** A rollout as the controller reads and the API shows it. */
export interface Rollout {
  id: string;
  planId: string;
  decisionIndex: number;
  target: PlanTarget;
  entityRef: string | null;
  strategy: RolloutStrategy;
  rollbackPolicy: RollbackPolicy;
  phase: RolloutPhase;
  phaseReason: string;
  stage: RolloutStage;
  /** The stable workload before the rollout: what an abort restores. */
  stable: WorkloadState;
  candidate: Candidate;
  steps: RolloutStep[];
  analysis: AnalysisConfig;
  currentStep: number;
  /** The candidate's share of traffic now (0-100). */
  weight: number;
  intervals: IntervalVerdict[];
  health: RolloutHealth | null;
  /** Failed attempts of the current stage (the API server down, say). */
  attempts: number;
  stageStartedAt: Date;
  phaseDeadlineAt: Date | null;
  /** When a replica is due to look at it next (null: only a person or an event). */
  nextCheckAt: Date | null;
  startedAt: Date;
  updatedAt: Date;
  endedAt: Date | null;
  leaseOwner: string | null;
}

export interface RolloutEvent {
  at: Date;
  phase: RolloutPhase;
  actor: string;
  message: string;
}

export interface StoredAnalysis {
  step: number;
  at: Date;
  score: number;
  verdict: CheckVerdict;
  reason: string;
  checks: CheckResult[];
}
