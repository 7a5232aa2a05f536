import {
  freezeManagePermission,
  policyReadPermission,
} from '@internal/backstage-plugin-sentinel-common';
import type { PolicyService } from '../../policy/PolicyService';
import { actorOf } from '../../audit/auditRecord';
import { invalid, type ApiRouter } from '../apiRouter';
import type { RouteSupport } from '../routeSupport';
import {
  breakGlass,
  createFreezeWindow,
  deleteFreezeWindow,
  getFreezeCalendar,
  getFreezeStatus,
  listFreezeOverrides,
  listFreezeWindows,
} from './freezes.api';

const DAY_MS = 86_400_000;
const MAX_CALENDAR_DAYS = 62;

/** The calendar's period: from now (or `from`) for 28 days (or until `to`), at most 62 days. */
function calendarPeriod(
  fromText: string | undefined,
  toText: string | undefined,
  now: Date,
): { from: Date; to: Date } {
  const from = fromText ? new Date(fromText) : now;
  const to = toText ? new Date(toText) : new Date(from.getTime() + 28 * DAY_MS);
  if (
    to <= from ||
    to.getTime() - from.getTime() > MAX_CALENDAR_DAYS * DAY_MS
  ) {
    throw invalid('Invalid query', [
      {
        path: 'to',
        message: `must be after from, at most ${MAX_CALENDAR_DAYS} days later`,
      },
    ]);
  }
  return { from, to };
}

/** Freeze windows, freeze status and calendar, break-glass overrides (freezes.api.ts). */
export function addFreezeRoutes(
  api: ApiRouter,
  policies: PolicyService,
  { authorize, audited }: RouteSupport,
) {
  api.route(listFreezeWindows, async ({ req, reply }) => {
    await authorize(req, policyReadPermission);
    reply(200, { items: await policies.listFreezeWindows() });
  });

  api.route(createFreezeWindow, async ({ req, input, reply }) => {
    await audited(req, 'freeze-window-create', {}, async () => {
      const credentials = await authorize(req, freezeManagePermission);
      const window = await policies.addFreezeWindow(
        input.body(),
        actorOf(credentials),
        new Date(),
      );
      reply(201, window);
    });
  });

  api.route(deleteFreezeWindow, async ({ req, input, reply }) => {
    const { id } = input.params;
    await audited(req, 'freeze-window-delete', { windowId: id }, async () => {
      const credentials = await authorize(req, freezeManagePermission);
      await policies.deleteFreezeWindow(id, actorOf(credentials), new Date());
      reply(204);
    });
  });

  api.route(getFreezeStatus, async ({ req, input, reply }) => {
    await authorize(req, policyReadPermission);
    reply(200, await policies.freezeStatus(input.query(), new Date()));
  });

  // The freeze calendar: every interval in a period of at most 62 days (four weeks by default).
  api.route(getFreezeCalendar, async ({ req, input, reply }) => {
    await authorize(req, policyReadPermission);
    const query = input.query();
    const { from, to } = calendarPeriod(query.from, query.to, new Date());
    reply(200, {
      from: from.toISOString(),
      to: to.toISOString(),
      items: (await policies.freezeCalendar(from, to)).map(o => ({
        ...o,
        start: o.start.toISOString(),
        end: o.end.toISOString(),
      })),
    });
  });

  api.route(listFreezeOverrides, async ({ req, reply }) => {
    await authorize(req, policyReadPermission);
    reply(200, { items: await policies.activeOverrides(new Date()) });
  });

  // Break glass: an admin lifts freezes in a scope for a while, with a reason on record.
  api.route(breakGlass, async ({ req, input, reply }) => {
    await audited(req, 'freeze-override-create', {}, async () => {
      const credentials = await authorize(req, freezeManagePermission);
      const override = await policies.breakGlass(
        input.body(),
        actorOf(credentials),
        new Date(),
      );
      reply(201, override);
    });
  });
}
