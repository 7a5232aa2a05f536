import type { LoggerService } from '@backstage/backend-plugin-api';
import { toError } from '@backstage/errors';
import type { Redis } from 'ioredis';
import type { AppliedChanges, LedgerEntry, RecentChange } from './types';

export type { LedgerEntry } from './types';

/** Where replicas share the changes they applied, for rate limits and blast radius. */
export interface ChangeLedger {
  record(entry: LedgerEntry): Promise<void>;
  since(at: Date): Promise<RecentChange[]>;
}

// Longest window a rule may use (policyDocument.ts caps windowMinutes at one week).
const RETENTION_MS = 7 * 24 * 3600_000;

/** The plan store itself: every applied decision has its `applied_at`. Always right, slower. */
export class DatabaseChangeLedger implements ChangeLedger {
  constructor(private readonly store: AppliedChanges) {}

  async record(): Promise<void> {
    // The gate stores applied_at with the decision when it admits it; nothing more to write.
  }

  since(at: Date): Promise<RecentChange[]> {
    return this.store.appliedSince(at);
  }
}

/** A sorted set in Redis shared by every replica: score = time applied. */
export class RedisChangeLedger implements ChangeLedger {
  constructor(
    private readonly redis: Redis,
    private readonly key = 'sentinel:changes',
  ) {}

  async record(entry: LedgerEntry): Promise<void> {
    const at = Date.parse(entry.at);
    await this.redis
      .multi()
      .zadd(this.key, 'NX', at, `${entry.id}|${entry.workload}`)
      .zremrangebyscore(this.key, '-inf', at - RETENTION_MS)
      .exec();
  }

  async since(at: Date): Promise<RecentChange[]> {
    const members = await this.redis.zrangebyscore(
      this.key,
      `(${at.getTime()}`,
      '+inf',
      'WITHSCORES',
    );
    const changes: RecentChange[] = [];
    for (let i = 0; i < members.length; i += 2) {
      changes.push({
        workload: members[i].slice(members[i].indexOf('|') + 1),
        at: new Date(Number(members[i + 1])).toISOString(),
      });
    }
    return changes;
  }

  /** Copies entries in, skipping those already there (after Redis lost them or was down). */
  async backfill(entries: LedgerEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const args: (string | number)[] = [];
    for (const e of entries)
      args.push(Date.parse(e.at), `${e.id}|${e.workload}`);
    await this.redis.zadd(this.key, 'NX', ...args);
  }
}

/**
 * Redis first, the database when Redis does not answer: a limit is never skipped because Redis
 * is down. When Redis comes back, the changes it missed are copied in from the database.
 */
export class ResilientChangeLedger implements ChangeLedger {
  constructor(
    private readonly redis: RedisChangeLedger,
    private readonly database: DatabaseChangeLedger,
    private readonly store: AppliedChanges,
    private readonly logger: LoggerService,
    private readonly timeoutMs = 500,
  ) {}

  async record(entry: LedgerEntry): Promise<void> {
    try {
      await this.#timed(this.redis.record(entry));
    } catch (error) {
      this.logger.warn(
        `Rate-limit ledger: Redis did not take change ${entry.id}; the database has it`,
        toError(error),
      );
    }
  }

  async since(at: Date): Promise<RecentChange[]> {
    try {
      return await this.#timed(this.redis.since(at));
    } catch (error) {
      this.logger.warn(
        'Rate-limit ledger: Redis unavailable; counting changes in the database',
        toError(error),
      );
      return this.database.since(at);
    }
  }

  /** Called when Redis (re)connects. */
  async resync(now: Date): Promise<void> {
    const entries = await this.store.appliedEntriesSince(
      new Date(now.getTime() - RETENTION_MS),
    );
    await this.redis.backfill(entries);
  }

  #timed<T>(promise: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined = undefined;
    return Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
          this.timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  }
}
