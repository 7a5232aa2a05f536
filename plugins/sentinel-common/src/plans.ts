/** Every status a plan can be in (see API-CONTRACT.md). */
export const PLAN_STATUSES = [
  'received',
  'pending_approval',
  'approved',
  'rejected',
  'executing',
  'succeeded',
  'failed',
  'rolled_back',
  'cancelled',
  'simulated',
] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];

/** Statuses a plan never leaves. */
export const TERMINAL_PLAN_STATUSES: readonly PlanStatus[] = [
  'rejected',
  'succeeded',
  'failed',
  'rolled_back',
  'cancelled',
  'simulated',
];

/** Whether a plan in this status is finished for good. */
export function isTerminalPlanStatus(status: PlanStatus): boolean {
  return TERMINAL_PLAN_STATUSES.includes(status);
}

/** The verbs an optimizer may use in a decision. */
export const VERBS = [
  'scale',
  'set_resources',
  'restart',
  'rollout',
  'rollback',
] as const;
export type Verb = (typeof VERBS)[number];

/** `enforce` applies changes; `shadow` records the exact change it would make and stops. */
export type PlanMode = 'enforce' | 'shadow';

/** Status of one decision within a plan. */
export type DecisionStatus =
  | 'pending'
  | 'applying'
  | 'succeeded'
  | 'failed'
  | 'rolled_back'
  | 'simulated'
  | 'skipped';

export type VerdictOutcome = 'allow' | 'require_approval' | 'deny';

/** Why a policy rule decided as it did, in words a person can act on. */
export interface VerdictReason {
  rule: string;
  message: string;
}

/** The policy engine's verdict on one decision. */
export interface Verdict {
  outcome: VerdictOutcome;
  reasons: VerdictReason[];
}

/** The workload a decision changes, with defaults applied. */
export interface PlanTarget {
  cluster: string;
  namespace: string;
  kind: 'Deployment' | 'StatefulSet';
  name: string;
}

/** One decision of a plan as the API returns it. */
export interface PlanDecision {
  index: number;
  verb: Verb;
  target: PlanTarget;
  params: Record<string, unknown>;
  rationale: string | null;
  confidence: number | null;
  entityRef: string | null;
  verdict: Verdict | null;
  status: DecisionStatus;
  /** The workload before the change: the snapshot a rollback restores. */
  before: unknown | null;
  /** The workload after the change (or, in shadow mode, as it would be). */
  after: unknown | null;
  error: string | null;
}

/** One entry of a plan's timeline. */
export interface PlanEvent {
  at: string;
  status: PlanStatus;
  actor: string;
  message: string;
}

/** An action plan as the API returns it. */
export interface Plan {
  id: string;
  source: string;
  mode: PlanMode;
  status: PlanStatus;
  statusReason: string | null;
  createdAt: string;
  updatedAt: string;
  submittedBy: string;
  rollbackOf: string | null;
  decisions: PlanDecision[];
  timeline: PlanEvent[];
}
