// @ts-check

/**
 * The plan store: one row per action plan, one per decision in it, and the timeline of
 * every transition. JSON columns hold what the contract returns verbatim (params, verdict,
 * before/after snapshots), so the API never has to re-derive them.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('plans', table => {
    table.comment('Action plans submitted by an optimizer or a person');
    table.string('id', 36).primary().notNullable();
    table.string('source', 200).notNullable();
    table.string('mode', 16).notNullable().comment('enforce | shadow');
    table.string('status', 32).notNullable();
    table.string('submitted_by', 255).notNullable();
    table.string('idempotency_key', 200).nullable().unique();
    table.string('request_hash', 64).nullable();
    table
      .string('rollback_of', 36)
      .nullable()
      .comment('The plan a rollback plan undoes');
    table.text('status_reason').nullable();
    table
      .timestamp('cancel_requested_at', { useTz: true })
      .nullable()
      .comment('Set when a person cancels a plan that is already executing');
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    // Execution lease: which replica advances the plan, until when (exactly-once).
    table.string('lease_owner', 100).nullable();
    table.timestamp('lease_expires_at', { useTz: true }).nullable();
    table.index(['status', 'created_at'], 'plans_status_created_idx');
    table.index(['status', 'lease_expires_at'], 'plans_claim_idx');
  });

  await knex.schema.createTable('plan_decisions', table => {
    table.comment('The decisions of a plan, one change to one workload each');
    table
      .string('plan_id', 36)
      .notNullable()
      .references('id')
      .inTable('plans')
      .onDelete('CASCADE');
    table.integer('decision_index').notNullable();
    table.string('verb', 32).notNullable();
    table.string('cluster', 63).notNullable();
    table.string('namespace', 63).notNullable();
    table.string('kind', 32).notNullable();
    table.string('name', 253).notNullable();
    table.string('entity_ref', 255).nullable();
    table.text('params').notNullable();
    table.text('rationale').nullable();
    table.float('confidence').nullable();
    table.text('verdict').nullable();
    table.string('status', 32).notNullable();
    table
      .text('change')
      .nullable()
      .comment('The exact change, recorded before it is applied');
    table.text('before').nullable();
    table.text('after').nullable();
    table.text('error').nullable();
    table.primary(['plan_id', 'decision_index']);
    table.index(['entity_ref'], 'plan_decisions_entity_ref_idx');
    table.index(
      ['cluster', 'namespace', 'kind', 'name'],
      'plan_decisions_target_idx',
    );
  });

  await knex.schema.createTable('plan_events', table => {
    table.comment(
      'The timeline of a plan: every transition, who made it and why',
    );
    table.bigIncrements('id').primary();
    table
      .string('plan_id', 36)
      .notNullable()
      .references('id')
      .inTable('plans')
      .onDelete('CASCADE');
    table.timestamp('at', { useTz: true }).notNullable();
    table.string('status', 32).notNullable();
    table.string('actor', 255).notNullable();
    table.text('message').notNullable();
    table.index(['plan_id', 'id'], 'plan_events_plan_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('plan_events');
  await knex.schema.dropTable('plan_decisions');
  await knex.schema.dropTable('plans');
};
