// @ts-check

/**
 * Idempotency keys are scoped per principal: the same key sent by two callers names two plans,
 * and one caller can never be answered with another's plan (or learn that a key is taken).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('plans', table => {
    table.dropUnique(['idempotency_key']);
    table.unique(['submitted_by', 'idempotency_key'], {
      indexName: 'plans_principal_idempotency_key_idx',
    });
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('plans', table => {
    table.dropUnique(
      ['submitted_by', 'idempotency_key'],
      'plans_principal_idempotency_key_idx',
    );
    table.unique(['idempotency_key']);
  });
};
