import type { PlanStatus } from './plans';

/**
 * The Backstage signal channel on which the Sentinel backend announces that a plan or a
 * rollout changed, so that open pages refresh without polling (`useSignal` from
 * `@backstage/plugin-signals-react`).
 *
 * @public
 */
export const SENTINEL_CHANGES_CHANNEL = 'sentinel:changes';

/**
 * What changed, by id and catalog entity, never the thing itself: a page that shows it
 * refetches it through the API, which checks the reader's permissions.
 *
 * @public
 */
export type SentinelChangeMessage = {
  kind: 'plan' | 'rollout';
  /** The plan's or the rollout's id. */
  id: string;
  /** The plan a rollout belongs to (rollouts only). */
  planId?: string;
  /** The catalog entities whose workloads the plan or rollout changes. */
  entityRefs: string[];
  /** The plan's status now (plans only). */
  status?: PlanStatus;
  /** The rollout's phase now, e.g. `progressing` or `aborted` (rollouts only). */
  phase?: string;
};
