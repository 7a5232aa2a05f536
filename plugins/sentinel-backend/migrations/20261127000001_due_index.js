// @ts-check

/**
 * The claim's index: the plans a replica advances, in the order they come due.
 *
 * A claim asks for the first due plans that no live lease holds. With plans_claim_idx
 * (status, lease_expires_at) and plans_due_idx (next_check_at, every plan) PostgreSQL chose
 * the first and read every unleased active plan to sort them: at saturation, with a backlog
 * of a few thousand plans, about 570 rows per claim. A partial index over the active plans
 * in due order lets a claim stop after the rows it takes (and the few leased ones it skips).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('plans', table => {
    table.dropIndex(['next_check_at'], 'plans_due_idx');
    table.dropIndex(['status', 'lease_expires_at'], 'plans_claim_idx');
  });
  // Partial index (PostgreSQL and SQLite both have them).
  await knex.raw(
    `CREATE INDEX plans_due_idx ON plans (next_check_at) WHERE status IN ('received', 'approved', 'executing')`,
  );
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.raw('DROP INDEX plans_due_idx');
  await knex.schema.alterTable('plans', table => {
    table.index(['next_check_at'], 'plans_due_idx');
    table.index(['status', 'lease_expires_at'], 'plans_claim_idx');
  });
};
