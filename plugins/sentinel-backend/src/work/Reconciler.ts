import type { LoggerService } from '@backstage/backend-plugin-api';
import { toError } from '@backstage/errors';
import type { QueueMetrics } from './queueMetrics';

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
  /** Where the queue's lease losses are counted (a LeasedQueue's). */
  readonly metrics?: Pick<QueueMetrics, 'leaseLost'>;
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

/**
 * A slot held for an item this replica is about to create: the item is stored already leased
 * to `owner` until `leaseExpiresAt`, then stepped here at once, with no claim.
 */
export interface SlotReservation<T> {
  owner: string;
  leaseExpiresAt: Date;
  /** The item was stored with the lease: step it now. */
  start(item: T): void;
  /** It was not (a duplicate, an error): give the slot back. */
  cancel(): void;
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
  /** Steps in flight at once on this replica. */
  concurrency?: number;
  /** The most items one claim leases. */
  batchSize?: number;
  leaseMs?: number;
  /** How often an idle replica looks for due items when nothing wakes it. */
  pollIntervalMs?: number;
  /** How long a step that failed unexpectedly waits before it is tried again. */
  errorBackoffMs?: number;
  now?: () => Date;
}

/**
 * The work loop of a controller, in the manner of Kubernetes controllers and Argo Rollouts:
 * a claim loop leases items that are due (database leases, SKIP LOCKED on PostgreSQL) as
 * long as fewer than `concurrency` steps are in flight, each item gets one short step that
 * persists and releases it with its next due time, and a finished step frees its slot for
 * the next claim at once (no batch waits for its slowest step). Nothing waits on the world
 * while holding a slot, a connection or a lease, so a few slots keep thousands of long-lived
 * items (rollouts waiting on pods, plans held by a freeze) moving. Events wake items early
 * (`kick`, `wake`); the due time is only the fallback.
 */
export class Reconciler<T extends { id: string }> {
  readonly #o: Required<ReconcilerOptions<T>>;
  #running = false;
  #loop?: Promise<void>;
  /** Steps in flight, each until its item is released. */
  readonly #steps = new Set<Promise<void>>();
  /** Slots claims under way may fill. */
  #reserved = 0;
  readonly #sleepers = new Set<() => void>();
  /** The claim loop sleeps until a slot frees (not until work comes). */
  #waitingForSlot = false;
  /** The last claim of due items filled its batch: more may be due (see `reserve`). */
  #backlog = true;
  /** Something may have come due (a kick, a poll): the next claim asks for due items. */
  #lookForDue = true;
  /** Items an event woke, to be claimed ahead of the rest. */
  readonly #woken = new Set<string>();
  /** Items with a step in flight here, and those of them an event woke meanwhile. */
  readonly #stepping = new Set<string>();
  readonly #wokenWhileStepping = new Set<string>();
  #timer?: { at: number; handle: ReturnType<typeof setTimeout> };
  /** Next check times of items stepped here, ascending (ms since the epoch). */
  readonly #dueTimes: number[] = [];

  constructor(options: ReconcilerOptions<T>) {
    this.#o = {
      ...options,
      concurrency: options.concurrency ?? 16,
      batchSize: options.batchSize ?? 8,
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
    this.#loop = this.#claimLoop();
  }

  /** Stops claiming and waits for the steps in flight. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer.handle);
    this.#wakeAll();
    await this.#loop;
    await Promise.all(this.#steps);
  }

  /** Looks for due items now (after a submission, an approval, an event). */
  kick(): void {
    this.#lookForDue = true;
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
    for (const id of ids) {
      // An item stepped here right now is claimed again as soon as its step ends: the event
      // may have come after the step looked.
      if (this.#stepping.has(id)) this.#wokenWhileStepping.add(id);
      else this.#woken.add(id);
    }
    // Only these: nothing says that anything else came due.
    this.#wakeAll();
  }

  /**
   * A slot for an item about to be created here, so that it is leased in the write that
   * creates it and stepped without a claim (a round trip less for every new plan). Undefined
   * when no slot is free, or when the last claim left due items behind: a new item never
   * overtakes the queue, it is claimed in its turn.
   */
  reserve(): SlotReservation<T> | undefined {
    if (!this.#running || this.#backlog) return undefined;
    if (this.#o.concurrency - this.#steps.size - this.#reserved <= 0) {
      return undefined;
    }
    this.#reserved += 1;
    let open = true;
    const close = () => {
      if (!open) return false;
      open = false;
      this.#reserved -= 1;
      return true;
    };
    return {
      owner: this.#o.owner,
      leaseExpiresAt: new Date(this.#o.now().getTime() + this.#o.leaseMs),
      start: item => {
        // After the caller's I/O callbacks (its response to whoever created the item); the
        // slot stays reserved until then. Stopped meanwhile: the lease runs out and any
        // replica claims the item.
        setImmediate(() => {
          if (close() && this.#running) this.#dispatch(item);
        });
      },
      cancel: () => {
        if (close() && this.#waitingForSlot) this.#wakeAll();
      },
    };
  }

  /** One claim and one step per claimed item; for tests and tools. Returns how many ran. */
  async runOnce(limit = this.#o.concurrency): Promise<number> {
    this.#lookForDue = true;
    const items = await this.#claim(limit);
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

  #wakeAll() {
    for (const wake of this.#sleepers) wake();
  }

  /**
   * Kicks the loops when each next check this replica scheduled comes due, earliest first
   * (one timer, re-armed for the next due time when it fires), so that an item is claimed
   * when it is due rather than at the next poll.
   */
  #remember(next: Date | null) {
    if (!next || !this.#running) return;
    const at = next.getTime();
    insertSorted(this.#dueTimes, at);
    if (this.#timer && this.#timer.at <= at) return;
    if (this.#timer) clearTimeout(this.#timer.handle);
    this.#arm(at);
  }

  #arm(at: number) {
    const handle = setTimeout(() => {
      // Timers measure from the event loop's cached clock and may fire a little early: a
      // claim then would find nothing due and the item would wait for the next poll.
      if (Date.now() < at) return this.#arm(at);
      this.#timer = undefined;
      const now = Date.now();
      let passed = 0;
      while (passed < this.#dueTimes.length && this.#dueTimes[passed] <= now) {
        passed += 1;
      }
      this.#dueTimes.splice(0, passed);
      if (this.#dueTimes.length && this.#running) this.#arm(this.#dueTimes[0]);
      return this.kick();
    }, Math.max(0, at - Date.now()));
    handle.unref?.();
    this.#timer = { at, handle };
  }

  async #claimLoop() {
    while (this.#running) {
      const free = this.#o.concurrency - this.#steps.size - this.#reserved;
      if (free <= 0) {
        // A finished step wakes the loop.
        this.#waitingForSlot = true;
        await this.#sleep(this.#o.pollIntervalMs);
        this.#waitingForSlot = false;
        continue;
      }
      // Claim only when something may be waiting: items an event woke, a kick (a new or
      // approved item, a next check time come), a claim that filled its batch, or the poll,
      // the fallback for what no event announced. Otherwise every claim would be followed
      // by an empty one.
      if (!this.#woken.size && !this.#lookForDue && !this.#backlog) {
        if (await this.#sleep(this.#o.pollIntervalMs)) this.#lookForDue = true;
        continue;
      }
      // Slots are reserved for the claim's round trip: never more in flight than concurrency.
      const limit = Math.min(this.#o.batchSize, free);
      this.#reserved += limit;
      let items: T[] = [];
      try {
        items = await this.#claim(limit);
      } catch (error) {
        this.#o.logger.error(
          `Sentinel ${this.#o.name} reconciler could not claim work`,
          toError(error),
        );
        // Look again after a pause, not in a tight loop against a failing database.
        await this.#sleep(this.#o.pollIntervalMs);
        this.#lookForDue = true;
      } finally {
        this.#reserved -= limit;
      }
      for (const item of items) this.#dispatch(item);
    }
  }

  /** Runs one step in a slot of its own; a killed replica (test hook) stops claiming. */
  #dispatch(item: T) {
    this.#stepping.add(item.id);
    const step: Promise<void> = this.#step(item)
      .catch(error => {
        if (error instanceof ReconcilerKilledError) {
          this.#running = false;
        }
      })
      .finally(() => {
        this.#steps.delete(step);
        this.#stepping.delete(item.id);
        if (this.#wokenWhileStepping.delete(item.id)) {
          this.#woken.add(item.id);
          this.#wakeAll();
        } else if (this.#waitingForSlot) {
          // Only a loop waiting for a slot has a reason to claim now; an idle one would find
          // nothing new (a new item kicks it).
          this.#wakeAll();
        }
      });
    this.#steps.add(step);
  }

  /** Sleeps until woken or `ms` passed; true when the time ran out. */
  #sleep(ms: number): Promise<boolean> {
    return new Promise<boolean>(resolve => {
      let timer: ReturnType<typeof setTimeout> | undefined = undefined;
      const wake = (timedOut = false) => {
        clearTimeout(timer);
        this.#sleepers.delete(wake);
        resolve(timedOut);
      };
      timer = setTimeout(() => wake(true), ms);
      timer.unref?.(); // polling never keeps the process alive
      this.#sleepers.add(wake);
    });
  }

  /** Leases up to `limit` items: those an event woke first, the rest from those due. */
  async #claim(limit: number): Promise<T[]> {
    const wokenCount = Math.min(limit, this.#woken.size);
    const woken = wokenCount ? this.#claimWoken(wokenCount) : [];
    // Due items only when something may have come due: a wake alone claims just the woken
    // items (an event per rollout would otherwise cost a second query each time).
    const lookForDue = this.#lookForDue || this.#backlog;
    this.#lookForDue = false;
    const rest = lookForDue ? limit - wokenCount : 0;
    const due =
      rest > 0
        ? this.#o.queue.claimDue({
            owner: this.#o.owner,
            now: this.#o.now(),
            leaseMs: this.#o.leaseMs,
            limit: rest,
          })
        : [];
    const [a, b] = await Promise.all([woken, due]);
    if (rest > 0) this.#backlog = b.length === rest;
    return [...a, ...b];
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
        this.#o.queue.metrics?.leaseLost();
        // Another replica holds it now, or a person ended it (a cancel) meanwhile.
        this.#o.logger.info(
          `Sentinel let go of ${
            this.#o.name
          } item ${id}: it changed hands or ended during the step`,
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

/** Inserts `value` into the ascending array `sorted`, keeping it sorted. */
function insertSorted(sorted: number[], value: number): void {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid] <= value) low = mid + 1;
    else high = mid;
  }
  sorted.splice(low, 0, value);
}
