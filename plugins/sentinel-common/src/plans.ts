import type { components } from './generated/openapi';

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
export type DecisionStatus = PlanDecision['status'];

export type VerdictOutcome = Verdict['outcome'];

// The API's shapes, generated from the OpenAPI document (yarn generate:openapi): one
// definition for the server, the client and the frontend.
type Schemas = components['schemas'];

/** Why a policy rule decided as it did, in words a person can act on. */
export type VerdictReason = Schemas['Verdict']['reasons'][number];

/** The policy engine's verdict on one decision. */
export type Verdict = Schemas['Verdict'];

/** The workload a decision changes, with defaults applied. */
export type PlanTarget = Schemas['PlanDecision']['target'];

/** One decision of a plan as the API returns it. */
export type PlanDecision = Schemas['PlanDecision'];

/** One entry of a plan's timeline. */
export type PlanEvent = Schemas['PlanEvent'];

/** An action plan as the API returns it. */
export type Plan = Schemas['Plan'];
