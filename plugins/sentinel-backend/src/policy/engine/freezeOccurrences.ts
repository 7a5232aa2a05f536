import type { FreezeWindow } from '@internal/backstage-plugin-sentinel-common';
import type { FreezeCalendar } from '../types';

/** One interval of a freeze window within a period: what a calendar shows. */
export interface FreezeOccurrence {
  windowId: string;
  name: string;
  reason: string;
  scope: FreezeWindow['scope'];
  allowRollback: boolean;
  recurring: boolean;
  start: Date;
  end: Date;
}

/** Enough for a window recurring every 5 minutes over four weeks and a bit. */
const MAX_PER_WINDOW = 10_000;

/**
 * Every interval of every window that overlaps [from, to), ordered by start: one-off windows
 * once, recurring ones at each occurrence (resolved in their time zone by the calendar).
 */
export function freezeOccurrences(
  calendar: FreezeCalendar,
  from: Date,
  to: Date,
): FreezeOccurrence[] {
  const occurrences: FreezeOccurrence[] = [];
  for (const window of calendar.windows) {
    const of = (interval: { start: Date; end: Date }): FreezeOccurrence => ({
      windowId: window.id,
      name: window.name,
      reason: window.reason,
      scope: window.scope ?? {},
      allowRollback: window.allowRollback !== false,
      recurring: window.recurrence !== undefined,
      ...interval,
    });
    const active = calendar.activeAt(window, from);
    if (active) occurrences.push(of(active));
    let next = calendar.nextAfter(window, from);
    for (let n = 0; next && next.start < to && n < MAX_PER_WINDOW; n++) {
      occurrences.push(of(next));
      next = calendar.nextAfter(window, next.start);
    }
  }
  return occurrences.sort((a, b) => a.start.getTime() - b.start.getTime());
}
