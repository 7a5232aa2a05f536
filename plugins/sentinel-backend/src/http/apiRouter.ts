import {
  invalidRequest,
  issuesOf,
} from '@internal/backstage-plugin-sentinel-common';
import type express from 'express';
import type { z } from 'zod';
import {
  expressPath,
  type AnyOperation,
  type SuccessBody,
  type SuccessStatus,
} from './openapi/operation';

/** A 400 that names every offending field by its path: `Invalid query: limit: must be ...`. */
export const invalid = invalidRequest;

function parse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw invalid(what, issuesOf(result.error));
  }
  return result.data;
}

/** The query's declared parameters; one given twice (`a=1&a=2`) or as an object is a 400. */
function queryOf(schema: z.ZodObject, query: express.Request['query']) {
  const values: Record<string, string> = {};
  const repeated: string[] = [];
  for (const name of Object.keys(schema.shape)) {
    const value = query[name];
    if (typeof value === 'string') values[name] = value;
    else if (value !== undefined) repeated.push(name);
  }
  if (repeated.length) {
    throw invalid(
      'Invalid query',
      repeated.map(path => ({ path, message: 'must be given once' })),
    );
  }
  return values;
}

/**
 * A request's input, checked against its operation's schemas. Path parameters are checked
 * before the handler runs; the query, the headers and the body when the handler asks for
 * them, after it has checked who is calling, so a caller without credentials or permission
 * learns nothing about the input and a refused body is part of the audited attempt.
 */
export interface RouteInput<O extends AnyOperation> {
  params: z.output<NonNullable<O['params']>>;
  query(): z.output<NonNullable<O['query']>>;
  headers(): z.output<NonNullable<O['headers']>>;
  body(): z.output<NonNullable<O['body']>['schema']>;
}

export interface RouteContext<O extends AnyOperation> {
  req: express.Request;
  input: RouteInput<O>;
  /**
   * Answers with a status the operation declares and its body (none for a 204). Refuses to
   * answer before every declared input was read, so no handler skips validation.
   */
  reply<S extends SuccessStatus<O>>(
    status: S,
    ...body: SuccessBody<O, S> extends undefined ? [] : [SuccessBody<O, S>]
  ): void;
}

/** Registers the handlers of declared operations on an express router, and only those. */
export class ApiRouter {
  readonly #router: express.Router;
  readonly #routed = new Map<string, AnyOperation>();

  constructor(router: express.Router) {
    this.#router = router;
  }

  /** The operation's handler, at its method and path. */
  route<O extends AnyOperation>(
    operation: O,
    handler: (context: RouteContext<O>) => Promise<void>,
  ): void {
    if (this.#routed.has(operation.operationId)) {
      throw new Error(`${operation.operationId} has a route already`);
    }
    this.#routed.set(operation.operationId, operation);
    this.#router[operation.method as 'get'](
      expressPath(operation.path),
      async (req: express.Request, res: express.Response) => {
        const read = new Set<string>();
        const once = <T>(part: string, value: () => T) => {
          let cached: { value: T } | undefined;
          return () => {
            read.add(part);
            cached ??= { value: value() };
            return cached.value;
          };
        };
        const input = {
          params: operation.params
            ? parse(operation.params, req.params, 'Invalid path')
            : {},
          query: once('query', () =>
            parse(
              operation.query,
              queryOf(operation.query, req.query),
              'Invalid query',
            ),
          ),
          headers: once('headers', () =>
            parse(
              operation.headers,
              Object.fromEntries(
                Object.keys(operation.headers.shape).map(name => [
                  name,
                  req.get(name),
                ]),
              ),
              'Invalid request',
            ),
          ),
          body: once('body', () =>
            parse(
              operation.body!.schema,
              req.body ?? {},
              operation.body!.invalid ?? 'Invalid request',
            ),
          ),
        } as RouteInput<O>;
        const reply = (status: number, body?: unknown) => {
          if (!(status in operation.responses) || status >= 400) {
            throw new Error(
              `${operation.operationId} declares no success ${status}`,
            );
          }
          const unread = ['query', 'headers', 'body'].filter(
            part => operation[part as 'query'] && !read.has(part),
          );
          if (unread.length) {
            throw new Error(
              `${
                operation.operationId
              } answered without checking its ${unread.join(', ')}`,
            );
          }
          if (body === undefined) res.status(status).end();
          else res.status(status).json(body);
        };
        await handler({ req, input, reply } as RouteContext<O>);
      },
    );
  }

  /**
   * Throws unless each of the operations has a route and every route one of the operations:
   * the router and the OpenAPI document cannot disagree on what exists.
   */
  assertRoutes(operations: readonly AnyOperation[]): void {
    const declared = new Set(operations.map(o => o.operationId));
    const missing = [...declared].filter(id => !this.#routed.has(id));
    const extra = [...this.#routed.keys()].filter(id => !declared.has(id));
    if (missing.length || extra.length) {
      throw new Error(
        `Sentinel's routes and operations differ: without a route [${missing.join(
          ', ',
        )}], not in the document [${extra.join(', ')}]`,
      );
    }
  }
}
