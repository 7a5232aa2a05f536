import type { Knex } from 'knex';
import { queueMetrics, type QueueMetrics } from './queueMetrics';
import type { WorkQueue } from './Reconciler';

/**
 * Makes the statement's own transaction commit asynchronously on PostgreSQL (it lasts until
 * that commit, which reads it): for writes the next step derives again if a crash of the
 * database server loses them, such as a lease (only a claim to make again). Visible at once,
 * on disk within `wal_writer_delay`.
 */
export const ASYNC_COMMIT =
  "set_config('synchronous_commit', 'off', true) AS async_commit";

/**
 * `column IN (values)` written so that no index can serve it: where ids select the rows, a
 * planner must not read a whole partial index on the column to intersect it with them.
 */
export function unindexedIn(column: string, values: readonly string[]): string {
  return `("${column}" || '') IN (${values.map(v => `'${v}'`).join(', ')})`;
}

/** A table of reconciled items, as a LeasedQueue works it. */
export interface LeasedTable<T> {
  /**
   * The table: one row per item, with `id`, `lease_owner`, `lease_expires_at`,
   * `next_check_at` (null: only an event brings it back) and `woken_at` columns.
   */
  table: string;
  /** The column that says where an item is, and the values in which a reconciler advances it. */
  stateColumn: string;
  reconciledStates: readonly string[];
  /** More to return with each claimed row on PostgreSQL (e.g. a plan's decisions). */
  returning?(knex: Knex): (string | Knex.Raw)[];
  /** The claimed rows as the controller reads them. */
  toItems(rows: any[]): Promise<T[]> | T[];
}

/**
 * The one work queue of every reconciled kind (plans, rollouts): durable rows with a due time
 * and a lease. A claim leases due rows that no live lease holds, in one statement that returns
 * them; on PostgreSQL replicas claiming at once each get different rows and never wait for
 * each other (SKIP LOCKED). Releasing sets the next due time, or makes the row due at once
 * when an event woke it during the step (`woken_at`).
 */
export class LeasedQueue<T extends { id: string }> implements WorkQueue<T> {
  readonly #knex: Knex;
  readonly #t: LeasedTable<T>;
  readonly #isPostgres: boolean;
  readonly metrics: QueueMetrics;

  constructor(knex: Knex, table: LeasedTable<T>) {
    this.#knex = knex;
    this.#t = table;
    this.#isPostgres = knex.client.config.client === 'pg';
    this.metrics = queueMetrics(table.table);
  }

  /** Items due now that no live lease holds: the backlog (sentinel_reconciler_queue_depth). */
  async countDue(now: Date): Promise<number> {
    const [row] = await this.#free(now)
      .clearSelect()
      .count({ count: '*' })
      .where('next_check_at', '<=', now)
      .whereIn(this.#t.stateColumn, [...this.#t.reconciledStates]);
    return Number(row?.count ?? 0);
  }

  async claimDue(options: {
    owner: string;
    now: Date;
    leaseMs: number;
    limit: number;
  }): Promise<T[]> {
    const due = this.#free(options.now)
      .where('next_check_at', '<=', options.now)
      .whereIn(this.#t.stateColumn, [...this.#t.reconciledStates])
      .orderBy('next_check_at')
      .limit(options.limit);
    return this.#lease(due, options);
  }

  async claimNow(
    ids: string[],
    options: { owner: string; now: Date; leaseMs: number },
  ): Promise<T[]> {
    if (ids.length === 0) return [];
    // The ids select; the state only filters: else a planner may read the whole due index
    // (every reconciled row, and their dead versions) to intersect it with these few ids.
    const free = this.#free(options.now)
      .whereIn('id', ids)
      .whereRaw(unindexedIn(this.#t.stateColumn, this.#t.reconciledStates));
    return this.#lease(free, options);
  }

  async wake(ids: string[], now: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.#knex(this.#t.table)
      .whereIn('id', ids)
      .whereIn(this.#t.stateColumn, [...this.#t.reconciledStates])
      .update({ next_check_at: now, woken_at: now });
  }

  async renewLease(id: string, owner: string, until: Date): Promise<boolean> {
    const updated = await this.#knex(this.#t.table)
      .where({ id, lease_owner: owner })
      .update({ lease_expires_at: until });
    return updated > 0;
  }

  async releaseLease(
    id: string,
    owner: string,
    nextCheckAt: Date | null,
  ): Promise<void> {
    await this.#knex(this.#t.table)
      .where({ id, lease_owner: owner })
      .update(this.releaseValues(this.#knex, new Date(), nextCheckAt));
  }

  /**
   * The columns that end a lease, for a store's own fenced step write: due again at `next`,
   * or at once (`now`) when an event woke the item meanwhile.
   */
  releaseValues(
    knex: Knex,
    now: Date,
    next: Date | null,
  ): Record<string, unknown> {
    return {
      lease_owner: null,
      lease_expires_at: null,
      woken_at: null,
      next_check_at:
        next === null ? null : this.dueAfterRelease(knex, now, next),
    };
  }

  /** Due at `next`, or at `now` when an event woke the item during its step. */
  dueAfterRelease(knex: Knex, now: Date, next: Date | null): Knex.Raw {
    const t = this.#isPostgres ? '?::timestamptz' : '?';
    return knex.raw(`CASE WHEN woken_at IS NOT NULL THEN ${t} ELSE ${t} END`, [
      now,
      next,
    ]);
  }

  /** Rows no live lease holds. */
  #free(now: Date): Knex.QueryBuilder {
    return this.#knex(this.#t.table)
      .select('id')
      .where(q =>
        q.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', now),
      );
  }

  /** Leases the rows `candidates` selects and returns them as items, in one statement. */
  async #lease(
    candidates: Knex.QueryBuilder,
    options: { owner: string; now: Date; leaseMs: number },
  ): Promise<T[]> {
    const lease = {
      lease_owner: options.owner,
      lease_expires_at: new Date(options.now.getTime() + options.leaseMs),
      woken_at: null,
    };
    const rows = await this.#knex(this.#t.table)
      .whereIn(
        'id',
        this.#isPostgres ? candidates.forUpdate().skipLocked() : candidates,
      )
      .update(lease)
      .returning(
        this.#isPostgres
          ? [
              `${this.#t.table}.*`,
              ...(this.#t.returning?.(this.#knex) ?? []),
              this.#knex.raw(ASYNC_COMMIT),
            ]
          : '*',
      );
    // A lease leaves the due time as it was: how late this claim came.
    const nowMs = options.now.getTime();
    this.metrics.claimed(
      rows
        .filter(row => row.next_check_at !== null)
        .map(row =>
          Math.max(0, (nowMs - new Date(row.next_check_at).getTime()) / 1000),
        ),
    );
    return this.#t.toItems(rows);
  }
}
