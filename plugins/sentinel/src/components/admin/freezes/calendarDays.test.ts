import { calendarDays, startOfWeek } from './calendarDays';

describe('the freeze calendar', () => {
  it('starts on the Monday of the current week', () => {
    const thursday = new Date(2026, 11, 3, 15, 30);
    expect(startOfWeek(thursday)).toEqual(new Date(2026, 10, 30));
    const sunday = new Date(2026, 11, 6, 23, 0);
    expect(startOfWeek(sunday)).toEqual(new Date(2026, 10, 30));
  });

  it('puts an interval on every day it covers, and no other', () => {
    const weekend = {
      windowId: 'w',
      name: 'Weekend',
      // Friday 16:00 to Monday 08:00, local time.
      start: new Date(2026, 11, 4, 16).toISOString(),
      end: new Date(2026, 11, 7, 8).toISOString(),
    };
    const days = calendarDays(
      [weekend],
      new Date(2026, 10, 30),
      14,
      new Date(2026, 11, 3, 12),
    );
    expect(days).toHaveLength(14);
    expect(
      days.filter(d => d.occurrences.length > 0).map(d => d.date.getDate()),
    ).toEqual([4, 5, 6, 7]);
    expect(days.filter(d => d.today).map(d => d.date.getDate())).toEqual([3]);
  });

  it('leaves out an interval that ends exactly at midnight from the next day', () => {
    const evening = {
      windowId: 'e',
      name: 'Evening',
      start: new Date(2026, 11, 1, 18).toISOString(),
      end: new Date(2026, 11, 2, 0).toISOString(),
    };
    const days = calendarDays([evening], new Date(2026, 10, 30), 7, new Date());
    expect(
      days.filter(d => d.occurrences.length > 0).map(d => d.date.getDate()),
    ).toEqual([1]);
  });
});
