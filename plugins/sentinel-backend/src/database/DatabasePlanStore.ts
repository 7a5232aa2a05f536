import type {
  Plan,
  PlanDecision,
  PlanEvent,
  PlanStatus,
  PlanTarget,
  Verdict,
  WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import { stringifyWorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import type { Knex } from 'knex';
import {
  assertTransitionChain,
  assertTransitions,
  isReconciled,
  RECONCILED_PLAN_STATUSES,
} from '../pipeline/planTransitions';
import type { LedgerEntry, RecentChange } from '../policy/types';
import { readPolicyRevision } from './PolicyStore';
import {
  ASYNC_COMMIT,
  decisionValues,
  persistStep,
  RECONCILED_FILTER,
  targetColumns,
} from './stepWrite';
import {
  ACTIVE,
  asCreated,
  decodeCursor,
  encodeCursor,
  json,
  planWork,
  receivedEvent,
  storedDecision,
  targetOf,
  type DecisionRow,
  type EventRow,
  type PlanRow,
} from './planRows';
import { iso } from './time';
import { auditRow, writeAudit, type AuditRecord } from '../audit/auditRecord';
import { approvalRefusal, approvalsRequired } from '../pipeline/approvals';
import {
  whereAccess,
  type AccessFilter,
  type AccessQuery,
} from '../permissions/accessFilter';
import type {
  AdmitResult,
  DecisionPatch,
  GateFacts,
  NewPlan,
  PlanListFilter,
  PlanApprovalRequest,
  PlanApprovalResult,
  PlanChange,
  PlanStore,
  PlanTargets,
  PlanTransition,
  PlanWork,
  StepSaved,
  StepWrite,
  StoredDecision,
} from './PlanStore';

/** Carries a failed gate attempt's result out of its transaction, rolling it back. */
class GateAttemptFailed extends Error {
  constructor(readonly result: AdmitResult<never>) {
    super('gate attempt failed');
  }
}

/** The unique index that allows one change in flight per workload said no. */
function isInFlightConflict(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string; message?: string };
  return (
    e?.constraint === 'plan_decisions_in_flight_idx' ||
    (e?.code === 'SQLITE_CONSTRAINT_UNIQUE' &&
      /plan_decisions\.cluster/.test(e.message ?? ''))
  );
}

export interface DatabasePlanStoreOptions {
  /**
   * Told every committed change of a plan's status (and every approval recorded), after the
   * commit, by the replica that wrote it; must return at once and never throw.
   */
  onChange?: (change: PlanChange) => void;
}

/** PlanStore on knex: SQLite for the embedded default, PostgreSQL in production. */
/** Decision statuses after which the workload was changed (and maybe changed back). */
const CHANGED_DECISION_STATUSES = [
  'applying',
  'rolling_out',
  'succeeded',
  'rolled_back',
  'failed',
];

export class DatabasePlanStore implements PlanStore {
  readonly #knex: Knex;
  readonly #isPostgres: boolean;
  readonly #onChange?: (change: PlanChange) => void;

  constructor(knex: Knex, options: DatabasePlanStoreOptions = {}) {
    this.#knex = knex;
    this.#isPostgres = knex.client.config.client === 'pg';
    this.#onChange = options.onChange;
  }

  /** Tells the listener what a step's committed write changed, if it changed the status. */
  #stepChanged(planId: string, write: StepWrite) {
    const transitions = write.transitions ?? [];
    if (!this.#onChange || transitions.length === 0) return;
    this.#onChange({
      planId,
      status: transitions[transitions.length - 1].to,
      transitions: transitions.map(t => ({ to: t.to, message: t.message })),
    });
  }

  async createPlan(plan: NewPlan): ReturnType<PlanStore['createPlan']> {
    const result = await (this.#isPostgres
      ? this.#createInOneStatement(plan)
      : this.#createInTransaction(plan));
    if (result.created) {
      this.#onChange?.({
        planId: plan.id,
        status: 'received',
        transitions: [{ to: 'received', message: receivedEvent(plan).message }],
        decisions: plan.decisions.map(d => ({
          verb: d.verb,
          entityRef: d.entityRef,
        })),
      });
    }
    return result;
  }

  async #createInTransaction(
    plan: NewPlan,
  ): ReturnType<PlanStore['createPlan']> {
    return this.#knex.transaction(async tx => {
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
  async #createInOneStatement(
    plan: NewPlan,
  ): ReturnType<PlanStore['createPlan']> {
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
    const result = await this.#knex.raw(
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
      (await this.#knex('plans')
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

  async getPlan(id: string): Promise<Plan | undefined> {
    const row = await this.#knex<PlanRow>('plans').where({ id }).first();
    if (!row) {
      return undefined;
    }
    const [plan] = await this.#hydrate([row]);
    return plan;
  }

  async listPlans(
    filter: PlanListFilter,
    page: { limit: number; cursor?: string },
    access?: AccessFilter,
  ) {
    const query = this.#knex<PlanRow>('plans')
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(page.limit + 1);
    if (filter.status?.length) {
      query.whereIn('status', filter.status);
    }
    const decisionFilter: Record<string, string> = {};
    if (filter.entityRef) decisionFilter.entity_ref = filter.entityRef;
    if (filter.cluster) decisionFilter.cluster = filter.cluster;
    if (filter.namespace) decisionFilter.namespace = filter.namespace;
    if (Object.keys(decisionFilter).length) {
      query.whereIn(
        'id',
        this.#knex('plan_decisions').select('plan_id').where(decisionFilter),
      );
    }
    if (access) {
      whereAccess(query, access, this.#planAccess);
    }
    if (page.cursor) {
      const { createdAt, id } = decodeCursor(page.cursor);
      query.where(q =>
        q
          .where('created_at', '<', createdAt)
          .orWhere(q2 =>
            q2.where('created_at', '=', createdAt).andWhere('id', '<', id),
          ),
      );
    }
    const rows = await query;
    const more = rows.length > page.limit;
    const pageRows = more ? rows.slice(0, page.limit) : rows;
    return {
      items: await this.#hydrate(pageRows),
      nextCursor: more ? encodeCursor(pageRows[pageRows.length - 1]) : null,
    };
  }

  /** One access rule as SQL: a plan passes only if every decision of it does. */
  #planAccess = (builder: Knex.QueryBuilder, query: AccessQuery) => {
    const decisions = () =>
      this.#knex('plan_decisions as ad')
        .select(this.#knex.raw('1'))
        .whereRaw('ad.plan_id = plans.id');
    if ('entityRefs' in query) {
      builder
        .whereExists(decisions())
        .whereNotExists(
          decisions().where(w =>
            w
              .whereNull('ad.entity_ref')
              .orWhereNotIn('ad.entity_ref', [...query.entityRefs]),
          ),
        );
    } else if ('cluster' in query) {
      builder.whereNotExists(decisions().whereNot('ad.cluster', query.cluster));
    } else if ('namespace' in query) {
      builder.whereNotExists(
        decisions().whereNot('ad.namespace', query.namespace),
      );
    } else {
      builder.whereRaw('lower(plans.submitted_by) = ?', [
        query.submittedBy.toLocaleLowerCase('en-US'),
      ]);
    }
  };

  async planTargets(ids: readonly string[]): Promise<PlanTargets[]> {
    if (ids.length === 0) return [];
    const rows: {
      id: string;
      submitted_by: string;
      cluster: string | null;
      namespace: string | null;
      entity_ref: string | null;
    }[] = await this.#knex('plans')
      .leftJoin('plan_decisions', 'plan_decisions.plan_id', 'plans.id')
      .whereIn('plans.id', [...ids])
      .select(
        'plans.id',
        'plans.submitted_by',
        'plan_decisions.cluster',
        'plan_decisions.namespace',
        'plan_decisions.entity_ref',
      );
    const byId = new Map<string, PlanTargets>();
    for (const row of rows) {
      const plan = byId.get(row.id) ?? {
        id: row.id,
        submittedBy: row.submitted_by,
        targets: [],
      };
      byId.set(row.id, plan);
      if (row.cluster !== null) {
        plan.targets.push({
          cluster: row.cluster,
          namespace: row.namespace ?? '',
          entityRef: row.entity_ref,
        });
      }
    }
    return [...byId.values()];
  }

  async transition(id: string, t: PlanTransition): Promise<boolean> {
    assertTransitions(t.from, t.to);
    const moved = await this.#knex.transaction(async tx => {
      const query = tx('plans')
        .where({ id })
        .whereIn('status', t.from as PlanStatus[]);
      if (t.leaseOwner) {
        query.where({ lease_owner: t.leaseOwner });
      }
      const updated = await query.update({
        status: t.to,
        status_reason: t.message,
        updated_at: t.at,
        // A replica takes it from here at once; a person or the end has it otherwise.
        next_check_at: isReconciled(t.to) ? t.at : null,
        held_since: null,
        ...(t.approvedBy !== undefined && { approved_by: t.approvedBy }),
      });
      if (updated === 0) {
        return false;
      }
      await tx('plan_events').insert({
        plan_id: id,
        at: t.at,
        status: t.to,
        actor: t.actor,
        message: t.message,
      });
      await writeAudit(tx, t.audit, t.at);
      return true;
    });
    if (moved) {
      this.#onChange?.({
        planId: id,
        status: t.to,
        transitions: [{ to: t.to, message: t.message }],
      });
    }
    return moved;
  }

  async approvePlan(
    id: string,
    request: PlanApprovalRequest,
  ): Promise<PlanApprovalResult> {
    const result = await this.#approveInTransaction(id, request);
    if (result.kind === 'approved') {
      this.#onChange?.({
        planId: id,
        status: 'approved',
        transitions: [{ to: 'approved', message: result.message }],
      });
      return { kind: 'approved' };
    }
    if (result.kind === 'recorded') {
      this.#onChange?.({
        planId: id,
        status: 'pending_approval',
        transitions: [],
      });
    }
    return result;
  }

  async #approveInTransaction(
    id: string,
    request: PlanApprovalRequest,
  ): Promise<
    | Exclude<PlanApprovalResult, { kind: 'approved' }>
    | { kind: 'approved'; message: string }
  > {
    return this.#knex.transaction(async tx => {
      // Locked, so two approvers at once are counted one after the other.
      const query = tx<PlanRow>('plans').where({ id });
      if (this.#isPostgres) query.forUpdate();
      const plan = await query.first('status', 'submitted_by');
      if (!plan) return { kind: 'missing' };
      if (plan.status !== 'pending_approval') {
        return { kind: 'conflict', status: plan.status as PlanStatus };
      }
      const [approvals, verdicts] = await Promise.all([
        tx('plan_approvals').where({ plan_id: id }).select('approver'),
        tx<DecisionRow>('plan_decisions')
          .where({ plan_id: id })
          .select('verdict'),
      ]);
      const refusal = approvalRefusal({
        actor: request.actor,
        submittedBy: plan.submitted_by,
        approvers: approvals.map(a => a.approver),
        requireDistinctApprover: request.requireDistinctApprover,
      });
      if (refusal) {
        // The refusal is recorded, in its own transaction: this one rolls back.
        return { kind: 'refused', reason: refusal };
      }
      await tx('plan_approvals').insert({
        plan_id: id,
        approver: request.actor,
        comment: request.comment ?? null,
        approved_at: request.at,
      });
      const count = approvals.length + 1;
      const required = approvalsRequired(
        verdicts.map(v => json(v.verdict) as Verdict | null),
      );
      const said = request.comment ? `: ${request.comment}` : '';
      await writeAudit(tx, request.audit, request.at);
      if (count < required) {
        await tx('plan_events').insert({
          plan_id: id,
          at: request.at,
          status: 'pending_approval',
          actor: request.actor,
          message: `approved (${count} of ${required} approvers)${said}`,
        });
        return { kind: 'recorded', count, required };
      }
      const message =
        required > 1
          ? `approved (${count} of ${required} approvers)${said}`
          : `approved${said}`;
      await tx('plans').where({ id }).update({
        status: 'approved',
        status_reason: message,
        updated_at: request.at,
        next_check_at: request.at,
        held_since: null,
        approved_by: request.actor,
      });
      await tx('plan_events').insert({
        plan_id: id,
        at: request.at,
        status: 'approved',
        actor: request.actor,
        message,
      });
      return { kind: 'approved' as const, message };
    });
  }

  async updateDecision(
    planId: string,
    index: number,
    patch: DecisionPatch,
    fence?: { leaseOwner: string },
  ): Promise<boolean> {
    const values = decisionValues(patch);
    const query = this.#knex('plan_decisions').where({
      plan_id: planId,
      decision_index: index,
    });
    if (fence) {
      query.whereIn(
        'plan_id',
        this.#knex('plans')
          .select('id')
          .where({ id: planId, lease_owner: fence.leaseOwner }),
      );
    }
    return (await query.update(values)) > 0;
  }

  async getStoredDecisions(planId: string): Promise<StoredDecision[]> {
    const rows = await this.#knex<DecisionRow>('plan_decisions')
      .where({ plan_id: planId })
      .orderBy('decision_index');
    return rows.map(row => storedDecision(row));
  }

  async findLastApplied(target: PlanTarget, planId?: string) {
    const query = this.#knex<DecisionRow>('plan_decisions as d')
      .join('plans as p', 'p.id', 'd.plan_id')
      .where({
        'd.cluster': target.cluster,
        'd.namespace': target.namespace,
        'd.kind': target.kind,
        'd.name': target.name,
        'd.status': 'succeeded',
        'p.mode': 'enforce',
      })
      .whereNot('d.verb', 'rollback')
      .orderBy([
        { column: 'p.created_at', order: 'desc' },
        { column: 'd.decision_index', order: 'desc' },
      ])
      .first('d.*');
    if (planId) {
      query.where('d.plan_id', planId);
    }
    const row = (await query) as DecisionRow | undefined;
    return row && { planId: row.plan_id, decision: storedDecision(row) };
  }

  async lastChangedPlans(
    targets: readonly WorkloadRef[],
  ): Promise<Map<string, string>> {
    const latest = new Map<string, string>();
    if (targets.length === 0) return latest;
    // Each workload's decisions that reached the cluster, newest plan first; the first is its
    // last change (one statement: a window function on PostgreSQL and SQLite alike).
    const ranked = this.#knex('plan_decisions as d')
      .join('plans as p', 'p.id', 'd.plan_id')
      .whereIn(
        ['d.cluster', 'd.namespace', 'd.kind', 'd.name'],
        targets.map(t => [t.cluster, t.namespace, t.kind, t.name]),
      )
      .whereIn('d.status', CHANGED_DECISION_STATUSES)
      .select(
        'd.cluster',
        'd.namespace',
        'd.kind',
        'd.name',
        'd.plan_id',
        this.#knex.raw(
          'row_number() over (partition by d.cluster, d.namespace, d.kind, d.name order by p.created_at desc, d.plan_id desc) as recency',
        ),
      );
    const rows: {
      cluster: string;
      namespace: string;
      kind: string;
      name: string;
      plan_id: string;
    }[] = await this.#knex
      .from(ranked.as('r'))
      .where('recency', 1)
      .select('cluster', 'namespace', 'kind', 'name', 'plan_id');
    for (const row of rows) {
      latest.set(stringifyWorkloadRef(row as WorkloadRef), row.plan_id);
    }
    return latest;
  }

  async loadWork(id: string): Promise<PlanWork | undefined> {
    const [row, decisions] = await Promise.all([
      this.#knex<PlanRow>('plans').where({ id }).first(),
      this.getStoredDecisions(id),
    ]);
    return row && planWork(row, decisions);
  }

  async saveStep(
    id: string,
    owner: string,
    write: StepWrite,
  ): Promise<StepSaved | undefined> {
    assertTransitionChain(write.whileStatus, write.transitions ?? []);
    const saved = await persistStep(
      this.#knex,
      this.#isPostgres,
      id,
      owner,
      write,
    );
    if (saved) this.#stepChanged(id, write);
    return saved;
  }

  /** Ends a lease: due again at `next`, or at once when an event woke the plan meanwhile. */
  #releaseValues(next: Date | null, now: Date): Record<string, unknown> {
    return {
      lease_owner: null,
      lease_expires_at: null,
      woken_at: null,
      next_check_at:
        next === null
          ? null
          : this.#knex.raw(
              this.#isPostgres
                ? 'CASE WHEN woken_at IS NOT NULL THEN ?::timestamptz ELSE ?::timestamptz END'
                : 'CASE WHEN woken_at IS NOT NULL THEN ? ELSE ? END',
              [now, next],
            ),
    };
  }

  async claimDue(options: {
    owner: string;
    now: Date;
    leaseMs: number;
    limit: number;
  }): Promise<PlanWork[]> {
    const due = this.#knex<PlanRow>('plans')
      .select('id')
      .where('next_check_at', '<=', options.now)
      .whereIn('status', RECONCILED_PLAN_STATUSES as PlanStatus[])
      .andWhere(q =>
        q
          .whereNull('lease_expires_at')
          .orWhere('lease_expires_at', '<', options.now),
      )
      .orderBy('next_check_at')
      .limit(options.limit);
    return this.#lease(due, options);
  }

  async claimNow(
    ids: string[],
    options: { owner: string; now: Date; leaseMs: number },
  ): Promise<PlanWork[]> {
    if (ids.length === 0) return [];
    // The ids select; the status only filters (RECONCILED_FILTER): else a planner may read the
    // whole due index (every active plan, and the dead versions of their rows) to intersect
    // it with these few ids.
    const free = this.#knex<PlanRow>('plans')
      .select('id')
      .whereIn('id', ids)
      .whereRaw(RECONCILED_FILTER)
      .andWhere(q =>
        q
          .whereNull('lease_expires_at')
          .orWhere('lease_expires_at', '<', options.now),
      );
    return this.#lease(free, options);
  }

  /** Leases the plans `candidates` selects and returns them with their decisions. */
  async #lease(
    candidates: Knex.QueryBuilder,
    options: { owner: string; now: Date; leaseMs: number },
  ): Promise<PlanWork[]> {
    const lease = {
      lease_owner: options.owner,
      lease_expires_at: new Date(options.now.getTime() + options.leaseMs),
      woken_at: null,
    };
    if (!this.#isPostgres) {
      const claimed: { id: string }[] = await this.#knex('plans')
        .whereIn('id', candidates)
        .update(lease)
        .returning('id');
      const work = await Promise.all(claimed.map(r => this.loadWork(r.id)));
      return work.filter((w): w is PlanWork => w !== undefined);
    }
    // One statement claims the plans and returns them with their decisions: claims are the
    // reconciler's most frequent query. Replicas claiming at once each get different rows
    // and never wait for each other (SKIP LOCKED). A lease lost in a crash of the database
    // server is only a claim to make again: committed without waiting for the disk.
    const rows: (PlanRow & { decisions: DecisionRow[] | null })[] =
      await this.#knex('plans')
        .whereIn('id', candidates.forUpdate().skipLocked())
        .update(lease)
        .returning([
          'plans.*',
          this.#knex.raw(
            '(SELECT json_agg(d ORDER BY d.decision_index) FROM plan_decisions d WHERE d.plan_id = plans.id) AS decisions',
          ),
          this.#knex.raw(ASYNC_COMMIT),
        ]);
    return rows.map(row =>
      planWork(
        row,
        (row.decisions ?? []).map(d => storedDecision(d)),
      ),
    );
  }

  async renewLease(id: string, owner: string, until: Date): Promise<boolean> {
    const updated = await this.#knex('plans')
      .where({ id, lease_owner: owner })
      .update({ lease_expires_at: until });
    return updated > 0;
  }

  async releaseLease(
    id: string,
    owner: string,
    nextCheckAt: Date | null,
  ): Promise<void> {
    await this.#knex('plans')
      .where({ id, lease_owner: owner })
      .update(this.#releaseValues(nextCheckAt, new Date()));
  }

  async wake(ids: string[], now: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.#knex('plans')
      .whereIn('id', ids)
      .whereIn('status', RECONCILED_PLAN_STATUSES as PlanStatus[])
      .update({ next_check_at: now, woken_at: now });
  }

  async wakeHeld(now: Date): Promise<void> {
    // Also plans a replica is stepping right now: one may be deciding to hold (woken_at makes
    // its release due at once).
    await this.#knex('plans')
      .where(q => q.whereNotNull('held_since').orWhereNotNull('lease_owner'))
      .whereIn('status', RECONCILED_PLAN_STATUSES as PlanStatus[])
      .update({ next_check_at: now, woken_at: now });
  }

  // SQLite has one writer and the embedded default one replica: its gate runs one at a time.
  #serial: Promise<any> = Promise.resolve();

  async admit<T extends { admit: boolean }>(options: {
    planId: string;
    owner: string;
    target: PlanTarget;
    lockKeys: string[];
    ledger:
      | {
          since: Date;
          cluster?: string;
          namespace?: string;
          workload?: PlanTarget;
        }
      | undefined;
    revision: number | undefined;
    decide(facts: GateFacts): T;
    write: StepWrite;
  }): Promise<AdmitResult<T>> {
    const { write } = options;
    assertTransitionChain(write.whileStatus, write.transitions ?? []);
    /** Writes an admitted step: the plans it woke, or why it was not written. */
    const persist = async (
      knex: Knex | Knex.Transaction,
    ): Promise<StepSaved | Exclude<AdmitResult<T>, { outcome: 'judged' }>> => {
      try {
        const saved = await persistStep(
          knex,
          this.#isPostgres,
          options.planId,
          options.owner,
          write,
          options.revision,
        );
        return saved ?? (await this.#whyNotWritten(knex, options.revision));
      } catch (error) {
        if (!isInFlightConflict(error)) throw error;
        return { outcome: 'in_flight' as const, planId: undefined };
      }
    };
    const run = async (): Promise<AdmitResult<T>> => {
      if (!options.lockKeys.length && !options.ledger) {
        // Nothing counted: the judgement needs no lock, and the write guards the rest.
        const verdict = options.decide({ recentChanges: [] });
        const written = verdict.admit
          ? await persist(this.#knex)
          : { woken: [] };
        return 'woken' in written
          ? { outcome: 'judged', verdict, woken: written.woken }
          : written;
      }
      try {
        return await this.#knex.transaction(async tx => {
          if (this.#isPostgres) {
            // One lock per scope a limit counts in, always in the same order: no deadlocks.
            // The reads below are statements of their own, so they see what the lock guards.
            await tx.raw(
              'SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest(?::text[]) WITH ORDINALITY AS t(k, i)',
              [[...new Set(options.lockKeys)].sort()],
            );
          }
          const recentChanges = options.ledger
            ? await this.#ledger(tx, {
                ...options.ledger,
                excludePlanId: options.planId,
              })
            : [];
          const verdict = options.decide({ recentChanges });
          const written = verdict.admit ? await persist(tx) : { woken: [] };
          // Nothing of a refused attempt may stay: roll the transaction back.
          if (!('woken' in written)) throw new GateAttemptFailed(written);
          return {
            outcome: 'judged' as const,
            verdict,
            woken: written.woken,
          };
        });
      } catch (error) {
        if (error instanceof GateAttemptFailed) return error.result;
        throw error;
      }
    };
    const result = this.#isPostgres
      ? await run()
      : await (this.#serial = this.#serial.then(run, run));
    if (result.outcome === 'in_flight') {
      const other = await this.#knex('plan_decisions')
        .where(targetColumns(options.target))
        .whereIn('status', ['applying', 'rolling_out'])
        .whereNot('plan_id', options.planId)
        .first('plan_id');
      return { outcome: 'in_flight', planId: other?.plan_id };
    }
    // Committed (the gate's transaction has ended): an admitted write was persisted.
    if (result.outcome === 'judged' && result.verdict.admit) {
      this.#stepChanged(options.planId, write);
    }
    return result;
  }

  /** Why a guarded step write changed nothing: the policy moved on, or the lease went. */
  async #whyNotWritten(
    knex: Knex | Knex.Transaction,
    revision: number | undefined,
  ): Promise<
    { outcome: 'stale'; revision: number } | { outcome: 'lease_lost' }
  > {
    if (revision !== undefined) {
      const current = await readPolicyRevision(knex);
      if (current !== revision) return { outcome: 'stale', revision: current };
    }
    return { outcome: 'lease_lost' };
  }

  async #ledger(
    knex: Knex,
    query: {
      since: Date;
      cluster?: string;
      namespace?: string;
      workload?: PlanTarget;
      excludePlanId?: string;
    },
  ): Promise<RecentChange[]> {
    const q = knex('plan_decisions')
      .select('cluster', 'namespace', 'kind', 'name', 'applied_at')
      .where('applied_at', '>', query.since)
      .orderBy('applied_at');
    if (query.workload) q.where(targetColumns(query.workload));
    else {
      if (query.cluster !== undefined) q.where({ cluster: query.cluster });
      if (query.namespace !== undefined)
        q.where({ namespace: query.namespace });
    }
    if (query.excludePlanId) q.whereNot('plan_id', query.excludePlanId);
    const rows = await q;
    return rows.map(row => ({
      at: iso(row.applied_at),
      workload: `${row.cluster}/${row.namespace}/${row.kind}/${row.name}`,
    }));
  }

  appliedSince(since: Date): Promise<RecentChange[]> {
    return this.#ledger(this.#knex, { since });
  }

  async appliedEntriesSince(since: Date): Promise<LedgerEntry[]> {
    const rows = await this.#knex('plan_decisions')
      .select(
        'plan_id',
        'decision_index',
        'cluster',
        'namespace',
        'kind',
        'name',
        'applied_at',
      )
      .where('applied_at', '>', since);
    return rows.map(row => ({
      id: `${row.plan_id}:${row.decision_index}`,
      at: iso(row.applied_at),
      workload: `${row.cluster}/${row.namespace}/${row.kind}/${row.name}`,
    }));
  }

  policyRevision(): Promise<number> {
    return readPolicyRevision(this.#knex);
  }

  async requestCancel(
    id: string,
    at: Date,
    audit?: AuditRecord,
  ): Promise<boolean> {
    return this.#knex.transaction(async tx => {
      const updated = await tx('plans')
        .where({ id, status: 'executing' })
        .update({ cancel_requested_at: at, next_check_at: at, woken_at: at });
      if (updated > 0) await writeAudit(tx, audit, at);
      return updated > 0;
    });
  }

  async listStalePendingApproval(olderThan: Date): Promise<string[]> {
    const rows = await this.#knex<PlanRow>('plans')
      .select('id')
      .where({ status: 'pending_approval' })
      .andWhere('updated_at', '<', olderThan);
    return rows.map(r => r.id);
  }

  async countActive() {
    const rows: { status: string; count: string | number }[] = await this.#knex(
      'plans',
    )
      .select('status')
      .count({ count: '*' })
      .whereIn('status', ACTIVE)
      .groupBy('status');
    return Object.fromEntries(
      rows.map(r => [r.status as PlanStatus, Number(r.count)]),
    );
  }

  async #hydrate(rows: PlanRow[]): Promise<Plan[]> {
    if (rows.length === 0) {
      return [];
    }
    const ids = rows.map(r => r.id);
    const [decisionRows, eventRows, approvalRows] = await Promise.all([
      this.#knex<DecisionRow>('plan_decisions')
        .whereIn('plan_id', ids)
        .orderBy(['plan_id', 'decision_index']),
      this.#knex<EventRow>('plan_events')
        .whereIn('plan_id', ids)
        .orderBy(['plan_id', 'id']),
      this.#knex('plan_approvals')
        .whereIn('plan_id', ids)
        .orderBy(['plan_id', 'approved_at']),
    ]);
    const approvals = new Map<string, Plan['approvals']>();
    for (const row of approvalRows) {
      const list = approvals.get(row.plan_id) ?? [];
      list.push({
        by: row.approver,
        at: iso(row.approved_at),
        comment: row.comment,
      });
      approvals.set(row.plan_id, list);
    }
    const decisions = new Map<string, PlanDecision[]>();
    for (const row of decisionRows) {
      const list = decisions.get(row.plan_id) ?? [];
      list.push({
        index: row.decision_index,
        verb: row.verb as PlanDecision['verb'],
        target: targetOf(row),
        params: JSON.parse(row.params),
        rationale: row.rationale,
        confidence: row.confidence === null ? null : Number(row.confidence),
        entityRef: row.entity_ref,
        verdict: json(row.verdict) as PlanDecision['verdict'],
        status: row.status as PlanDecision['status'],
        before: json(row.before) as PlanDecision['before'],
        after: json(row.after) as PlanDecision['after'],
        error: row.error,
      });
      decisions.set(row.plan_id, list);
    }
    const timelines = new Map<string, PlanEvent[]>();
    for (const row of eventRows) {
      const list = timelines.get(row.plan_id) ?? [];
      list.push({
        at: iso(row.at),
        status: row.status as PlanStatus,
        actor: row.actor,
        message: row.message,
      });
      timelines.set(row.plan_id, list);
    }
    return rows.map(row => ({
      id: row.id,
      source: row.source,
      mode: row.mode as Plan['mode'],
      status: row.status as PlanStatus,
      statusReason: row.status_reason,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
      submittedBy: row.submitted_by,
      rollbackOf: row.rollback_of,
      decisions: decisions.get(row.id) ?? [],
      timeline: timelines.get(row.id) ?? [],
      approvals: approvals.get(row.id) ?? [],
      approvalsRequired: approvalsRequired(
        (decisions.get(row.id) ?? []).map(d => d.verdict),
      ),
    }));
  }
}
