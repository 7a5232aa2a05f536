import type { LoggerService } from '@backstage/backend-plugin-api';
import { toError } from '@backstage/errors';

/** Where a reconciler finds its work: durable items with a due time and a lease. */
export interface WorkQueue<T extends { id: string }> {
  /**
   * Leases up to `limit` items that are due and not leased by a live replica, and returns
   * them as the controller reads them (in the same round trip where the store can).
   */
  claimDue(options: {
    owner: string;
    now: Date;
    leaseMs: number;
    limit: number;
  }): Promise<T[]>;
  /**
   * Leases these items now, due or not, unless a live replica holds them (an event woke them;
   * this saves a separate wake). Optional: without it a woken item waits for its claim.
   */
  claimNow?(
    ids: string[],
    options: { owner: string; now: Date; leaseMs: number },
  ): Promise<T[]>;
  /** Makes items due now; one a replica holds is due again as soon as it is released. */
  wake(ids: string[], now: Date): Promise<void>;
  /** Ends the lease; the item is due again at `nextCheckAt` (null: only an event brings it back). */
  releaseLease(
    id: string,
    owner: string,
    nextCheckAt: Date | null,
  ): Promise<void>;
}

/**
 * What one step decided: when to look at the item again (an event may wake it sooner), and
 * whether the step already ended its lease with its last write.
 */
export interface StepOutcome {
  next: Date | null;
  released?: boolean;
}

/**
 * Advances one item by one step: reads it, acts once (apply a change, look at a rollout),
 * persists, and says when to look again. A step never waits on the world.
 */
export interface Controller<T extends { id: string }> {
  reconcile(item: T): Promise<StepOutcome>;
}

/** Thrown by a test hook to stop a reconciler as abruptly as a killed process would. */
export class ReconcilerKilledError extends Error {
  name = 'ReconcilerKilledError';
}

/** The replica lost its lease on an item: another replica has taken it over. */
export class LeaseLostError extends Error {
  name = 'LeaseLostError';
}

export interface ReconcilerOptions<T extends { id: string }> {
  /** For logs: what this reconciler advances (e.g. "plans"). */
  name: string;
  queue: WorkQueue<T>;
  controller: Controller<T>;
  logger: LoggerService;
  /** Unique per replica; recorded as the lease owner. */
  owner: string;
  /** Claim loops per replica. */
  workers?: number;
  /** Items a claim loop leases at once and steps concurrently. */
  batchSize?: number;
  leaseMs?: number;
  /** How often an idle claim loop looks for due items when nothing wakes it. */
  pollIntervalMs?: number;
  /** How long a step that failed unexpectedly waits before it is tried again. */
  errorBackoffMs?: number;
  now?: () => Date;
}

/**
 * The work loop of a controller, in the manner of Kubernetes controllers and Argo Rollouts:
 * a few claim loops lease items that are due (database leases, SKIP LOCKED on PostgreSQL),
 * run one short step each, persist, and release them with their next due time. Nothing waits
 * on the world while holding a worker, a connection or a lease, so a handful of loops keep
 * thousands of long-lived items (rollouts waiting on pods, plans held by a freeze) moving.
 * Events wake items early (`kick`); the due time is only the fallback.
 */
export class Reconciler<T extends { id: string }> {
  readonly #o: Required<ReconcilerOptions<T>>;
  #running = false;
  #loops: Promise<void>[] = [];
  readonly #sleepers = new Set<() => void>();
  #kicks = 0;
  /** Items an event woke, to be claimed ahead of the rest. */
  readonly #woken = new Set<string>();
  #timer?: { at: number; handle: ReturnType<typeof setTimeout> };

  constructor(options: ReconcilerOptions<T>) {
    this.#o = {
      ...options,
      workers: options.workers ?? 4,
      batchSize: options.batchSize ?? 4,
      leaseMs: options.leaseMs ?? 30_000,
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      errorBackoffMs: options.errorBackoffMs ?? 5_000,
      now: options.now ?? (() => new Date()),
    };
  }

  get leaseMs(): number {
    return this.#o.leaseMs;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loops = Array.from({ length: this.#o.workers }, () => this.#loop());
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer.handle);
    this.#wakeAll();
    await Promise.all(this.#loops);
  }

  /** Looks for due items now (after a submission, an approval, an event). */
  kick(): void {
    this.#kicks += 1;
    this.#wakeAll();
  }

  /**
   * An event says these items need a look now (a rollout ended): they are claimed and
   * stepped ahead of the queue, or made due if a replica holds them.
   */
  wake(ids: string[]): void {
    if (!this.#o.queue.claimNow) {
      this.#o.queue
        .wake(ids, this.#o.now())
        .then(() => this.kick())
        .catch(error =>
          this.#o.logger.warn(
            `Sentinel could not wake ${this.#o.name} items`,
            toError(error),
          ),
        );
      return;
    }
    for (const id of ids) this.#woken.add(id);
    this.kick();
  }

  /** One claim and one step per claimed item; for tests and tools. Returns how many ran. */
  async runOnce(limit = this.#o.workers * this.#o.batchSize): Promise<number> {
    return this.#cycle(limit);
  }

  #wakeAll() {
    for (const wake of this.#sleepers) wake();
  }

  /** Kicks the loops when the earliest next check this replica scheduled comes due. */
  #remember(next: Date | null) {
    if (!next || !this.#running) return;
    const at = next.getTime();
    if (this.#timer && this.#timer.at <= at) return;
    if (this.#timer) clearTimeout(this.#timer.handle);
    const handle = setTimeout(() => {
      this.#timer = undefined;
      this.kick();
    }, Math.max(0, at - Date.now()));
    handle.unref?.();
    this.#timer = { at, handle };
  }

  async #loop() {
    while (this.#running) {
      const kicksBefore = this.#kicks;
      let claimed = 0;
      try {
        claimed = await this.#cycle(this.#o.batchSize);
      } catch (error) {
        if (error instanceof ReconcilerKilledError) {
          this.#running = false;
          this.#wakeAll();
          return;
        }
        this.#o.logger.error(
          `Sentinel ${this.#o.name} reconciler could not claim work`,
          toError(error),
        );
      }
      if (claimed === 0 && this.#kicks === kicksBefore && this.#running) {
        await this.#sleep(this.#o.pollIntervalMs);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>(resolve => {
      let timer: ReturnType<typeof setTimeout> | undefined = undefined;
      const wake = () => {
        clearTimeout(timer);
        this.#sleepers.delete(wake);
        resolve();
      };
      timer = setTimeout(wake, ms);
      timer.unref?.(); // polling never keeps the process alive
      this.#sleepers.add(wake);
    });
  }

  async #cycle(limit: number): Promise<number> {
    const items = this.#woken.size
      ? await this.#claimWoken(limit)
      : await this.#o.queue.claimDue({
          owner: this.#o.owner,
          now: this.#o.now(),
          leaseMs: this.#o.leaseMs,
          limit,
        });
    const results = await Promise.allSettled(
      items.map(item => this.#step(item)),
    );
    for (const result of results) {
      if (
        result.status === 'rejected' &&
        result.reason instanceof ReconcilerKilledError
      ) {
        throw result.reason;
      }
    }
    return items.length;
  }

  async #claimWoken(limit: number): Promise<T[]> {
    const ids = [...this.#woken].slice(0, limit);
    for (const id of ids) this.#woken.delete(id);
    const now = this.#o.now();
    const claimed = await this.#o.queue.claimNow!(ids, {
      owner: this.#o.owner,
      now,
      leaseMs: this.#o.leaseMs,
    });
    // Held elsewhere (or mid-step here): due as soon as it is released.
    const missed = ids.filter(id => !claimed.some(item => item.id === id));
    if (missed.length) await this.#o.queue.wake(missed, now);
    return claimed;
  }

  async #step(item: T): Promise<void> {
    const id = item.id;
    let outcome: StepOutcome;
    try {
      outcome = await this.#o.controller.reconcile(item);
    } catch (error) {
      if (error instanceof ReconcilerKilledError) throw error;
      if (error instanceof LeaseLostError) {
        this.#o.logger.warn(
          `Sentinel lost the lease on ${
            this.#o.name
          } item ${id}; another replica resumes it`,
        );
        return;
      }
      this.#o.logger.error(
        `Sentinel failed a step of ${
          this.#o.name
        } item ${id}; trying again in ${this.#o.errorBackoffMs / 1000} s`,
        toError(error),
      );
      outcome = {
        next: new Date(this.#o.now().getTime() + this.#o.errorBackoffMs),
      };
    }
    if (!outcome.released) {
      await this.#o.queue.releaseLease(id, this.#o.owner, outcome.next);
    }
    this.#remember(outcome.next);
  }
}
