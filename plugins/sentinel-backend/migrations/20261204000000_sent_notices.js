// @ts-check

/**
 * Owner notifications sent once (live updates and notifications): a freeze window's interval
 * is announced to each owner group once, whichever replica runs the check and however often.
 * A row is kept until the interval ends.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('sent_notices', table => {
    table.comment('Notifications sent once, by key, until they expire');
    table.string('key', 255).primary().notNullable();
    table.timestamp('sent_at', { useTz: true }).notNullable();
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.index(['expires_at'], 'sent_notices_expires_at_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('sent_notices');
};
