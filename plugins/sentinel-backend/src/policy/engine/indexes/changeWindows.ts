/**
 * The recent changes as one evaluation sees them: windows ending at now, computed on first
 * use and shared by every decision and rule of the evaluation.
 */
import type { RecentChange } from '../../types';
import {
  changeIndexOf,
  changesIn,
  firstAfter,
  inCluster,
  inNamespace,
  type ChangeIndex,
  type ParsedChange,
} from './changeIndex';

export const MINUTE_MS = 60_000;
/** The schema's default window of rate_limit and blast_radius rules. */
export const DEFAULT_WINDOW_MINUTES = 60;

export class ChangeWindows {
  private index?: ChangeIndex;
  /** Change times in a window, ascending, by workload, namespace or rule, then window. */
  private readonly timesCache = new Map<unknown, Map<number, string[]>>();
  /** The ISO instant `windowMs` before now, by window. */
  private readonly sinceCache = new Map<number, string>();
  private nowIso?: string;

  constructor(
    private readonly changes: readonly RecentChange[],
    private readonly nowMs: number,
    /** The evaluation's (cached) ISO form of an instant. */
    private readonly iso: (ms: number) => string,
  ) {}

  /** The recent changes parsed and sorted; only read if a rule counts changes. */
  recent(): ChangeIndex {
    this.index ??= changeIndexOf(this.changes);
    return this.index;
  }

  /** The range [from, to) of changes (sorted by time) in (now - windowMs, now]. */
  range(changes: ParsedChange[], windowMs: number): [from: number, to: number] {
    let since = this.sinceCache.get(windowMs);
    if (since === undefined) {
      since = this.iso(this.nowMs - windowMs);
      this.sinceCache.set(windowMs, since);
    }
    this.nowIso ??= this.iso(this.nowMs);
    return [firstAfter(changes, since), firstAfter(changes, this.nowIso)];
  }

  /**
   * Times of the changes in (now - windowMs, now], ascending, optionally only those of one
   * workload, cluster and/or namespace; cached under `cacheKey`.
   */
  times(
    cacheKey: unknown,
    /** A `cluster/namespace` to look in; all changes if undefined. */
    namespaceKey: string | undefined,
    windowMs: number,
    workload?: string,
    cluster?: string,
    namespace?: string,
  ): string[] {
    let byWindow = this.timesCache.get(cacheKey);
    if (!byWindow) {
      byWindow = new Map();
      this.timesCache.set(cacheKey, byWindow);
    }
    let times = byWindow.get(windowMs);
    if (!times) {
      times = [];
      const index = this.recent();
      const changes =
        namespaceKey === undefined ? index.all : changesIn(index, namespaceKey);
      const [from, to] = this.range(changes, windowMs);
      for (let i = from; i < to; i++) {
        const change = changes[i];
        if (
          (workload === undefined || change.workload === workload) &&
          (cluster === undefined || inCluster(change, cluster)) &&
          (namespace === undefined || inNamespace(change, namespace))
        ) {
          times.push(change.at);
        }
      }
      byWindow.set(windowMs, times);
    }
    return times;
  }
}
