// @ts-check

/**
 * Progressive rollouts (ADR 006): a canary or blue/green rollout is an item of its own on the
 * reconciler, advanced one step at a time and persisted in between.
 *
 * - rollouts: one row per rollout decision of a plan. `stable` is the stable workload as it was
 *   before (what an abort restores), `candidate` the workload beside it (`<name>-canary`) and
 *   its images, `steps` the weights and pauses, `analysis` the checks and their rules, `stage`
 *   where within its phase the rollout is (waiting for the candidate's pods, analyzing, pausing
 *   after a step), `intervals` the verdicts of the current step's analysis so far.
 *   `phase_deadline_at` bounds every phase and stage; `next_check_at`, the lease and
 *   `woken_at` are the reconciler's, as for plans.
 * - rollout_events: the timeline, one row per change of phase or person's action.
 * - rollout_analyses: every analyzed interval: which metric, which value, which threshold,
 *   which verdict.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('rollouts', table => {
    table.comment('Canary and blue/green rollouts of rollout decisions');
    table.string('id', 64).primary().notNullable();
    table.string('plan_id', 64).notNullable();
    table.integer('decision_index').notNullable();
    table.string('cluster', 255).notNullable();
    table.string('namespace', 255).notNullable();
    table.string('kind', 64).notNullable();
    table.string('name', 255).notNullable();
    table.string('entity_ref', 255).nullable();
    table.string('strategy', 32).notNullable();
    table.string('rollback_policy', 32).notNullable();
    table.string('phase', 32).notNullable();
    table.text('phase_reason').notNullable();
    table.string('stage', 32).notNullable();
    table.text('stable').notNullable();
    table.text('candidate').notNullable();
    table.text('steps').notNullable();
    table.text('analysis').notNullable();
    table.integer('current_step').notNullable();
    table.integer('weight').notNullable();
    table.text('intervals').notNullable();
    table.text('health').nullable();
    table.integer('attempts').notNullable().defaultTo(0);
    table.timestamp('stage_started_at', { useTz: true }).notNullable();
    table.timestamp('phase_deadline_at', { useTz: true }).nullable();
    table.timestamp('next_check_at', { useTz: true }).nullable();
    table.timestamp('woken_at', { useTz: true }).nullable();
    table.string('lease_owner', 255).nullable();
    table.timestamp('lease_expires_at', { useTz: true }).nullable();
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.timestamp('ended_at', { useTz: true }).nullable();
    table.unique(['plan_id', 'decision_index'], {
      indexName: 'rollouts_decision_idx',
    });
    table.index(['cluster', 'namespace', 'name'], 'rollouts_workload_idx');
    table.index(['entity_ref', 'started_at'], 'rollouts_entity_idx');
  });
  // Partial index (PostgreSQL and SQLite both have them): the claim's, as for plans.
  await knex.raw(
    `CREATE INDEX rollouts_due_idx ON rollouts (next_check_at) WHERE phase IN ('pending', 'progressing', 'paused', 'promoting', 'aborting')`,
  );

  await knex.schema.createTable('rollout_events', table => {
    table.bigIncrements('id').primary();
    table.string('rollout_id', 64).notNullable();
    table.timestamp('at', { useTz: true }).notNullable();
    table.string('phase', 32).notNullable();
    table.string('actor', 255).notNullable();
    table.text('message').notNullable();
    table.index(['rollout_id', 'id'], 'rollout_events_rollout_idx');
  });

  await knex.schema.createTable('rollout_analyses', table => {
    table.bigIncrements('id').primary();
    table.string('rollout_id', 64).notNullable();
    table.integer('step').notNullable();
    table.timestamp('at', { useTz: true }).notNullable();
    table.integer('score').notNullable();
    table.string('verdict', 32).notNullable();
    table.text('reason').notNullable();
    table.text('checks').notNullable();
    table.index(['rollout_id', 'id'], 'rollout_analyses_rollout_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('rollout_analyses');
  await knex.schema.dropTable('rollout_events');
  await knex.raw('DROP INDEX rollouts_due_idx');
  await knex.schema.dropTable('rollouts');
};
