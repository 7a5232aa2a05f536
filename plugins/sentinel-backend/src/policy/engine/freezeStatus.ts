/**
 * Whether a target is frozen right now, and until when: the answer of GET /v1/freeze-status.
 * Pure: the calendar, the overrides and `now` are passed in.
 */
import type {
  FreezeOverride,
  FreezeWindow,
  PolicyScope,
} from '@internal/backstage-plugin-sentinel-common';
import type { FreezeCalendar } from '../types';

/** What the freeze status is asked for; every field left out matches nothing narrower. */
export interface FreezeStatusQuery {
  cluster?: string;
  namespace?: string;
  entityRef?: string;
}

/** A freeze window with the concrete interval that is (or will be) in effect. */
export type FreezeWindowInterval = FreezeWindow & {
  /** ISO 8601 instant the interval starts (inclusive). */
  activeFrom: string;
  /** ISO 8601 instant the interval ends (exclusive). */
  activeUntil: string;
};

export interface FreezeStatus {
  /** True if a window applies now and no break-glass override lifts it. */
  frozen: boolean;
  /** The window in effect now (the one lasting longest if several are), even if overridden. */
  window: FreezeWindowInterval | null;
  /** The window whose next interval starts soonest after `now`. */
  nextWindow: FreezeWindowInterval | null;
  /** The active break-glass override for the query, if any. */
  override: FreezeOverride | null;
}

/**
 * A scope applies to the query if each of its cluster, namespace and entityRef fields that is
 * given equals the query's. Labels cannot be checked against a query: a window's labels are
 * ignored (the window may apply, so it is reported), while an override that needs labels is
 * not counted (it may not apply, so it does not lift the freeze).
 */
function applies(
  scope: PolicyScope | undefined,
  query: FreezeStatusQuery,
): boolean {
  return (
    !scope ||
    ((scope.cluster === undefined || scope.cluster === query.cluster) &&
      (scope.namespace === undefined || scope.namespace === query.namespace) &&
      (scope.entityRef === undefined || scope.entityRef === query.entityRef))
  );
}

function hasLabels(scope: PolicyScope | undefined): boolean {
  return !!scope?.labels && Object.keys(scope.labels).length > 0;
}

function withInterval(
  window: FreezeWindow,
  interval: { start: Date; end: Date },
): FreezeWindowInterval {
  return {
    ...window,
    activeFrom: interval.start.toISOString(),
    activeUntil: interval.end.toISOString(),
  };
}

/** The freeze status of a cluster, namespace or catalog entity at `now`. */
export function freezeStatus(
  calendar: FreezeCalendar,
  overrides: FreezeOverride[],
  query: FreezeStatusQuery,
  now: Date,
): FreezeStatus {
  let active: { window: FreezeWindow; start: Date; end: Date } | undefined;
  let next: { window: FreezeWindow; start: Date; end: Date } | undefined;
  for (const window of calendar.windows) {
    if (!applies(window.scope, query)) {
      continue;
    }
    const current = calendar.activeAt(window, now);
    if (current && (!active || current.end > active.end)) {
      active = { window, ...current };
    }
    const upcoming = calendar.nextAfter(window, now);
    if (upcoming && (!next || upcoming.start < next.start)) {
      next = { window, ...upcoming };
    }
  }
  const nowMs = now.getTime();
  const override =
    overrides.find(
      o =>
        applies(o.scope, query) &&
        !hasLabels(o.scope) &&
        Date.parse(o.createdAt) <= nowMs &&
        nowMs < Date.parse(o.expiresAt),
    ) ?? null;
  return {
    frozen: active !== undefined && override === null,
    window: active ? withInterval(active.window, active) : null,
    nextWindow: next ? withInterval(next.window, next) : null,
    override,
  };
}
