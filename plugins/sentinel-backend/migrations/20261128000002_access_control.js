// @ts-check

/**
 * Access control (issue 10):
 *
 * - plan_approvals: who approved a plan, when, with which comment; one row per approver, so a
 *   rule asking for N approvers counts distinct people.
 * - audit_events: every action on plans, rollouts, policies, freezes, overrides and role
 *   bindings, and every refused attempt, written in the same transaction as the change it
 *   records (GET /v1/audit).
 * - rbac_bindings: who holds which Sentinel role, one row per version (the history); the
 *   newest is in force. Seeded from `sentinel.rbac` when empty.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('plan_approvals', table => {
    table.comment('Approvals of plans, one per approver');
    table
      .string('plan_id', 36)
      .notNullable()
      .references('id')
      .inTable('plans')
      .onDelete('CASCADE');
    table.string('approver', 255).notNullable();
    table.text('comment').nullable();
    table.timestamp('approved_at', { useTz: true }).notNullable();
    table.primary(['plan_id', 'approver']);
  });

  await knex.schema.createTable('audit_events', table => {
    table.comment('What was done or refused, by whom, to what, and why');
    table.bigIncrements('id').primary();
    table.timestamp('at', { useTz: true }).notNullable();
    table.string('actor', 255).notNullable();
    table.string('action', 64).notNullable();
    table.string('outcome', 16).notNullable();
    table.string('entity_ref', 255).nullable();
    table.string('plan_id', 36).nullable();
    table.string('rollout_id', 64).nullable();
    table.text('reason').nullable();
    table.text('details').notNullable();
    table.index(['at'], 'audit_events_at_idx');
    table.index(['actor', 'at'], 'audit_events_actor_idx');
    table.index(['entity_ref', 'at'], 'audit_events_entity_idx');
  });

  await knex.schema.createTable('rbac_bindings', table => {
    table.comment(
      'Versions of the Sentinel role bindings; the newest is in force',
    );
    table.integer('version').primary().notNullable();
    table.text('roles').notNullable();
    table.string('default_role', 32).nullable();
    table.string('updated_by', 255).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.text('comment').nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('rbac_bindings');
  await knex.schema.dropTable('audit_events');
  await knex.schema.dropTable('plan_approvals');
};
