import type { PlanTarget } from '@internal/backstage-plugin-sentinel-common';
import type { Knex } from 'knex';
import { iso } from '../../database/time';
import { readPolicyRevision } from '../../policy/PolicyStore';
import type {
  AppliedChanges,
  LedgerEntry,
  RecentChange,
} from '../../policy/types';
import { assertTransitionChain } from '../planTransitions';
import type { PlanChange, StepSaved, StepWrite } from '../store/PlanStore';
import { persistStep, stepChange, targetColumns } from '../store/stepWrite';
import type { AdmitResult, GateFacts, GateStore } from './GateStore';

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

/**
 * The apply gate's check and reservation in the plans' database, and the ledger of admitted
 * changes that rate limits and blast radius count (also for every replica's receipt-time
 * limits, through the ChangeLedger).
 */
export class DatabaseGateStore implements GateStore, AppliedChanges {
  readonly #knex: Knex;
  readonly #isPostgres: boolean;
  readonly #onChange?: (change: PlanChange) => void;

  constructor(
    knex: Knex,
    options: { onChange?: (change: PlanChange) => void } = {},
  ) {
    this.#knex = knex;
    this.#isPostgres = knex.client.config.client === 'pg';
    this.#onChange = options.onChange;
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
      const change = stepChange(options.planId, write);
      if (change) this.#onChange?.(change);
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
}
