import { ConflictError } from '@backstage/errors';
import type { Knex } from 'knex';
import { writeAudit, type AuditRecord } from '../../audit/auditRecord';
import { LeasedQueue } from '../../work/LeasedQueue';
import {
  assertRolloutTransition,
  RECONCILED_ROLLOUT_PHASES,
  type RolloutPhase,
} from '../rolloutPhases';
import {
  analysisFromRow,
  decodeRolloutCursor,
  encodeRolloutCursor,
  patchColumns,
  rolloutFromRow,
  type AnalysisRow,
  type RolloutPatch,
  type RolloutRow,
} from './rolloutRows';
import type { Rollout, RolloutEvent, StoredAnalysis } from '../types';
import {
  whereAccess,
  type AccessFilter,
  type AccessQuery,
} from '../../access/accessFilter';

/** A rollout as a plan's decision starts it. */
export type NewRollout = Pick<
  Rollout,
  | 'id'
  | 'planId'
  | 'decisionIndex'
  | 'target'
  | 'entityRef'
  | 'strategy'
  | 'rollbackPolicy'
  | 'stable'
  | 'candidate'
  | 'steps'
  | 'analysis'
>;

/** What one controller step persists, fenced by its lease and the phase it saw. */
export interface RolloutStepWrite {
  at: Date;
  whilePhase: RolloutPhase;
  patch: RolloutPatch;
  /** Timeline entries (in the phase the rollout ends the step in). */
  events?: string[];
  analysis?: Omit<StoredAnalysis, 'at'>;
  /** Due again then (null: only a person or an event brings it back). */
  nextCheckAt: Date | null;
}

/** A person's action: a change of phase from one of `from`. */
export interface RolloutAction {
  to: RolloutPhase;
  from: readonly RolloutPhase[];
  actor: string;
  message: string;
  /** What else changes, possibly depending on where the rollout is. */
  patch?: RolloutPatch | ((current: Rollout) => RolloutPatch);
  at: Date;
  /** The person's action as the audit trail records it (with the change). */
  audit?: Pick<AuditRecord, 'action' | 'reason'>;
}

export interface RolloutListFilter {
  entityRef?: string;
  cluster?: string;
  namespace?: string;
  phase?: RolloutPhase[];
}

const RECONCILED = RECONCILED_ROLLOUT_PHASES as string[];

/**
 * A change a store committed to a rollout's phase, step, weight or health: what live updates
 * and owner notifications are made of. Told once, by the replica whose write it was, after
 * the commit.
 */
export interface RolloutChange {
  /** The rollout as the write left it. */
  rollout: Rollout;
  /** Its phase before the write; undefined for a rollout just created. */
  from?: RolloutPhase;
}

export interface RolloutStoreOptions {
  /** Told every committed change (see RolloutChange); must return at once and never throw. */
  onChange?: (change: RolloutChange) => void;
}

/** Whether a step's patch changes what a page shows of a rollout. */
function isVisible(whilePhase: RolloutPhase, patch: RolloutPatch): boolean {
  return (
    (patch.phase !== undefined && patch.phase !== whilePhase) ||
    patch.currentStep !== undefined ||
    patch.weight !== undefined ||
    patch.health !== undefined
  );
}

/**
 * Rollouts in the database: created by a plan's decision, advanced by the RolloutController
 * through the reconciler (a work queue like the plans'), steered by people through the API.
 * Every write of a step is fenced by the lease and the phase the step saw, so a person's abort
 * that lands mid-step wins and the step's stale write is dropped.
 */
export class RolloutStore {
  readonly #knex: Knex;
  readonly #onChange?: (change: RolloutChange) => void;

  /** The rollouts a replica advances, leased to one replica at a time. */
  readonly queue: LeasedQueue<Rollout>;

  constructor(knex: Knex, options: RolloutStoreOptions = {}) {
    this.#knex = knex;
    this.#onChange = options.onChange;
    this.queue = new LeasedQueue<Rollout>(knex, {
      table: 'rollouts',
      stateColumn: 'phase',
      reconciledStates: RECONCILED_ROLLOUT_PHASES,
      toItems: (rows: RolloutRow[]) => rows.map(rolloutFromRow),
    });
  }

  /**
   * Stores a new rollout (pending, due now), or returns the one the decision already started:
   * a plan resumed by another replica never starts a second rollout.
   */
  async create(rollout: NewRollout, at: Date): Promise<Rollout> {
    const existing = await this.getByDecision(
      rollout.planId,
      rollout.decisionIndex,
    );
    if (existing) return existing;
    const reason = `waiting to create ${rollout.candidate.workload}`;
    try {
      await this.#knex.transaction(async tx => {
        await tx('rollouts').insert({
          id: rollout.id,
          plan_id: rollout.planId,
          decision_index: rollout.decisionIndex,
          cluster: rollout.target.cluster,
          namespace: rollout.target.namespace,
          kind: rollout.target.kind,
          name: rollout.target.name,
          entity_ref: rollout.entityRef,
          strategy: rollout.strategy,
          rollback_policy: rollout.rollbackPolicy,
          phase: 'pending',
          phase_reason: reason,
          stage: 'create',
          stable: JSON.stringify(rollout.stable),
          candidate: JSON.stringify(rollout.candidate),
          steps: JSON.stringify(rollout.steps),
          analysis: JSON.stringify(rollout.analysis),
          current_step: 0,
          weight: 0,
          intervals: '[]',
          health: null,
          attempts: 0,
          stage_started_at: at,
          phase_deadline_at: null,
          next_check_at: at,
          started_at: at,
          updated_at: at,
        });
        await tx('rollout_events').insert({
          rollout_id: rollout.id,
          at,
          phase: 'pending',
          actor: 'sentinel',
          message: `${rollout.strategy} rollout of ${Object.values(
            rollout.candidate.containers,
          )
            .map(c => c.image)
            .join(', ')} started; ${reason}`,
        });
      });
    } catch (error) {
      // Two replicas started it at once: the other's row stands.
      const raced = await this.getByDecision(
        rollout.planId,
        rollout.decisionIndex,
      );
      if (raced) return raced;
      throw error;
    }
    const created = (await this.get(rollout.id))!;
    this.#onChange?.({ rollout: created });
    return created;
  }

  async get(id: string): Promise<Rollout | undefined> {
    const row = await this.#knex<RolloutRow>('rollouts').where({ id }).first();
    return row && rolloutFromRow(row);
  }

  async getByDecision(
    planId: string,
    decisionIndex: number,
  ): Promise<Rollout | undefined> {
    const row = await this.#knex<RolloutRow>('rollouts')
      .where({ plan_id: planId, decision_index: decisionIndex })
      .first();
    return row && rolloutFromRow(row);
  }

  async timeline(id: string): Promise<RolloutEvent[]> {
    const rows = await this.#knex('rollout_events')
      .where({ rollout_id: id })
      .orderBy('id');
    return rows.map(r => ({
      at: new Date(r.at),
      phase: r.phase,
      actor: r.actor,
      message: r.message,
    }));
  }

  async analyses(id: string): Promise<StoredAnalysis[]> {
    const rows: AnalysisRow[] = await this.#knex('rollout_analyses')
      .where({ rollout_id: id })
      .orderBy('id');
    return rows.map(analysisFromRow);
  }

  async list(
    filter: RolloutListFilter,
    page: { limit: number; cursor?: string },
    access?: AccessFilter,
  ): Promise<{ items: Rollout[]; nextCursor: string | null }> {
    const query = this.#knex<RolloutRow>('rollouts')
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(page.limit + 1);
    if (filter.entityRef) query.where('entity_ref', filter.entityRef);
    if (filter.cluster) query.where('cluster', filter.cluster);
    if (filter.namespace) query.where('namespace', filter.namespace);
    if (filter.phase?.length) query.whereIn('phase', filter.phase);
    if (access) whereAccess(query, access, this.#rolloutAccess);
    if (page.cursor) {
      const { startedAt, id } = decodeRolloutCursor(page.cursor);
      query.where(q =>
        q
          .where('started_at', '<', startedAt)
          .orWhere(q2 =>
            q2.where('started_at', '=', startedAt).andWhere('id', '<', id),
          ),
      );
    }
    const rows = await query;
    const items = rows.slice(0, page.limit).map(rolloutFromRow);
    return {
      items,
      nextCursor:
        rows.length > page.limit
          ? encodeRolloutCursor(items[items.length - 1])
          : null,
    };
  }

  /** One access rule as SQL, on the rollout's workload or its plan's submitter. */
  #rolloutAccess = (builder: Knex.QueryBuilder, query: AccessQuery) => {
    if ('entityRefs' in query) {
      builder.whereIn('rollouts.entity_ref', [...query.entityRefs]);
    } else if ('cluster' in query) {
      builder.where('rollouts.cluster', query.cluster);
    } else if ('namespace' in query) {
      builder.where('rollouts.namespace', query.namespace);
    } else {
      builder.whereIn(
        'rollouts.plan_id',
        this.#knex('plans')
          .select('id')
          .whereRaw('lower(submitted_by) = ?', [
            query.submittedBy.toLocaleLowerCase('en-US'),
          ]),
      );
    }
  };

  /** The rollouts in flight on these workloads (for the workloads list). */
  async inFlight(): Promise<Rollout[]> {
    const rows = await this.#knex<RolloutRow>('rollouts').whereIn(
      'phase',
      RECONCILED,
    );
    return rows.map(rolloutFromRow);
  }

  // ---- the controller's steps ------------------------------------------------------------

  /**
   * Persists one step and releases the lease; false when this owner lost the lease or the
   * rollout left `whilePhase` meanwhile (a person acted): the step's view is stale.
   */
  async saveStep(
    id: string,
    owner: string,
    write: RolloutStepWrite,
  ): Promise<boolean> {
    const to = write.patch.phase ?? write.whilePhase;
    if (to !== write.whilePhase) assertRolloutTransition(write.whilePhase, to);
    const saved = await this.#knex.transaction(async tx => {
      const rows: RolloutRow[] = await tx('rollouts')
        .where({ id, lease_owner: owner, phase: write.whilePhase })
        .update({
          ...patchColumns(write.patch),
          updated_at: write.at,
          lease_owner: null,
          lease_expires_at: null,
          next_check_at: this.queue.dueAfterRelease(
            tx,
            write.at,
            write.nextCheckAt,
          ),
          woken_at: null,
        })
        .returning('*');
      if (rows.length === 0) {
        // A person acted meanwhile: this step's view is stale. Let go now, so that the next
        // step (here or on another replica) starts from the person's action, never before
        // this step's own writes to the cluster have ended.
        await tx('rollouts').where({ id, lease_owner: owner }).update({
          lease_owner: null,
          lease_expires_at: null,
          next_check_at: write.at,
          woken_at: null,
        });
        return undefined;
      }
      if (write.events?.length) {
        await tx('rollout_events').insert(
          write.events.map(message => ({
            rollout_id: id,
            at: write.at,
            phase: to,
            actor: 'sentinel',
            message,
          })),
        );
      }
      if (write.analysis) {
        await tx('rollout_analyses').insert({
          rollout_id: id,
          step: write.analysis.step,
          at: write.at,
          score: write.analysis.score,
          verdict: write.analysis.verdict,
          reason: write.analysis.reason,
          checks: JSON.stringify(write.analysis.checks),
        });
      }
      return rows[0];
    });
    if (!saved) return false;
    if (this.#onChange && isVisible(write.whilePhase, write.patch)) {
      this.#onChange({
        rollout: rolloutFromRow(saved),
        from: write.whilePhase,
      });
    }
    return true;
  }

  // ---- people's actions ------------------------------------------------------------------

  /**
   * A person's pause, resume, promote or abort: the phase changes at once and the rollout is
   * due now; a step in flight keeps its lease until it ends, then fails its write and lets go
   * (see saveStep), so no stale step acts on the cluster after the person's action. The
   * timeline says who and why. A ConflictError when the rollout is in a phase the action does
   * not apply to.
   */
  async act(id: string, action: RolloutAction): Promise<Rollout | undefined> {
    const current = await this.get(id);
    if (!current) return undefined;
    if (!action.from.includes(current.phase)) {
      throw new ConflictError(
        `rollout ${id} is ${current.phase}: cannot ${describeAction(
          action.to,
        )} it`,
      );
    }
    const patch =
      typeof action.patch === 'function' ? action.patch(current) : action.patch;
    const updated = await this.#knex.transaction(async tx => {
      const n = await tx('rollouts')
        .where({ id, phase: current.phase, stage: current.stage })
        .update({
          ...patchColumns({ ...patch, phase: action.to }),
          phase_reason: action.message,
          updated_at: action.at,
          next_check_at: action.at,
          // Due at once also when the replica holding it releases it.
          woken_at: action.at,
        });
      if (n === 0) return false;
      await tx('rollout_events').insert({
        rollout_id: id,
        at: action.at,
        phase: action.to,
        actor: action.actor,
        message: action.message,
      });
      if (action.audit) {
        await writeAudit(
          tx,
          {
            actor: action.actor,
            action: action.audit.action,
            outcome: 'succeeded',
            rolloutId: id,
            planId: current.planId,
            entityRef: current.entityRef,
            reason: action.audit.reason,
            details: { phase: action.to, message: action.message },
          },
          action.at,
        );
      }
      return true;
    });
    // Another action or a step changed the phase meanwhile: judge again on the new phase.
    if (!updated) return this.act(id, action);
    const acted = await this.get(id);
    if (acted) this.#onChange?.({ rollout: acted, from: current.phase });
    return acted;
  }

  /** Ids of the rollouts in flight on a workload (its own or its candidate's events wake them). */
  async idsInFlightOn(target: {
    cluster: string;
    namespace: string;
    name: string;
  }): Promise<string[]> {
    const rows = await this.#knex('rollouts')
      .select('id')
      .where({
        cluster: target.cluster,
        namespace: target.namespace,
        name: target.name,
      })
      .whereIn('phase', RECONCILED);
    return rows.map(r => r.id);
  }
}

function describeAction(to: RolloutPhase): string {
  switch (to) {
    case 'paused':
      return 'pause';
    case 'progressing':
      return 'resume';
    case 'promoting':
      return 'promote';
    default:
      return 'abort';
  }
}
