import type { z } from 'zod';
import type {
  planDecisionSchema,
  planEventSchema,
  planSchema,
  planTargetSchema,
  verdictReasonSchema,
  verdictSchema,
} from './schema/plan';

/**
 * Every status a plan can be in, as the HTTP API's OpenAPI document lists them.
 *
 * @public
 */
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
/**
 * The status of a plan, one of `PLAN_STATUSES`.
 *
 * @public
 */
export type PlanStatus = (typeof PLAN_STATUSES)[number];

/**
 * Statuses a plan never leaves.
 *
 * @public
 */
export const TERMINAL_PLAN_STATUSES: readonly PlanStatus[] = [
  'rejected',
  'succeeded',
  'failed',
  'rolled_back',
  'cancelled',
  'simulated',
];

/**
 * Whether a plan in this status is finished for good.
 *
 * @public
 */
export function isTerminalPlanStatus(status: PlanStatus): boolean {
  return TERMINAL_PLAN_STATUSES.includes(status);
}

/**
 * The verbs an optimizer may use in a decision.
 *
 * @public
 */
export const VERBS = [
  'scale',
  'set_resources',
  'restart',
  'rollout',
  'rollback',
] as const;
/**
 * A verb of a decision, one of `VERBS`.
 *
 * @public
 */
export type Verb = (typeof VERBS)[number];

/**
 * `enforce` applies changes; `shadow` records the exact change it would make and stops.
 *
 * @public
 */
export type PlanMode = 'enforce' | 'shadow';

/**
 * Status of one decision within a plan.
 *
 * @public
 */
export type DecisionStatus = PlanDecision['status'];

/**
 * What the policy engine decided about one decision.
 *
 * @public
 */
export type VerdictOutcome = Verdict['outcome'];

// The API's shapes, inferred from the zod schemas the server's OpenAPI document is generated
// from (schema/plan.ts): one definition for the server, the client and the frontend.

/**
 * Why a policy rule decided as it did, in words a person can act on.
 *
 * @public
 */
export type VerdictReason = z.output<typeof verdictReasonSchema>;

/**
 * The policy engine's verdict on one decision.
 *
 * @public
 */
export type Verdict = z.output<typeof verdictSchema>;

/**
 * The workload a decision changes, with defaults applied.
 *
 * @public
 */
export type PlanTarget = z.output<typeof planTargetSchema>;

/**
 * One decision of a plan as the API returns it.
 *
 * @public
 */
export type PlanDecision = z.output<typeof planDecisionSchema>;

/**
 * One entry of a plan's timeline.
 *
 * @public
 */
export type PlanEvent = z.output<typeof planEventSchema>;

/**
 * An action plan as the API returns it.
 *
 * @public
 */
export type Plan = z.output<typeof planSchema>;
