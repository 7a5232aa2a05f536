import type {
  Plan,
  PlanStatus,
  PlanTarget,
  WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import { stringifyWorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import type { Knex } from 'knex';
import type { PlanTargets } from '../../access/resources';
import {
  whereAccess,
  type AccessFilter,
  type AccessQuery,
} from '../../access/accessFilter';
import { writeAudit, type AuditRecord } from '../../audit/auditRecord';
import type { LeasedQueue } from '../../work/LeasedQueue';
import {
  assertTransitionChain,
  assertTransitions,
  isReconciled,
  RECONCILED_PLAN_STATUSES,
} from '../planTransitions';
import { hydratePlans } from './hydratePlans';
import { insertPlan } from './insertPlan';
import {
  ACTIVE,
  decodeCursor,
  encodeCursor,
  planWork,
  receivedEvent,
  storedDecision,
  type DecisionRow,
  type PlanRow,
} from './planRows';
import { createPlanQueue } from './planQueue';
import type {
  DecisionPatch,
  NewPlan,
  PlanChange,
  PlanInsert,
  PlanListFilter,
  PlanStore,
  PlanTransition,
  PlanWork,
  StepSaved,
  StepWrite,
  StoredDecision,
} from './PlanStore';
import { decisionValues, persistStep, stepChange } from './stepWrite';

export interface DatabasePlanStoreOptions {
  /**
   * Told every committed change of a plan's status (and every approval recorded), after the
   * commit, by the replica that wrote it; must return at once and never throw.
   */
  onChange?: (change: PlanChange) => void;
}

/** Decision statuses after which the workload was changed (and maybe changed back). */
const CHANGED_DECISION_STATUSES = [
  'applying',
  'rolling_out',
  'succeeded',
  'rolled_back',
  'failed',
];

/** PlanStore on knex: SQLite for the embedded default, PostgreSQL in production. */
export class DatabasePlanStore implements PlanStore {
  readonly #knex: Knex;
  readonly #isPostgres: boolean;
  readonly #onChange?: (change: PlanChange) => void;

  readonly queue: LeasedQueue<PlanWork>;

  constructor(knex: Knex, options: DatabasePlanStoreOptions = {}) {
    this.#knex = knex;
    this.#isPostgres = knex.client.config.client === 'pg';
    this.#onChange = options.onChange;
    this.queue = createPlanQueue(knex);
  }

  /** Tells the listener what a step's committed write changed, if it changed the status. */
  #stepChanged(planId: string, write: StepWrite) {
    const change = stepChange(planId, write);
    if (change) this.#onChange?.(change);
  }

  async ping(): Promise<void> {
    await this.#knex('plans').select(this.#knex.raw('1')).limit(1);
  }

  async findByIdempotencyKey(
    submittedBy: string,
    key: string,
  ): Promise<{ id: string; requestHash: string | null } | undefined> {
    const row = await this.#knex('plans')
      .where({ submitted_by: submittedBy, idempotency_key: key })
      .first('id', 'request_hash');
    return row && { id: row.id, requestHash: row.request_hash };
  }

  async createPlan(plan: NewPlan): Promise<PlanInsert> {
    const result = await insertPlan(this.#knex, this.#isPostgres, plan);
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

  async getPlan(id: string): Promise<Plan | undefined> {
    const row = await this.#knex<PlanRow>('plans').where({ id }).first();
    if (!row) {
      return undefined;
    }
    const [plan] = await hydratePlans(this.#knex, [row]);
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
      items: await hydratePlans(this.#knex, pageRows),
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

  async wakeHeld(now: Date): Promise<void> {
    // Also plans a replica is stepping right now: one may be deciding to hold (woken_at makes
    // its release due at once).
    await this.#knex('plans')
      .where(q => q.whereNotNull('held_since').orWhereNotNull('lease_owner'))
      .whereIn('status', RECONCILED_PLAN_STATUSES as PlanStatus[])
      .update({ next_check_at: now, woken_at: now });
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
}
