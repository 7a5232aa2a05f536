import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { ApiFreezeWindowInput } from '@internal/backstage-plugin-sentinel-common';
import {
  calling,
  sentinelAs,
  type SentinelCallerDeps,
} from '../sentinelCaller';
import { freezeCreateExamples } from './freezeCreate.examples';

/**
 * `sentinel:freeze:create`: a change-freeze window, one-off or recurring, created as the
 * user who runs the template (admins may; everyone else gets Sentinel's refusal).
 *
 * @public
 */
export function createFreezeCreateAction(deps: SentinelCallerDeps) {
  return createTemplateAction({
    id: 'sentinel:freeze:create',
    description:
      'Creates a change-freeze window in Sentinel: once (start and end) or recurring (cron, duration, time zone), for a scope',
    examples: freezeCreateExamples,
    schema: {
      input: {
        name: z =>
          z
            .string({ description: 'What the freeze is called' })
            .min(1)
            .max(200),
        reason: z =>
          z.string({ description: 'Why changes are frozen' }).min(1).max(1000),
        scope: z =>
          z
            .object(
              {
                cluster: z.string().optional(),
                namespace: z.string().optional(),
                entityRef: z
                  .string({
                    description:
                      'A catalog entity, e.g. component:default/cart',
                  })
                  .optional(),
              },
              {
                description: 'Where changes are frozen; empty means everywhere',
              },
            )
            .default({}),
        start: z =>
          z
            .string({
              description: 'ISO 8601 instant with an offset (one-off)',
            })
            .optional(),
        end: z =>
          z
            .string({
              description: 'ISO 8601 instant with an offset (one-off)',
            })
            .optional(),
        durationMinutes: z =>
          z
            .number({
              description:
                'One-off: how long from start (or from now without start), instead of end',
            })
            .int()
            .min(1)
            .max(43200)
            .optional(),
        recurrence: z =>
          z
            .object({
              cron: z.string({ description: 'Five fields, e.g. 0 16 * * 5' }),
              durationMinutes: z.number().int().min(1).max(10080),
              timezone: z.string({
                description: 'IANA time zone, e.g. Europe/Berlin',
              }),
            })
            .optional(),
        allowRollback: z =>
          z
            .boolean({
              description: 'Rollbacks stay allowed during the freeze',
            })
            .default(true),
      },
      output: {
        windowId: z => z.string(),
        link: z => z.string({ description: "The admin page's freezes" }),
      },
    },
    async handler(ctx) {
      const {
        name,
        reason,
        scope,
        recurrence,
        allowRollback,
        durationMinutes,
      } = ctx.input;
      // "For the next N minutes": from start (or now) for the duration.
      const start =
        ctx.input.start ||
        (durationMinutes && !recurrence ? new Date().toISOString() : undefined);
      const end =
        ctx.input.end ||
        (durationMinutes && !recurrence && start
          ? new Date(Date.parse(start) + durationMinutes * 60_000).toISOString()
          : undefined);
      // Empty strings from a form's optional fields mean "not set".
      const cleanScope = Object.fromEntries(
        Object.entries(scope ?? {}).filter(
          ([, v]) => typeof v === 'string' && v.trim(),
        ),
      );
      const window = {
        name,
        reason,
        scope: cleanScope,
        allowRollback: allowRollback ?? true,
        ...(start ? { start } : {}),
        ...(end ? { end } : {}),
        ...(recurrence ? { recurrence } : {}),
      } as ApiFreezeWindowInput;
      const sentinel = await sentinelAs(
        deps,
        await ctx.getInitiatorCredentials(),
      );
      const created = await calling(`creating freeze window "${name}"`, () =>
        sentinel.createFreezeWindow(window),
      );
      ctx.logger.info(`Created freeze window ${created.id} ("${name}")`);
      ctx.output('windowId', created.id);
      ctx.output('link', '/sentinel/freezes');
    },
  });
}
