import type { Knex } from 'knex';
import { DatabaseGateStore } from '../gate/DatabaseGateStore';
import { DatabaseApprovalStore } from './DatabaseApprovalStore';
import { DatabasePlanStore } from './DatabasePlanStore';
import type { PlanChange } from './PlanStore';

/** The plans' stores over one database, telling `onChange` every committed change. */
export function createPlanStores(
  knex: Knex,
  options: { onChange?: (change: PlanChange) => void } = {},
) {
  return {
    plans: new DatabasePlanStore(knex, options),
    approvals: new DatabaseApprovalStore(knex, options),
    gate: new DatabaseGateStore(knex, options),
  };
}

/** The plans' stores over one database. */
export type PlanStores = ReturnType<typeof createPlanStores>;
