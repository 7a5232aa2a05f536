// @ts-check

/**
 * Indexes for a queue under load: the claim's (the plans a replica advances, in the order
 * they come due), and none that a planner with stale statistics would drive the wrong way.
 *
 * A claim asks for the first due plans that no live lease holds. With plans_claim_idx
 * (status, lease_expires_at) and plans_due_idx (next_check_at, every plan) PostgreSQL chose
 * the first and read every unleased active plan to sort them: at saturation, with a backlog
 * of a few thousand plans, about 570 rows per claim. A partial index over the active plans
 * in due order lets a claim stop after the rows it takes (and the few leased ones it skips).
 *
 * plan_decisions_status_idx goes: every query of decisions names the plan, the workload or
 * the time applied, each with an index of its own, and with statistics taken while the queue
 * was empty (autovacuum analyzes when it likes) PostgreSQL drove the wake of held plans from
 * it, reading every pending decision of the backlog hundreds of times a second.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('plans', table => {
    table.dropIndex(['next_check_at'], 'plans_due_idx');
    table.dropIndex(['status', 'lease_expires_at'], 'plans_claim_idx');
  });
  await knex.schema.alterTable('plan_decisions', table => {
    table.dropIndex(['status'], 'plan_decisions_status_idx');
  });
  // Partial index (PostgreSQL and SQLite both have them).
  await knex.raw(
    `CREATE INDEX plans_due_idx ON plans (next_check_at) WHERE status IN ('received', 'approved', 'executing')`,
  );
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('plan_decisions', table => {
    table.index(['status'], 'plan_decisions_status_idx');
  });
  await knex.raw('DROP INDEX plans_due_idx');
  await knex.schema.alterTable('plans', table => {
    table.index(['next_check_at'], 'plans_due_idx');
    table.index(['status', 'lease_expires_at'], 'plans_claim_idx');
  });
};
