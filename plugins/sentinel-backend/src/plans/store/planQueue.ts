import type { Knex } from 'knex';
import { LeasedQueue } from '../../work/LeasedQueue';
import { RECONCILED_PLAN_STATUSES } from '../planTransitions';
import {
  planWork,
  storedDecision,
  type DecisionRow,
  type PlanRow,
} from './planRows';
import type { PlanWork } from './PlanStore';

/**
 * The plans a replica advances (received, approved, executing), as a leased work queue. A
 * claim returns each plan with its decisions: in the claim's own statement on PostgreSQL
 * (claims are the reconciler's most frequent query), in one more query on SQLite.
 */
export function createPlanQueue(knex: Knex): LeasedQueue<PlanWork> {
  return new LeasedQueue<PlanWork>(knex, {
    table: 'plans',
    stateColumn: 'status',
    reconciledStates: RECONCILED_PLAN_STATUSES,
    returning: k => [
      k.raw(
        '(SELECT json_agg(d ORDER BY d.decision_index) FROM plan_decisions d WHERE d.plan_id = plans.id) AS decisions',
      ),
    ],
    async toItems(rows: (PlanRow & { decisions?: DecisionRow[] | null })[]) {
      const missing = rows.filter(r => r.decisions === undefined);
      const loaded = missing.length
        ? await knex<DecisionRow>('plan_decisions')
            .whereIn(
              'plan_id',
              missing.map(r => r.id),
            )
            .orderBy(['plan_id', 'decision_index'])
        : [];
      return rows.map(row =>
        planWork(
          row,
          (row.decisions ?? loaded.filter(d => d.plan_id === row.id)).map(d =>
            storedDecision(d),
          ),
        ),
      );
    },
  });
}
