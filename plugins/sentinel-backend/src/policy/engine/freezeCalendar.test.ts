import type { FreezeWindow } from '@internal/backstage-plugin-sentinel-common';
import {
  compileFreezeCalendar,
  InvalidFreezeWindowError,
} from './freezeCalendar';

function oneOff(start: string, end: string): FreezeWindow {
  return {
    id: 'one-off',
    name: 'Release freeze',
    reason: 'Quarter close',
    scope: {},
    allowRollback: true,
    start,
    end,
    createdBy: 'admin',
    createdAt: '2025-01-01T00:00:00Z',
  };
}

function recurring(
  cron: string,
  timezone: string,
  durationMinutes: number,
): FreezeWindow {
  return {
    id: 'recurring',
    name: 'Weekend freeze',
    reason: 'Nobody on call',
    scope: {},
    allowRollback: true,
    recurrence: { cron, timezone, durationMinutes },
    createdBy: 'admin',
    createdAt: '2025-01-01T00:00:00Z',
  };
}

const WEEKEND = recurring('0 16 * * 5', 'Europe/Berlin', 3840);
const BERLIN_0230 = recurring('30 2 * * *', 'Europe/Berlin', 60);
const NEW_YORK_0230 = recurring('30 2 * * *', 'America/New_York', 60);
const NEW_YORK_0130 = recurring('30 1 * * *', 'America/New_York', 60);
const BERLIN_NIGHT = recurring('0 22 * * *', 'Europe/Berlin', 600);
const NEW_YORK_NIGHT = recurring('0 22 * * *', 'America/New_York', 600);
const BERLIN_LIST = recurring('30 2,14 * * *', 'Europe/Berlin', 30);
const NEW_YORK_HALF_HOURLY = recurring('*/30 * * * *', 'America/New_York', 30);
const HOURLY_OVERLAPPING = recurring('0 * * * *', 'UTC', 150);
const JAN = oneOff('2026-01-10T00:00:00Z', '2026-01-12T00:00:00Z');

type Expected = [start: string, end: string] | undefined;

describe('compileFreezeCalendar activeAt', () => {
  it.each<[string, FreezeWindow, string, Expected]>([
    [
      'one-off: active from its start (inclusive)',
      JAN,
      '2026-01-10T00:00:00.000Z',
      ['2026-01-10T00:00:00.000Z', '2026-01-12T00:00:00.000Z'],
    ],
    [
      'one-off: active until the last millisecond before its end',
      JAN,
      '2026-01-11T23:59:59.999Z',
      ['2026-01-10T00:00:00.000Z', '2026-01-12T00:00:00.000Z'],
    ],
    [
      'one-off: over at its end (exclusive)',
      JAN,
      '2026-01-12T00:00:00.000Z',
      undefined,
    ],
    [
      'one-off: not yet active before its start',
      JAN,
      '2026-01-09T23:59:59.999Z',
      undefined,
    ],
    [
      'weekend (Fri 16:00 + 3840 min): Saturday noon is frozen from Friday 16:00 CET',
      WEEKEND,
      '2026-01-10T12:00:00Z',
      ['2026-01-09T15:00:00.000Z', '2026-01-12T07:00:00.000Z'],
    ],
    [
      'weekend: active exactly at the occurrence, Friday 16:00 CET',
      WEEKEND,
      '2026-01-09T15:00:00Z',
      ['2026-01-09T15:00:00.000Z', '2026-01-12T07:00:00.000Z'],
    ],
    [
      'weekend: not yet at Friday 15:59:59 CET',
      WEEKEND,
      '2026-01-09T14:59:59Z',
      undefined,
    ],
    [
      'weekend: still frozen Monday 07:59:59 CET',
      WEEKEND,
      '2026-01-12T06:59:59Z',
      ['2026-01-09T15:00:00.000Z', '2026-01-12T07:00:00.000Z'],
    ],
    [
      'weekend: over on Monday 08:00 CET',
      WEEKEND,
      '2026-01-12T07:00:00Z',
      undefined,
    ],
    [
      'weekend: nothing on a Wednesday',
      WEEKEND,
      '2026-01-14T12:00:00Z',
      undefined,
    ],
    [
      'weekend across spring forward: absolute 3840 min end Monday 09:00 CEST',
      WEEKEND,
      '2026-03-30T06:30:00Z',
      ['2026-03-27T15:00:00.000Z', '2026-03-30T07:00:00.000Z'],
    ],
    [
      'across midnight, New York 22:00 EST + 600 min: frozen at midnight',
      NEW_YORK_NIGHT,
      '2026-01-15T05:00:00Z',
      ['2026-01-15T03:00:00.000Z', '2026-01-15T13:00:00.000Z'],
    ],
    [
      'across midnight and spring forward, New York: ends 09:00 EDT (13:00Z)',
      NEW_YORK_NIGHT,
      '2026-03-08T12:59:59Z',
      ['2026-03-08T03:00:00.000Z', '2026-03-08T13:00:00.000Z'],
    ],
    [
      'across midnight and fall back, Berlin: 22:00 CEST + 600 min ends 07:00 CET',
      BERLIN_NIGHT,
      '2026-10-25T05:59:59Z',
      ['2026-10-24T20:00:00.000Z', '2026-10-25T06:00:00.000Z'],
    ],
    [
      'Berlin spring forward: 02:30 does not exist on 2026-03-29, opens at 03:00 CEST',
      BERLIN_0230,
      '2026-03-29T01:30:00Z',
      ['2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z'],
    ],
    [
      'Berlin spring forward: nothing just before the gap ends (01:59:59 CET)',
      BERLIN_0230,
      '2026-03-29T00:59:59Z',
      undefined,
    ],
    [
      'Berlin the day after spring forward: 02:30 CEST again',
      BERLIN_0230,
      '2026-03-30T00:45:00Z',
      ['2026-03-30T00:30:00.000Z', '2026-03-30T01:30:00.000Z'],
    ],
    [
      'Berlin fall back: 02:30 exists twice on 2026-10-25, opens once at the first (CEST)',
      BERLIN_0230,
      '2026-10-25T01:00:00Z',
      ['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z'],
    ],
    [
      'Berlin fall back: the second 02:30 (CET) opens nothing',
      BERLIN_0230,
      '2026-10-25T01:45:00Z',
      undefined,
    ],
    [
      'New York spring forward: 02:30 does not exist on 2026-03-08, opens at 03:00 EDT',
      NEW_YORK_0230,
      '2026-03-08T07:59:59Z',
      ['2026-03-08T07:00:00.000Z', '2026-03-08T08:00:00.000Z'],
    ],
    [
      'New York fall back: 01:30 exists twice on 2026-11-01, opens once at 01:30 EDT',
      NEW_YORK_0130,
      '2026-11-01T06:00:00Z',
      ['2026-11-01T05:30:00.000Z', '2026-11-01T06:30:00.000Z'],
    ],
    [
      'New York fall back: the second 01:30 (EST) opens nothing',
      NEW_YORK_0130,
      '2026-11-01T06:45:00Z',
      undefined,
    ],
    [
      'a listed hour in the Berlin gap (30 2,14) is moved to 03:00 CEST, not skipped',
      BERLIN_LIST,
      '2026-03-29T01:15:00Z',
      ['2026-03-29T01:00:00.000Z', '2026-03-29T01:30:00.000Z'],
    ],
    [
      'every 30 minutes in New York stays continuous through the spring-forward gap',
      NEW_YORK_HALF_HOURLY,
      '2026-03-08T07:10:00Z',
      ['2026-03-08T07:00:00.000Z', '2026-03-08T07:30:00.000Z'],
    ],
    [
      'overlapping occurrences (hourly, 150 min): the latest occurrence, lasting longest',
      HOURLY_OVERLAPPING,
      '2026-01-14T10:30:00Z',
      ['2026-01-14T10:00:00.000Z', '2026-01-14T12:30:00.000Z'],
    ],
  ])('%s', (_name, window, at, expected) => {
    const calendar = compileFreezeCalendar([window]);
    const interval = calendar.activeAt(window, new Date(at));
    expect(
      interval && [interval.start.toISOString(), interval.end.toISOString()],
    ).toEqual(expected);
  });
});

describe('compileFreezeCalendar nextAfter', () => {
  it.each<[string, FreezeWindow, string, Expected]>([
    [
      'one-off: its interval, before it starts',
      JAN,
      '2026-01-01T00:00:00Z',
      ['2026-01-10T00:00:00.000Z', '2026-01-12T00:00:00.000Z'],
    ],
    [
      'one-off: none once it has started',
      JAN,
      '2026-01-10T00:00:00Z',
      undefined,
    ],
    [
      'weekend: from a Saturday, the next Friday 16:00 CET',
      WEEKEND,
      '2026-01-10T12:00:00Z',
      ['2026-01-16T15:00:00.000Z', '2026-01-19T07:00:00.000Z'],
    ],
    [
      'weekend: from exactly an occurrence, the one after (strictly after)',
      WEEKEND,
      '2026-01-09T15:00:00Z',
      ['2026-01-16T15:00:00.000Z', '2026-01-19T07:00:00.000Z'],
    ],
    [
      'Berlin: the day before spring forward, next is 03:00 CEST on the gap day',
      BERLIN_0230,
      '2026-03-28T12:00:00Z',
      ['2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z'],
    ],
    [
      'Berlin fall back: from the first 02:30, the next is the following day (not the repeat)',
      BERLIN_0230,
      '2026-10-25T00:30:00Z',
      ['2026-10-26T01:30:00.000Z', '2026-10-26T02:30:00.000Z'],
    ],
    [
      'New York fall back: from the first 01:30, the next is 01:30 EST the following day',
      NEW_YORK_0130,
      '2026-11-01T05:30:00Z',
      ['2026-11-02T06:30:00.000Z', '2026-11-02T07:30:00.000Z'],
    ],
    [
      'New York spring forward: the day before, next is 03:00 EDT on the gap day',
      NEW_YORK_0230,
      '2026-03-07T12:00:00Z',
      ['2026-03-08T07:00:00.000Z', '2026-03-08T08:00:00.000Z'],
    ],
  ])('%s', (_name, window, at, expected) => {
    const calendar = compileFreezeCalendar([window]);
    const interval = calendar.nextAfter(window, new Date(at));
    expect(
      interval && [interval.start.toISOString(), interval.end.toISOString()],
    ).toEqual(expected);
  });
});

describe('compileFreezeCalendar validation', () => {
  it.each<[string, FreezeWindow, RegExp]>([
    [
      'an unknown time zone',
      recurring('0 16 * * 5', 'Mars/Olympus', 60),
      /"Weekend freeze" \(recurring\): time zone "Mars\/Olympus" is not an IANA time zone/,
    ],
    [
      'a 6-field cron (seconds)',
      recurring('0 0 16 * * 5', 'UTC', 60),
      /cron "0 0 16 \* \* 5" must have 5 fields .* it has 6/,
    ],
    [
      'a minute out of range',
      recurring('61 16 * * 5', 'UTC', 60),
      /cron "61 16 \* \* 5" is not valid/,
    ],
    [
      'a cron that never occurs',
      recurring('0 0 31 2 *', 'UTC', 60),
      /cron "0 0 31 2 \*" never occurs/,
    ],
    [
      'a zero duration',
      recurring('0 16 * * 5', 'UTC', 0),
      /durationMinutes 0 must be a whole number of minutes, at least 1/,
    ],
    [
      'a one-off window ending before it starts',
      oneOff('2026-01-12T00:00:00Z', '2026-01-10T00:00:00Z'),
      /"Release freeze" \(one-off\): end .* must be after start/,
    ],
    [
      'a one-off window with an unparseable start',
      oneOff('next Tuesday', '2026-01-10T00:00:00Z'),
      /start "next Tuesday" is not an ISO 8601 date-time/,
    ],
    [
      'both start/end and a recurrence',
      { ...JAN, recurrence: WEEKEND.recurrence },
      /give either start and end, or recurrence, not both/,
    ],
  ])(
    'refuses %s, naming the window and the problem',
    (_name, window, message) => {
      const ok = oneOff('2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z');
      let thrown: unknown;
      try {
        compileFreezeCalendar([ok, window]);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidFreezeWindowError);
      expect((thrown as Error).message).toMatch(message);
      expect((thrown as InvalidFreezeWindowError).windowId).toBe(window.id);
    },
  );
});

describe('compileFreezeCalendar cache', () => {
  // A long walk forwards and then backwards (through DST transitions) answers exactly as a
  // freshly compiled calendar does at each time: the sliding cache never changes an answer.
  it.each<[string, FreezeWindow, string, number]>([
    [
      'daily Berlin for 3 months, 7-hour steps',
      BERLIN_0230,
      '2026-02-01T00:00:00Z',
      7 * 3_600_000,
    ],
    [
      'weekend Berlin for 2 months, 5-hour steps',
      WEEKEND,
      '2026-03-01T00:00:00Z',
      5 * 3_600_000,
    ],
    [
      'every 30 minutes for 20 in New York for 35 hours, 7-minute steps',
      recurring('*/30 * * * *', 'America/New_York', 20),
      '2026-03-07T12:00:00Z',
      7 * 60_000,
    ],
    ['one-off, 5-hour steps', JAN, '2026-01-05T00:00:00Z', 5 * 3_600_000],
  ])('%s', (_name, window, from, step) => {
    const start = Date.parse(from);
    const times = Array.from({ length: 300 }, (_, i) => start + i * step);
    const walked = compileFreezeCalendar([window]);
    const walk = (at: number) => {
      const active = walked.activeAt(window, new Date(at));
      const next = walked.nextAfter(window, new Date(at));
      return [
        active?.start.getTime(),
        active?.end.getTime(),
        next?.start.getTime(),
      ];
    };
    const fresh = (at: number) => {
      const calendar = compileFreezeCalendar([window]);
      const active = calendar.activeAt(window, new Date(at));
      const next = compileFreezeCalendar([window]).nextAfter(
        window,
        new Date(at),
      );
      return [
        active?.start.getTime(),
        active?.end.getTime(),
        next?.start.getTime(),
      ];
    };
    const queries = [...times, ...[...times].reverse()];
    const walkedAnswers = queries.map(walk);
    expect(walkedAnswers).toEqual(queries.map(fresh));
    // The walk saw both frozen and unfrozen times.
    expect(walkedAnswers.some(([s]) => s !== undefined)).toBe(true);
    expect(walkedAnswers.some(([s]) => s === undefined)).toBe(true);
  });
});
