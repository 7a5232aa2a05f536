import {
  activeFreezeWindowSchema,
  freezeOverrideSchema,
  freezeWindowInputSchema,
  freezeWindowSchema,
  policyScopeSchema,
} from '@internal/backstage-plugin-sentinel-common';
import { z } from 'zod';
import { MAX_OVERRIDE_MINUTES } from '../../policy/PolicyService';
import { idParam, instant, list, scopeQuery } from '../openapi/common';
import { defineOperation } from '../openapi/operation';

/** Change-freeze windows, whether changes are frozen now, the calendar, break glass. */

const tag = 'Freezes';

export const listFreezeWindows = defineOperation({
  operationId: 'listFreezeWindows',
  method: 'get',
  path: '/v1/freeze-windows',
  tag,
  summary: 'List freeze windows',
  responses: {
    200: { description: 'Every freeze window', body: list(freezeWindowSchema) },
    401: 'No valid credentials',
    403: 'Not allowed to read policies',
  },
});

export const createFreezeWindow = defineOperation({
  operationId: 'createFreezeWindow',
  method: 'post',
  path: '/v1/freeze-windows',
  tag,
  summary: 'Schedule a freeze window',
  description:
    'A one-off window (start and end) or a recurring one (a cron in a time zone and a duration). Changes in its scope are refused while it is on; rollbacks stay allowed unless allowRollback is false.',
  body: {
    schema: freezeWindowInputSchema,
    required: true,
    invalid: 'Invalid freeze window',
  },
  responses: {
    201: { description: 'The stored window', body: freezeWindowSchema },
    400: 'Invalid window (bad cron, unknown time zone, end before start)',
    401: 'No valid credentials',
    403: 'Not allowed to manage freezes (admin)',
  },
});

export const deleteFreezeWindow = defineOperation({
  operationId: 'deleteFreezeWindow',
  method: 'delete',
  path: '/v1/freeze-windows/{id}',
  tag,
  summary: 'Delete a freeze window',
  params: z.object({ id: idParam('The window id') }),
  responses: {
    204: { description: 'Deleted' },
    401: 'No valid credentials',
    403: 'Not allowed to manage freezes (admin)',
    404: 'No such window',
  },
});

export const freezeStatusSchema = z.strictObject({
  frozen: z.boolean(),
  window: activeFreezeWindowSchema
    .nullable()
    .meta({ description: 'The window in force now, if any' }),
  nextWindow: activeFreezeWindowSchema
    .nullable()
    .meta({ description: 'The next window to begin, if any' }),
  override: freezeOverrideSchema.nullable().meta({
    description: 'The break-glass override lifting the freeze, if any',
  }),
});

export const getFreezeStatus = defineOperation({
  operationId: 'getFreezeStatus',
  method: 'get',
  path: '/v1/freeze-status',
  tag,
  summary: 'Whether changes are frozen now',
  query: z.object(scopeQuery),
  responses: {
    200: {
      description:
        'Whether changes are frozen now, by which window, and the next window',
      body: freezeStatusSchema,
    },
    401: 'No valid credentials',
    403: 'Not allowed to read policies',
  },
});

const calendarInstant = (description: string) =>
  z.iso
    .datetime({
      offset: true,
      error: 'must be an ISO 8601 instant with an offset',
    })
    .optional()
    .meta({ description });

export const freezeCalendarSchema = z.strictObject({
  from: instant,
  to: instant,
  items: z.array(
    z.strictObject({
      windowId: z.string(),
      name: z.string(),
      reason: z.string(),
      scope: policyScopeSchema,
      allowRollback: z.boolean(),
      recurring: z.boolean(),
      start: instant,
      end: instant,
    }),
  ),
});

export const getFreezeCalendar = defineOperation({
  operationId: 'getFreezeCalendar',
  method: 'get',
  path: '/v1/freeze-calendar',
  tag,
  summary: 'The freeze calendar of a period',
  description:
    'Every interval of every freeze window in a period (recurrences resolved in their time zone): from now for 28 days unless from/to say otherwise, at most 62 days.',
  query: z.object({
    from: calendarInstant('The start of the period (default now)'),
    to: calendarInstant('The end of the period (default 28 days after from)'),
  }),
  responses: {
    200: {
      description: 'The intervals, ordered by start',
      body: freezeCalendarSchema,
    },
    400: 'Invalid from or to',
    401: 'No valid credentials',
    403: 'Not allowed to read policies',
  },
});

export const listFreezeOverrides = defineOperation({
  operationId: 'listFreezeOverrides',
  method: 'get',
  path: '/v1/freeze-overrides',
  tag,
  summary: 'List break-glass overrides in force',
  responses: {
    200: {
      description: 'Break-glass overrides in force, newest first',
      body: list(freezeOverrideSchema),
    },
    401: 'No valid credentials',
    403: 'Not allowed to read policies',
  },
});

export const breakGlass = defineOperation({
  operationId: 'breakGlass',
  method: 'post',
  path: '/v1/freeze-overrides',
  tag,
  summary: 'Break glass: lift freezes for a while',
  description: `Lifts freeze windows in a scope for at most ${MAX_OVERRIDE_MINUTES} minutes, with a reason on record.`,
  body: {
    schema: z.strictObject({
      scope: policyScopeSchema.default({}),
      reason: z.string().min(1).max(1000),
      durationMinutes: z.number().int().min(1).max(MAX_OVERRIDE_MINUTES),
    }),
    required: true,
  },
  responses: {
    201: { description: 'The override', body: freezeOverrideSchema },
    400: 'Invalid override',
    401: 'No valid credentials',
    403: 'Not allowed to manage freezes (admin)',
  },
});

export const FREEZE_OPERATIONS = [
  listFreezeWindows,
  createFreezeWindow,
  deleteFreezeWindow,
  getFreezeStatus,
  getFreezeCalendar,
  listFreezeOverrides,
  breakGlass,
];
