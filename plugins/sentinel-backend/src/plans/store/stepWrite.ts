import type { PlanTarget } from '@internal/backstage-plugin-sentinel-common';
import type { Knex } from 'knex';
import { isReconciled, RECONCILED_PLAN_STATUSES } from '../planTransitions';
import { ASYNC_COMMIT, unindexedIn } from '../../work/LeasedQueue';
import type {
  DecisionPatch,
  PlanChange,
  StepSaved,
  StepWrite,
} from './PlanStore';

/**
 * How one reconcile step is persisted: the plan's row (status, reason, lease, next check),
 * its decision patches, its timeline entries and the wake of plans held on the workloads it
 * finished, all fenced by the step's lease and the status it saw.
 *
 * On PostgreSQL this is one statement (data-modifying CTEs): a step costs one round trip,
 * which is what bounds throughput on small machines, where every query's socket write costs
 * the backend more CPU than the query itself. Elsewhere (SQLite) it is a transaction of
 * several statements.
 */

function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export function targetColumns(target: PlanTarget) {
  return {
    cluster: target.cluster,
    namespace: target.namespace,
    kind: target.kind,
    name: target.name,
  };
}

/**
 * SQL keeping only plans a replica advances, written so that no index can serve it: the rows
 * must come by primary key or by a workload's decisions. A planner whose statistics date from
 * an empty queue (autovacuum analyzes when it likes) would otherwise select by status and read
 * every active plan (ADR 005). The statuses are the code's own constants, never input.
 */
export const RECONCILED_FILTER = unindexedIn(
  'status',
  RECONCILED_PLAN_STATUSES,
);

/** The columns a decision patch writes. */
export function decisionValues(patch: DecisionPatch): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  if (patch.status !== undefined) values.status = patch.status;
  if (patch.verdict !== undefined) values.verdict = toJson(patch.verdict);
  if (patch.change !== undefined) values.change = toJson(patch.change);
  if (patch.before !== undefined) values.before = toJson(patch.before);
  if (patch.after !== undefined) values.after = toJson(patch.after);
  if (patch.error !== undefined) values.error = patch.error;
  if (patch.appliedAt !== undefined) values.applied_at = patch.appliedAt;
  if (patch.deadlineAt !== undefined) values.deadline_at = patch.deadlineAt;
  return values;
}

/**
 * A step's patches, one per decision, later fields over earlier ones. A step may patch a
 * decision twice (a conflict sends it back to pending, then the gate refuses it); on
 * PostgreSQL two updates of one row in one statement apply only one of them, so they are
 * merged first.
 */
export function mergeDecisionPatches(
  decisions: { index: number; patch: DecisionPatch }[],
): { index: number; patch: DecisionPatch }[] {
  const merged = new Map<number, DecisionPatch>();
  for (const { index, patch } of decisions) {
    merged.set(index, { ...merged.get(index), ...patch });
  }
  return [...merged].map(([index, patch]) => ({ index, patch }));
}

/** The plan row's new values (the release's next check time is handled apart). */
function planValues(write: StepWrite): {
  values: Record<string, unknown>;
  /** The next check time, if the step releases a plan that a replica still advances. */
  next: Date | null | undefined;
} {
  const values: Record<string, unknown> = { updated_at: write.at };
  const transitions = write.transitions ?? [];
  const last = transitions[transitions.length - 1];
  if (last) {
    values.status = last.to;
    values.status_reason = last.message;
    values.held_since = null;
  }
  if (write.statusReason !== undefined)
    values.status_reason = write.statusReason;
  if (write.heldSince !== undefined) values.held_since = write.heldSince;
  const reconciled = isReconciled(last?.to ?? write.whileStatus);
  let next: Date | null | undefined = undefined;
  if (write.release) {
    values.lease_owner = null;
    values.lease_expires_at = null;
    next = reconciled ? write.release.nextCheckAt : null;
  } else if (!reconciled) {
    next = null;
  }
  return { values, next };
}

/** Timeline entries: each transition, then notes in the status the plan ends in. */
function events(write: StepWrite): { status: string; message: string }[] {
  const transitions = write.transitions ?? [];
  const status = transitions[transitions.length - 1]?.to ?? write.whileStatus;
  return [
    ...transitions.map(t => ({ status: t.to, message: t.message })),
    ...(write.notes ?? []).map(message => ({ status, message })),
  ];
}

/**
 * Persists a step and returns the plans it woke; undefined when the plan is no longer this
 * owner's, has left its status, or (with `revision`) the policy is no longer at that revision.
 */
export async function persistStep(
  knex: Knex | Knex.Transaction,
  isPostgres: boolean,
  id: string,
  owner: string,
  write: StepWrite,
  revision?: number,
): Promise<StepSaved | undefined> {
  return isPostgres
    ? persistInOneStatement(knex, id, owner, write, revision)
    : persistStatementByStatement(knex, id, owner, write, revision);
}

async function persistInOneStatement(
  knex: Knex | Knex.Transaction,
  id: string,
  owner: string,
  write: StepWrite,
  revision: number | undefined,
): Promise<StepSaved | undefined> {
  const bindings: unknown[] = [];
  const bind = (value: unknown, cast?: string) => {
    bindings.push(value);
    return cast ? `?::${cast}` : '?';
  };
  const { values, next } = planValues(write);
  const set = Object.entries(values).map(
    ([column, v]) => `"${column}" = ${bind(v)}`,
  );
  if (next !== undefined) {
    set.push(
      next === null
        ? '"next_check_at" = NULL'
        : `"next_check_at" = CASE WHEN "woken_at" IS NOT NULL THEN ${bind(
            write.at,
            'timestamptz',
          )} ELSE ${bind(next, 'timestamptz')} END`,
    );
    if (write.release) set.push('"woken_at" = NULL');
  }
  // The lease and the status fence the write; they must never select rows (see
  // RECONCILED_FILTER), so the status is written so that no index can serve it.
  const ctes = [
    `p AS (UPDATE "plans" SET ${set.join(', ')} WHERE "id" = ${bind(
      id,
    )} AND "lease_owner" = ${bind(owner)} AND ("status" || '') = ${bind(
      write.whileStatus,
    )}${
      revision === undefined
        ? ''
        : ` AND EXISTS (SELECT 1 FROM "policy_revision" WHERE "id" = 1 AND "revision" = ${bind(
            revision,
          )})`
    } RETURNING "id")`,
  ];
  for (const [n, { index, patch }] of mergeDecisionPatches(
    write.decisions ?? [],
  ).entries()) {
    const columns = Object.entries(decisionValues(patch)).map(
      ([column, v]) => `"${column}" = ${bind(v)}`,
    );
    if (!columns.length) continue;
    ctes.push(
      `d${n} AS (UPDATE "plan_decisions" SET ${columns.join(
        ', ',
      )} WHERE "plan_id" = ${bind(id)} AND "decision_index" = ${bind(
        index,
      )} AND EXISTS (SELECT 1 FROM p))`,
    );
  }
  const timeline = events(write);
  if (timeline.length) {
    // Bindings are positional: bind in the order the text reads.
    const head = `e AS (INSERT INTO "plan_events" ("plan_id", "at", "status", "actor", "message") SELECT ${bind(
      id,
      'text',
    )}, ${bind(
      write.at,
      'timestamptz',
    )}, v.s, 'sentinel', v.m FROM p CROSS JOIN (VALUES `;
    const rows = timeline.map(
      (e, n) =>
        `(${bind(n, 'int')}, ${bind(e.status, 'text')}, ${bind(
          e.message,
          'text',
        )})`,
    );
    ctes.push(`${head}${rows.join(', ')}) AS v(n, s, m) ORDER BY v.n)`);
  }
  // Plans still `received` too: one may be deciding right now to hold for this very change,
  // and persist its receipt with the hold (woken_at then makes its release due at once). The
  // workload's decisions select (their index); the plan's status only filters.
  for (const [n, target] of (write.wakeHeldOn ?? []).entries()) {
    const t = targetColumns(target);
    ctes.push(
      `w${n} AS (UPDATE "plans" SET "next_check_at" = ${bind(
        write.at,
        'timestamptz',
      )}, "woken_at" = ${bind(write.at, 'timestamptz')} WHERE "id" <> ${bind(
        id,
      )} AND ${RECONCILED_FILTER} AND "id" IN (SELECT "plan_id" FROM "plan_decisions" WHERE "cluster" = ${bind(
        t.cluster,
      )} AND "namespace" = ${bind(t.namespace)} AND "kind" = ${bind(
        t.kind,
      )} AND "name" = ${bind(
        t.name,
      )} AND "status" = 'pending') AND EXISTS (SELECT 1 FROM p) RETURNING "id")`,
    );
  }
  const woken = (write.wakeHeldOn ?? [])
    .map((_, n) => `SELECT "id" FROM w${n}`)
    .join(' UNION ');
  // A CTE that no one reads is not run, hence FROM.
  if (write.replayable) ctes.push(`a AS (SELECT ${ASYNC_COMMIT})`);
  const result = await knex.raw(
    `WITH ${ctes.join(', ')} SELECT (SELECT count(*) FROM p) AS n, ${
      woken ? `ARRAY(${woken})` : `'{}'::text[]`
    } AS woken${write.replayable ? ' FROM a' : ''}`,
    bindings as Knex.RawBinding[],
  );
  const row: { n: string; woken: string[] } = result.rows[0];
  return Number(row.n) > 0 ? { woken: row.woken } : undefined;
}

async function persistStatementByStatement(
  knex: Knex | Knex.Transaction,
  id: string,
  owner: string,
  write: StepWrite,
  revision: number | undefined,
): Promise<StepSaved | undefined> {
  const run = async (tx: Knex.Transaction): Promise<StepSaved | undefined> => {
    const { values, next } = planValues(write);
    if (next !== undefined) {
      values.next_check_at =
        next === null
          ? null
          : tx.raw('CASE WHEN woken_at IS NOT NULL THEN ? ELSE ? END', [
              write.at,
              next,
            ]);
      if (write.release) values.woken_at = null;
    }
    const query = tx('plans').where({
      id,
      lease_owner: owner,
      status: write.whileStatus,
    });
    if (revision !== undefined) {
      query.whereExists(
        tx('policy_revision').select('id').where({ id: 1, revision }),
      );
    }
    const updated = await query.update(values);
    if (updated === 0) return undefined;
    for (const { index, patch } of mergeDecisionPatches(
      write.decisions ?? [],
    )) {
      const columns = decisionValues(patch);
      if (Object.keys(columns).length === 0) continue;
      await tx('plan_decisions')
        .where({ plan_id: id, decision_index: index })
        .update(columns);
    }
    const timeline = events(write);
    if (timeline.length) {
      await tx('plan_events').insert(
        timeline.map(e => ({
          plan_id: id,
          at: write.at,
          status: e.status,
          actor: 'sentinel',
          message: e.message,
        })),
      );
    }
    const woken = new Set<string>();
    for (const target of write.wakeHeldOn ?? []) {
      const rows: { id: string }[] = await tx('plans')
        .whereNot({ id })
        .whereIn('status', RECONCILED_PLAN_STATUSES as string[])
        .whereIn(
          'id',
          tx('plan_decisions')
            .select('plan_id')
            .where({ ...targetColumns(target), status: 'pending' }),
        )
        .update({ next_check_at: write.at, woken_at: write.at })
        .returning('id');
      rows.forEach(row => woken.add(row.id));
    }
    return { woken: [...woken] };
  };
  return 'commit' in knex && typeof knex.commit === 'function'
    ? run(knex as Knex.Transaction)
    : (knex as Knex).transaction(run);
}

/** What a step's committed write changed of its plan; undefined when it kept the status. */
export function stepChange(
  planId: string,
  write: StepWrite,
): PlanChange | undefined {
  const transitions = write.transitions ?? [];
  if (transitions.length === 0) return undefined;
  return {
    planId,
    status: transitions[transitions.length - 1].to,
    transitions: transitions.map(t => ({ to: t.to, message: t.message })),
  };
}
