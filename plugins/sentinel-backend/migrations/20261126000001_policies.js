// @ts-check

/**
 * The policy engine's data: every version of the policy document, freeze windows, break-glass
 * overrides, and when each decision was applied (for rate limits and blast radius).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('policy_versions', table => {
    table.comment(
      'Every version of the policy document; the highest is in force',
    );
    table.integer('version').primary().notNullable();
    table.text('document').notNullable();
    table.string('changed_by', 255).notNullable();
    table.timestamp('changed_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('freeze_windows', table => {
    table.comment('Change-freeze windows, one-off or recurring');
    table.string('id', 36).primary().notNullable();
    table
      .text('window')
      .notNullable()
      .comment('The window as the API returns it');
    table.string('created_by', 255).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('freeze_overrides', table => {
    table.comment('Break-glass overrides of freeze windows, time-limited');
    table.string('id', 36).primary().notNullable();
    table.text('scope').notNullable();
    table.text('reason').notNullable();
    table.string('created_by', 255).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.index(['expires_at'], 'freeze_overrides_expires_idx');
  });

  await knex.schema.alterTable('plan_decisions', table => {
    table.timestamp('applied_at', { useTz: true }).nullable();
    table.index(['applied_at'], 'plan_decisions_applied_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('plan_decisions', table => {
    table.dropIndex(['applied_at'], 'plan_decisions_applied_idx');
    table.dropColumn('applied_at');
  });
  await knex.schema.dropTable('freeze_overrides');
  await knex.schema.dropTable('freeze_windows');
  await knex.schema.dropTable('policy_versions');
};
