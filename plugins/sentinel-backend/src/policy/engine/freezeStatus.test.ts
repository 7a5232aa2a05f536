import type {
  FreezeOverride,
  FreezeWindow,
} from '@internal/backstage-plugin-sentinel-common';
import { compileFreezeCalendar } from './freezeCalendar';
import { freezeStatus, type FreezeStatusQuery } from './freezeStatus';

/** Wednesday noon. */
const NOW = '2026-01-14T12:00:00.000Z';

function window(spec: Partial<FreezeWindow>): FreezeWindow {
  return {
    id: 'quarter-close',
    name: 'Quarter close',
    reason: 'Finance closes the books',
    scope: {},
    allowRollback: true,
    start: '2026-01-14T00:00:00Z',
    end: '2026-01-15T00:00:00Z',
    createdBy: 'admin',
    createdAt: '2026-01-01T00:00:00Z',
    ...spec,
  };
}

const WEEKEND = window({
  id: 'weekend',
  name: 'Weekend',
  start: undefined,
  end: undefined,
  recurrence: {
    cron: '0 16 * * 5',
    durationMinutes: 3840,
    timezone: 'Europe/Berlin',
  },
});

function override(spec: Partial<FreezeOverride> = {}): FreezeOverride {
  return {
    id: 'glass-1',
    scope: {},
    reason: 'payment outage fix',
    createdBy: 'alice',
    createdAt: '2026-01-14T11:00:00.000Z',
    expiresAt: '2026-01-14T13:00:00.000Z',
    ...spec,
  };
}

interface Expected {
  frozen: boolean;
  /** id, activeFrom, activeUntil of `window`. */
  window: [string, string, string] | null;
  nextWindow: [string, string, string] | null;
  override: string | null;
}

const PROD_SHOP: FreezeStatusQuery = {
  cluster: 'prod',
  namespace: 'shop',
  entityRef: 'component:default/cart',
};
const QUARTER: [string, string, string] = [
  'quarter-close',
  '2026-01-14T00:00:00.000Z',
  '2026-01-15T00:00:00.000Z',
];

describe('freezeStatus', () => {
  it.each<
    [
      string,
      FreezeWindow[],
      FreezeOverride[],
      FreezeStatusQuery,
      string,
      Expected,
    ]
  >([
    [
      'nothing configured: not frozen, nothing next',
      [],
      [],
      PROD_SHOP,
      NOW,
      { frozen: false, window: null, nextWindow: null, override: null },
    ],
    [
      'an active window with an empty scope freezes everything',
      [window({})],
      [],
      { entityRef: 'component:default/cart' },
      NOW,
      { frozen: true, window: QUARTER, nextWindow: null, override: null },
    ],
    [
      'a window of namespace shop freezes a query for prod/shop',
      [window({ scope: { namespace: 'shop' } })],
      [],
      PROD_SHOP,
      NOW,
      { frozen: true, window: QUARTER, nextWindow: null, override: null },
    ],
    [
      'a window of namespace shop does not freeze namespace ops',
      [window({ scope: { namespace: 'shop' } })],
      [],
      { cluster: 'prod', namespace: 'ops' },
      NOW,
      { frozen: false, window: null, nextWindow: null, override: null },
    ],
    [
      'a window of cluster prod does not apply to a query that names no cluster',
      [window({ scope: { cluster: 'prod' } })],
      [],
      { entityRef: 'component:default/cart' },
      NOW,
      { frozen: false, window: null, nextWindow: null, override: null },
    ],
    [
      'a window scoped by labels only applies (labels are ignored here)',
      [window({ scope: { labels: { tier: 'critical' } } })],
      [],
      PROD_SHOP,
      NOW,
      { frozen: true, window: QUARTER, nextWindow: null, override: null },
    ],
    [
      'an active override lifts the freeze; the window is still reported',
      [window({})],
      [override({ scope: { namespace: 'shop' } })],
      PROD_SHOP,
      NOW,
      { frozen: false, window: QUARTER, nextWindow: null, override: 'glass-1' },
    ],
    [
      'an override expiring exactly now no longer lifts it',
      [window({})],
      [override({ expiresAt: NOW })],
      PROD_SHOP,
      NOW,
      { frozen: true, window: QUARTER, nextWindow: null, override: null },
    ],
    [
      'an override for another namespace does not lift it',
      [window({})],
      [override({ scope: { namespace: 'ops' } })],
      PROD_SHOP,
      NOW,
      { frozen: true, window: QUARTER, nextWindow: null, override: null },
    ],
    [
      'an override that needs labels does not lift it (they cannot be checked)',
      [window({})],
      [override({ scope: { labels: { tier: 'critical' } } })],
      PROD_SHOP,
      NOW,
      { frozen: true, window: QUARTER, nextWindow: null, override: null },
    ],
    [
      'of two active windows the one lasting longest is reported',
      [
        window({}),
        window({
          id: 'migration',
          start: '2026-01-13T00:00:00Z',
          end: '2026-01-16T00:00:00Z',
        }),
      ],
      [],
      PROD_SHOP,
      NOW,
      {
        frozen: true,
        window: [
          'migration',
          '2026-01-13T00:00:00.000Z',
          '2026-01-16T00:00:00.000Z',
        ],
        nextWindow: null,
        override: null,
      },
    ],
    [
      'on a Wednesday the weekend window is next: Friday 16:00 to Monday 08:00 Berlin',
      [WEEKEND],
      [],
      PROD_SHOP,
      NOW,
      {
        frozen: false,
        window: null,
        nextWindow: [
          'weekend',
          '2026-01-16T15:00:00.000Z',
          '2026-01-19T07:00:00.000Z',
        ],
        override: null,
      },
    ],
    [
      'on a Saturday the weekend is active and next weekend is next',
      [WEEKEND],
      [],
      PROD_SHOP,
      '2026-01-17T10:00:00.000Z',
      {
        frozen: true,
        window: [
          'weekend',
          '2026-01-16T15:00:00.000Z',
          '2026-01-19T07:00:00.000Z',
        ],
        nextWindow: [
          'weekend',
          '2026-01-23T15:00:00.000Z',
          '2026-01-26T07:00:00.000Z',
        ],
        override: null,
      },
    ],
    [
      'the next window is the one starting soonest',
      [
        WEEKEND,
        window({
          id: 'thursday-release',
          start: '2026-01-15T10:00:00Z',
          end: '2026-01-15T12:00:00Z',
        }),
      ],
      [],
      PROD_SHOP,
      NOW,
      {
        frozen: false,
        window: null,
        nextWindow: [
          'thursday-release',
          '2026-01-15T10:00:00.000Z',
          '2026-01-15T12:00:00.000Z',
        ],
        override: null,
      },
    ],
  ])('%s', (_name, windows, overrides, query, now, expected) => {
    const status = freezeStatus(
      compileFreezeCalendar(windows),
      overrides,
      query,
      new Date(now),
    );
    const brief = (w: typeof status.window) =>
      w && [w.id, w.activeFrom, w.activeUntil];
    expect({
      frozen: status.frozen,
      window: brief(status.window),
      nextWindow: brief(status.nextWindow),
      override: status.override?.id ?? null,
    }).toEqual(expected);
  });

  it('returns the whole window with its interval, ready for the API', () => {
    const status = freezeStatus(
      compileFreezeCalendar([WEEKEND]),
      [],
      PROD_SHOP,
      new Date('2026-01-17T10:00:00Z'),
    );
    expect(status.window).toEqual({
      ...WEEKEND,
      activeFrom: '2026-01-16T15:00:00.000Z',
      activeUntil: '2026-01-19T07:00:00.000Z',
    });
  });
});
