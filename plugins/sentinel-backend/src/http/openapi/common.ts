import { z } from 'zod';

/** Shapes and parameters that many operations share. */

/** Backstage's error body, as every 4xx and 5xx carries it (never a stack or a cause). */
export const errorSchema = z.strictObject({
  error: z.strictObject({
    name: z.string().meta({
      description: 'The error class, e.g. InputError, NotAllowedError',
    }),
    message: z.string(),
  }),
  request: z
    .strictObject({ method: z.string(), url: z.string() })
    .partial()
    .meta({ description: 'The request answered' }),
  response: z.strictObject({ statusCode: z.number().int() }).partial(),
});

/** An instant the server writes (ISO 8601, UTC). */
export const instant = z.iso.datetime({ offset: true });

/** A page of items and the cursor of the next one (null on the last page). */
export function page<T extends z.ZodType>(item: T) {
  return z.strictObject({
    items: z.array(item),
    nextCursor: z.string().nullable().meta({
      description: 'Pass as `cursor` for the next page; null on the last page',
    }),
  });
}

/** A whole list in one answer. */
export function list<T extends z.ZodType>(item: T) {
  return z.strictObject({ items: z.array(item) });
}

/** A path parameter that names a stored thing. */
export function idParam(description: string) {
  return z.string().meta({ description });
}

/** The page size: an integer from 1 to `max`, `fallback` when not given. */
export function limitParam(max: number, fallback: number) {
  const error = `must be an integer from 1 to ${max}`;
  return z.coerce
    .number({ error })
    .int({ error })
    .min(1, { error })
    .max(max, { error })
    .default(fallback)
    .meta({ description: `How many items a page holds (1 to ${max})` });
}

/** The `cursor` a previous page returned as `nextCursor`. */
export const cursorParam = z
  .string()
  .optional()
  .meta({ description: 'The nextCursor of the previous page' });

/** A comma-separated list of known values, e.g. `status=pending_approval,approved`. */
export function commaListParam<T extends string>(
  noun: string,
  known: readonly T[],
  description: string,
) {
  return z
    .string()
    .transform((text, ctx) => {
      const items = text.split(',').filter(Boolean);
      const unknown = items.filter(
        i => !(known as readonly string[]).includes(i),
      );
      if (unknown.length) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown ${noun} ${unknown.join(', ')}; known: ${known.join(
            ', ',
          )}`,
        });
        return z.NEVER;
      }
      return items as T[];
    })
    .optional()
    .meta({ description: `${description}: ${known.join(', ')}` });
}

/** Narrows a list to one catalog entity, cluster or namespace. */
export const scopeQuery = {
  entityRef: z
    .string()
    .optional()
    .meta({ description: 'A catalog entity ref, e.g. component:default/cart' }),
  cluster: z.string().optional(),
  namespace: z.string().optional(),
};
