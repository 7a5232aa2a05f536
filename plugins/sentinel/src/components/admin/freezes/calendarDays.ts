/** A freeze interval as the calendar API returns it. */
export interface CalendarOccurrence {
  windowId: string;
  name: string;
  start: string;
  end: string;
}

/** One day of the calendar and the freeze intervals that cover any part of it. */
export interface CalendarDay<T extends CalendarOccurrence> {
  /** Local midnight that starts the day. */
  date: Date;
  occurrences: T[];
  /** Whether `now` falls within this day. */
  today: boolean;
}

/** Monday 00:00 local time of the week containing `at`. */
export function startOfWeek(at: Date): Date {
  const daysSinceMonday = (at.getDay() + 6) % 7;
  return new Date(
    at.getFullYear(),
    at.getMonth(),
    at.getDate() - daysSinceMonday,
  );
}

/**
 * `count` consecutive local days from `first`, each with the intervals that overlap it
 * ([start, end) against [midnight, next midnight), so daylight-saving days have their
 * real length).
 */
export function calendarDays<T extends CalendarOccurrence>(
  occurrences: T[],
  first: Date,
  count: number,
  now: Date,
): CalendarDay<T>[] {
  return Array.from({ length: count }, (_, i) => {
    const date = new Date(
      first.getFullYear(),
      first.getMonth(),
      first.getDate() + i,
    );
    const next = new Date(
      first.getFullYear(),
      first.getMonth(),
      first.getDate() + i + 1,
    );
    return {
      date,
      today: now >= date && now < next,
      occurrences: occurrences.filter(
        o => new Date(o.start) < next && new Date(o.end) > date,
      ),
    };
  });
}
