/**
 * The recent changes (context.recentChanges) parsed and sorted by time, memoised on the array
 * (weakly, so it goes with it) while it holds the same number of changes and the same first
 * and last one: a caller that reuses its snapshot saves re-reading it, and changes appended
 * are noticed.
 */
import type { RecentChange } from '../../types';

/**
 * A recent change, its time as a canonical UTC ISO string (compared as strings: cheaper than
 * parsing hundreds of dates per evaluation), its cluster and namespace located, not copied.
 */
export interface ParsedChange {
  at: string;
  workload: string;
  /** The length of the cluster name. */
  clusterLength: number;
  /** The length of `cluster/namespace`. */
  namespaceEnd: number;
}

/** Recent changes parsed and sorted by time, in total and by `cluster/namespace`. */
export interface ChangeIndex {
  all: ParsedChange[];
  /** By `cluster/namespace`, filled in as namespaces are asked for. */
  byNamespace: Map<string, ParsedChange[]>;
}

const changeIndexes = new WeakMap<
  readonly RecentChange[],
  {
    length: number;
    first?: RecentChange;
    last?: RecentChange;
    index: ChangeIndex;
  }
>();

/**
 * An ISO 8601 instant in the canonical UTC form toISOString writes
 * (`2026-01-14T12:00:00.000Z`, as the change ledger stores them), in which string order is
 * time order. Other forms are converted; undefined if `text` is not a date-time.
 */
export function canonicalInstant(text: string): string | undefined {
  if (
    text.length === 24 &&
    text.charCodeAt(4) === 45 && // -
    text.charCodeAt(7) === 45 &&
    text.charCodeAt(10) === 84 && // T
    text.charCodeAt(13) === 58 && // :
    text.charCodeAt(16) === 58 &&
    text.charCodeAt(19) === 46 && // .
    text.charCodeAt(23) === 90 // Z
  ) {
    return text;
  }
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

function byTime(a: ParsedChange, b: ParsedChange): number {
  if (a.at === b.at) return 0;
  return a.at < b.at ? -1 : 1;
}

function indexChanges(changes: readonly RecentChange[]): ChangeIndex {
  const all: ParsedChange[] = [];
  for (const { at: text, workload } of changes) {
    const at = canonicalInstant(text);
    const clusterLength = workload.indexOf('/');
    const namespaceEnd =
      clusterLength < 0 ? -1 : workload.indexOf('/', clusterLength + 1);
    if (at === undefined || namespaceEnd < 0) {
      continue;
    }
    all.push({
      at,
      workload,
      clusterLength,
      namespaceEnd,
    });
  }
  // Ledgers return changes in time order, so this is usually one pass.
  let sorted = true;
  for (let i = 1; i < all.length && sorted; i++) {
    sorted = all[i - 1].at <= all[i].at;
  }
  if (!sorted) {
    all.sort(byTime);
  }
  return { all, byNamespace: new Map() };
}

/** The index of `changes`, reused while the caller passes the very same array. */
export function changeIndexOf(changes: readonly RecentChange[]): ChangeIndex {
  const cached = changeIndexes.get(changes);
  if (
    cached &&
    cached.length === changes.length &&
    cached.first === changes[0] &&
    cached.last === changes[changes.length - 1]
  ) {
    return cached.index;
  }
  const index = indexChanges(changes);
  changeIndexes.set(changes, {
    length: changes.length,
    first: changes[0],
    last: changes[changes.length - 1],
    index,
  });
  return index;
}

/** The changes in one `cluster/namespace`, in time order; computed once per index. */
export function changesIn(
  index: ChangeIndex,
  namespaceKey: string,
): ParsedChange[] {
  let changes = index.byNamespace.get(namespaceKey);
  if (!changes) {
    changes = [];
    const length = namespaceKey.length;
    for (const change of index.all) {
      if (
        change.namespaceEnd === length &&
        change.workload.startsWith(namespaceKey)
      ) {
        changes.push(change);
      }
    }
    index.byNamespace.set(namespaceKey, changes);
  }
  return changes;
}

/** The index of the first change after `since` in changes sorted by time. */
export function firstAfter(changes: ParsedChange[], since: string): number {
  let low = 0;
  let high = changes.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (changes[mid].at > since) {
      high = mid;
    } else {
      low = mid + 1;
    }
  }
  return low;
}

export function inCluster(change: ParsedChange, cluster: string): boolean {
  return (
    change.clusterLength === cluster.length &&
    change.workload.startsWith(cluster)
  );
}

export function inNamespace(change: ParsedChange, namespace: string): boolean {
  return (
    change.namespaceEnd - change.clusterLength - 1 === namespace.length &&
    change.workload.startsWith(namespace, change.clusterLength + 1)
  );
}
