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
