import type { Knex } from 'knex';
import { auditRow, writeAudit } from '../../audit/auditRecord';
import { asCreated, receivedEvent, type PlanRow } from './planRows';
import type { NewPlan, PlanInsert } from './PlanStore';

/**
 * Stores a new plan with its decisions and a `received` timeline entry, or, with an
 * idempotency key the same principal used before, nothing: the existing plan's id and hash.
 */
export function insertPlan(
  knex: Knex,
  isPostgres: boolean,
  plan: NewPlan,
): Promise<PlanInsert> {
  return isPostgres
    ? insertInOneStatement(knex, plan)
    : insertInTransaction(knex, plan);
}

async function insertInTransaction(
  knex: Knex,
  plan: NewPlan,
): Promise<PlanInsert> {
  return knex.transaction(async tx => {
    if (plan.idempotencyKey) {
      const existing = await tx<PlanRow>('plans')
        .where({
          submitted_by: plan.submittedBy,
          idempotency_key: plan.idempotencyKey,
        })
        .first('id', 'request_hash');
      if (existing) {
        return {
          created: false as const,
          id: existing.id,
          requestHash: existing.request_hash,
        };
      }
    }
    await tx('plans').insert({
      id: plan.id,
      source: plan.source,
      mode: plan.mode,
      status: 'received',
      submitted_by: plan.submittedBy,
      idempotency_key: plan.idempotencyKey ?? null,
      request_hash: plan.requestHash,
      rollback_of: plan.rollbackOf ?? null,
      created_at: plan.at,
      updated_at: plan.at,
      next_check_at: plan.at,
      lease_owner: plan.lease?.owner ?? null,
      lease_expires_at: plan.lease?.expiresAt ?? null,
    });
    await tx('plan_decisions').insert(
      plan.decisions.map((d, index) => ({
        plan_id: plan.id,
        decision_index: index,
        verb: d.verb,
        cluster: d.target.cluster,
        namespace: d.target.namespace,
        kind: d.target.kind,
        name: d.target.name,
        entity_ref: d.entityRef,
        params: JSON.stringify(d.params),
        rationale: d.rationale ?? null,
        confidence: d.confidence ?? null,
        status: 'pending',
      })),
    );
    const event = receivedEvent(plan);
    await tx('plan_events').insert({
      plan_id: plan.id,
      ...event,
      at: plan.at,
    });
    await writeAudit(
      tx,
      plan.audit && { ...plan.audit, planId: plan.id },
      plan.at,
    );
    return { created: true as const, plan: asCreated(plan) };
  });
}

/**
 * The plan, its decisions and its first timeline entry in one statement (a submission is
 * one round trip). A key the same principal used before inserts nothing and returns the
 * plan it names, also when another submission with the same key commits at the same moment.
 */
async function insertInOneStatement(
  knex: Knex,
  plan: NewPlan,
): Promise<PlanInsert> {
  const event = receivedEvent(plan);
  const audit = plan.audit && auditRow(plan.audit, plan.at);
  const rows = plan.decisions.map(
    () =>
      '(?::int, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::real)',
  );
  const bindings: Knex.RawBinding[] = [
    plan.id,
    plan.source,
    plan.mode,
    plan.submittedBy,
    plan.idempotencyKey ?? null,
    plan.requestHash,
    plan.rollbackOf ?? null,
    plan.at,
    plan.at,
    plan.at,
    plan.lease?.owner ?? null,
    plan.lease?.expiresAt ?? null,
    ...plan.decisions.flatMap((d, index) => [
      index,
      d.verb,
      d.target.cluster,
      d.target.namespace,
      d.target.kind,
      d.target.name,
      d.entityRef,
      JSON.stringify(d.params),
      d.rationale ?? null,
      d.confidence ?? null,
    ]),
    plan.at,
    event.actor,
    event.message,
    ...(audit
      ? [
          audit.at,
          audit.actor,
          audit.action,
          audit.outcome,
          audit.entity_ref,
          plan.id,
          audit.rollout_id,
          audit.reason,
          audit.details,
        ]
      : []),
    plan.submittedBy,
    plan.idempotencyKey ?? null,
  ];
  const result = await knex.raw(
    `WITH p AS (
      INSERT INTO plans (id, source, mode, status, submitted_by, idempotency_key, request_hash, rollback_of, created_at, updated_at, next_check_at, lease_owner, lease_expires_at)
      VALUES (?, ?, ?, 'received', ?, ?, ?, ?, ?, ?, ?, ?::text, ?::timestamptz)
      ON CONFLICT (submitted_by, idempotency_key) DO NOTHING RETURNING id
    ), d AS (
      INSERT INTO plan_decisions (plan_id, decision_index, verb, cluster, namespace, kind, name, entity_ref, params, rationale, confidence, status)
      SELECT p.id, v.i, v.verb, v.cluster, v.namespace, v.kind, v.name, v.entity_ref, v.params, v.rationale, v.confidence, 'pending'
      FROM p CROSS JOIN (VALUES ${rows.join(
        ', ',
      )}) AS v(i, verb, cluster, namespace, kind, name, entity_ref, params, rationale, confidence)
    ), e AS (
      INSERT INTO plan_events (plan_id, at, status, actor, message)
      SELECT p.id, ?::timestamptz, 'received', ?::text, ?::text FROM p
    )${
      // A person's rollback is recorded with the plan it creates.
      audit
        ? `, a AS (
      INSERT INTO audit_events (at, actor, action, outcome, entity_ref, plan_id, rollout_id, reason, details)
      SELECT ?::timestamptz, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text FROM p
    )`
        : ''
    }
    SELECT (SELECT id FROM p) AS created,
      (SELECT json_build_object('id', id, 'hash', request_hash) FROM plans WHERE submitted_by = ?::text AND idempotency_key = ?::text) AS existing`,
    bindings,
  );
  const row: {
    created: string | null;
    existing: { id: string; hash: string | null } | null;
  } = result.rows[0];
  if (row.created) return { created: true, plan: asCreated(plan) };
  // The key is taken: by a plan committed before this statement began, or just now.
  const existing =
    row.existing ??
    (await knex('plans')
      .where({
        submitted_by: plan.submittedBy,
        idempotency_key: plan.idempotencyKey ?? null,
      })
      .first({ id: 'id', hash: 'request_hash' }));
  if (!existing) {
    throw new Error(`plan ${plan.id} was neither stored nor a duplicate`);
  }
  return { created: false, id: existing.id, requestHash: existing.hash };
}
