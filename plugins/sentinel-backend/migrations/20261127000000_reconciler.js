// @ts-check

/**
 * The reconciler's state: a plan is advanced one short step at a time and persisted in
 * between, never by a worker that sleeps.
 *
 * - plans.next_check_at: when a replica should look at the plan again (null: only a person or
 *   an event brings it back, e.g. pending_approval or finished).
 * - plans.woken_at: set by an event (a rollout became ready, a cancel) while a replica holds
 *   the plan, so that releasing it does not push the next look back to the fallback poll.
 * - plans.approved_by: the person who approved the plan, if one did (an approval covers a
 *   require_approval verdict at the moment of apply; the policy's own approval does not).
 * - plans.held_since: when the plan was first held at the moment of apply (a freeze began, a
 *   change to the same workload is still rolling out), for the longest hold allowed.
 * - plan_decisions.deadline_at: the deadline of the decision's current phase (its rollout).
 * - plan_decisions_in_flight_idx: at most one change per workload is in flight (admitted and
 *   not yet rolled out or undone), whatever replica admitted it: the database says no to a
 *   second one, so the gate needs no lock for it.
 * - policy_revision: one row bumped with every change of policy, freeze windows and
 *   overrides, so that every replica notices a change with one cheap read.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('plans', table => {
    table.timestamp('next_check_at', { useTz: true }).nullable();
    table.timestamp('woken_at', { useTz: true }).nullable();
    table.string('approved_by', 255).nullable();
    table.timestamp('held_since', { useTz: true }).nullable();
    table.index(['next_check_at'], 'plans_due_idx');
  });
  // Plans a replica advances on its own are due at once.
  await knex('plans')
    .whereIn('status', ['received', 'approved', 'executing'])
    .update({ next_check_at: knex.ref('updated_at') });

  await knex.schema.alterTable('plan_decisions', table => {
    table.timestamp('deadline_at', { useTz: true }).nullable();
    table.index(['status'], 'plan_decisions_status_idx');
  });
  const [twice] = await knex('plan_decisions')
    .select('cluster', 'namespace', 'kind', 'name')
    .whereIn('status', ['applying', 'rolling_out'])
    .groupBy('cluster', 'namespace', 'kind', 'name')
    .havingRaw('count(*) > 1');
  if (twice) {
    throw new Error(
      `Two changes to ${twice.cluster}/${twice.namespace}/${twice.kind}/${twice.name} are in flight; let them finish (or stop the replicas running them), then start Sentinel again`,
    );
  }
  // Partial unique index (PostgreSQL and SQLite both have them).
  await knex.raw(
    `CREATE UNIQUE INDEX plan_decisions_in_flight_idx ON plan_decisions (cluster, namespace, kind, name) WHERE status IN ('applying', 'rolling_out')`,
  );

  await knex.schema.createTable('policy_revision', table => {
    table.comment(
      'Bumped with every change of policy, freeze windows or overrides: caches compare it',
    );
    table.integer('id').primary().notNullable();
    table.bigInteger('revision').notNullable();
  });
  await knex('policy_revision').insert({ id: 1, revision: 1 });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('policy_revision');
  await knex.raw('DROP INDEX plan_decisions_in_flight_idx');
  await knex.schema.alterTable('plan_decisions', table => {
    table.dropIndex(['status'], 'plan_decisions_status_idx');
    table.dropColumn('deadline_at');
  });
  await knex.schema.alterTable('plans', table => {
    table.dropIndex(['next_check_at'], 'plans_due_idx');
    table.dropColumn('held_since');
    table.dropColumn('approved_by');
    table.dropColumn('woken_at');
    table.dropColumn('next_check_at');
  });
};
