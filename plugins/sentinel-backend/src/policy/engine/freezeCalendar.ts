/**
 * Freeze windows resolved into concrete intervals.
 *
 * One-off windows are the half-open interval [start, end). A recurring window opens an interval
 * of `durationMinutes` (absolute minutes, not wall-clock minutes) at every occurrence of its
 * 5-field cron expression, evaluated in its IANA time zone by croner.
 *
 * Daylight saving time (croner's Vixie-cron semantics, with lists and ranges treated as
 * fixed times so that no listed freeze is ever skipped):
 * - A start wall-time that does not exist on a transition day (e.g. 02:30 on
 *   Europe/Berlin 2026-03-29 or America/New_York 2026-03-08) opens the window at the first
 *   valid instant after the gap (03:00 local, the very end of the gap) on that same day. The
 *   freeze is never skipped: skipping is the unsafe direction for a change freeze.
 * - A start wall-time that exists twice (e.g. 02:30 on Europe/Berlin 2026-10-25, 01:30 on
 *   America/New_York 2026-11-01) opens the window once, at the first of the two instants
 *   (summer time). It lasts `durationMinutes` from there, so it ends earlier on the wall clock.
 * - Durations are absolute: a window from 22:00 lasting 600 minutes ends at 09:00 local on the
 *   spring-forward morning and at 07:00 local on the fall-back morning.
 * - Patterns with a wildcard or step in the minute or hour field (e.g. `*\/30 * * * *`) are
 *   "every N" schedules: a time inside the gap is skipped, one in the repeated hour runs twice.
 *   Their intervals still cover real time continuously, which is what matters for a freeze.
 *
 * When several occurrences of one window overlap `at` (duration longer than the period), the
 * interval reported is that of the latest occurrence at or before `at`: the one that lasts
 * longest.
 *
 * Croner takes tens of microseconds per occurrence, so each window keeps a small sliding cache
 * of consecutive occurrences: evaluating at a time near the previous one is a binary search.
 */
import { InputError } from '@backstage/errors';
import type { FreezeWindow } from '@internal/backstage-plugin-sentinel-common';
import { Cron } from 'croner';
import { IANAZone } from 'luxon';
import type { FreezeCalendar } from '../types';

/** A concrete interval of a freeze window: [start, end). */
export interface FreezeInterval {
  start: Date;
  end: Date;
}

/**
 * A freeze window that cannot be compiled: a bad cron expression, time zone, duration or
 * start/end. An InputError, so the API answers 400 with its message.
 */
export class InvalidFreezeWindowError extends InputError {
  readonly windowId: string | undefined;
  readonly problem: string;

  constructor(window: Partial<FreezeWindow>, problem: string) {
    super(`Freeze window ${describeWindow(window)}: ${problem}`);
    this.windowId = window.id;
    this.problem = problem;
  }
}

function describeWindow(window: Partial<FreezeWindow>): string {
  const name = window.name === undefined ? '' : `"${window.name}"`;
  if (window.id === undefined) {
    return name || '(unnamed)';
  }
  return name ? `${name} (${window.id})` : window.id;
}

const MINUTE_MS = 60_000;
/** Most occurrences kept per window; older ones are dropped as time moves on. */
const MAX_CACHED = 64;
/** Most occurrences computed one by one to catch up before starting over at the new time. */
const MAX_CATCH_UP = 16;

interface Span {
  start: number;
  end: number;
}

/** One window's intervals, in epoch milliseconds. */
interface CompiledWindow {
  /** The interval containing `at` (latest start <= at < end). */
  active(at: number): Span | undefined;
  /** The first interval starting strictly after `at`. */
  next(at: number): Span | undefined;
}

class OneOffWindow implements CompiledWindow {
  constructor(private readonly start: number, private readonly end: number) {}

  active(at: number): Span | undefined {
    return this.start <= at && at < this.end
      ? { start: this.start, end: this.end }
      : undefined;
  }

  next(at: number): Span | undefined {
    return this.start > at ? { start: this.start, end: this.end } : undefined;
  }
}

/**
 * A recurring window. The cache holds every occurrence in (from, last] in `list`, and in
 * `before` the latest occurrence at or before `from` (null if there is none).
 */
class RecurringWindow implements CompiledWindow {
  private from = Number.NaN;
  private before: number | null = null;
  private list: number[] = [];
  private exhausted = false;

  constructor(
    private readonly cron: Cron,
    private readonly durationMs: number,
  ) {}

  active(at: number): Span | undefined {
    const index = this.locate(at);
    const start = index >= 0 ? this.list[index] : this.before;
    if (start === null || start + this.durationMs <= at) {
      return undefined;
    }
    return { start, end: start + this.durationMs };
  }

  next(at: number): Span | undefined {
    const index = this.locate(at);
    const start = this.list[index + 1];
    return start === undefined
      ? undefined
      : { start, end: start + this.durationMs };
  }

  /**
   * Makes the cache cover `at` and returns the index of the latest cached occurrence <= at
   * (-1 if it is `before`). After this, list[index + 1] is the next occurrence, if any.
   */
  private locate(at: number): number {
    if (!(at >= this.from)) {
      this.restart(at);
    }
    let added = 0;
    while (!this.exhausted && this.lastOrFrom() <= at) {
      if (added === MAX_CATCH_UP) {
        this.restart(at);
        break;
      }
      this.append();
      added += 1;
    }
    if (this.list.length > MAX_CACHED) {
      this.dropOldest(this.list.length - MAX_CACHED);
    }
    // Largest index with list[index] <= at.
    let low = 0;
    let high = this.list.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (this.list[mid] <= at) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }

  private lastOrFrom(): number {
    return this.list.length > 0 ? this.list[this.list.length - 1] : this.from;
  }

  private restart(at: number): void {
    this.from = at;
    // previousRuns is exclusive of its reference; +1 ms includes an occurrence exactly at `at`.
    const previous = this.cron.previousRuns(1, new Date(at + 1));
    this.before = previous.length > 0 ? previous[0].getTime() : null;
    this.list = [];
    this.exhausted = false;
    this.append();
  }

  private append(): void {
    const next = this.cron.nextRun(new Date(this.lastOrFrom()));
    if (next === null) {
      this.exhausted = true;
    } else {
      this.list.push(next.getTime());
    }
  }

  private dropOldest(count: number): void {
    const dropped = this.list.splice(0, count);
    this.before = dropped[dropped.length - 1];
    this.from = this.before;
  }
}

const CRON_FIELDS = 'minute hour day-of-month month day-of-week';

function compileWindow(window: FreezeWindow): CompiledWindow {
  const { recurrence } = window;
  const hasStartOrEnd = window.start !== undefined || window.end !== undefined;
  if (recurrence && hasStartOrEnd) {
    throw new InvalidFreezeWindowError(
      window,
      'give either start and end, or recurrence, not both',
    );
  }
  if (!recurrence) {
    if (window.start === undefined || window.end === undefined) {
      throw new InvalidFreezeWindowError(
        window,
        'needs start and end (ISO 8601), or a recurrence',
      );
    }
    const start = Date.parse(window.start);
    const end = Date.parse(window.end);
    if (!Number.isFinite(start)) {
      throw new InvalidFreezeWindowError(
        window,
        `start "${window.start}" is not an ISO 8601 date-time`,
      );
    }
    if (!Number.isFinite(end)) {
      throw new InvalidFreezeWindowError(
        window,
        `end "${window.end}" is not an ISO 8601 date-time`,
      );
    }
    if (end <= start) {
      throw new InvalidFreezeWindowError(
        window,
        `end ${window.end} must be after start ${window.start}`,
      );
    }
    return new OneOffWindow(start, end);
  }

  const { cron: pattern, timezone, durationMinutes } = recurrence;
  if (
    typeof timezone !== 'string' ||
    timezone.trim() === '' ||
    !IANAZone.isValidZone(timezone)
  ) {
    throw new InvalidFreezeWindowError(
      window,
      `time zone "${timezone}" is not an IANA time zone such as "Europe/Berlin" or "UTC"`,
    );
  }
  if (!Number.isInteger(durationMinutes) || durationMinutes < 1) {
    throw new InvalidFreezeWindowError(
      window,
      `durationMinutes ${durationMinutes} must be a whole number of minutes, at least 1`,
    );
  }
  const fields = typeof pattern === 'string' ? pattern.trim().split(/\s+/) : [];
  if (fields.length !== 5) {
    throw new InvalidFreezeWindowError(
      window,
      `cron "${pattern}" must have 5 fields (${CRON_FIELDS}), it has ${fields.length}`,
    );
  }
  let cron: Cron;
  try {
    cron = new Cron(fields.join(' '), {
      timezone,
      // Lists and ranges of hours are fixed times: on a spring-forward day they move to the
      // end of the gap instead of being skipped.
      fixedTimeRule: 'no-wildcard',
    });
  } catch (error) {
    throw new InvalidFreezeWindowError(
      window,
      `cron "${pattern}" is not valid (${CRON_FIELDS}): ${
        (error as Error).message
      }`,
    );
  }
  // A pattern such as "0 0 31 2 *" parses but never occurs.
  const createdAt = Date.parse(window.createdAt ?? '');
  const reference = new Date(Number.isFinite(createdAt) ? createdAt : 0);
  if (cron.nextRun(reference) === null) {
    throw new InvalidFreezeWindowError(
      window,
      `cron "${pattern}" never occurs; check the day-of-month and month fields`,
    );
  }
  return new RecurringWindow(cron, durationMinutes * MINUTE_MS);
}

function toInterval(span: Span | undefined): FreezeInterval | undefined {
  return span && { start: new Date(span.start), end: new Date(span.end) };
}

/**
 * Compiles freeze windows once, for reuse across evaluations. Throws an
 * {@link InvalidFreezeWindowError} naming the first window that is invalid and why.
 */
export function compileFreezeCalendar(windows: FreezeWindow[]): FreezeCalendar {
  const compiled = new Map<FreezeWindow, CompiledWindow>();
  for (const window of windows) {
    compiled.set(window, compileWindow(window));
  }
  const lookup = (window: FreezeWindow): CompiledWindow => {
    let entry = compiled.get(window);
    if (!entry) {
      // A window that was not part of the calendar; compiled on first use.
      entry = compileWindow(window);
      compiled.set(window, entry);
    }
    return entry;
  };
  return {
    windows: [...windows],
    activeAt: (window, at) => toInterval(lookup(window).active(at.getTime())),
    nextAfter: (window, at) => toInterval(lookup(window).next(at.getTime())),
  };
}
