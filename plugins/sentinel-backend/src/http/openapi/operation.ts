import { z } from 'zod';

/**
 * One operation of Sentinel's HTTP API, declared once: the route registers its handler from it
 * and validates the request with its schemas (ApiRouter), and the OpenAPI document is generated
 * from it (openapiDocument.ts). A route without an operation, or an operation without a route,
 * cannot be started.
 */

export type HttpMethod = 'get' | 'post' | 'put' | 'delete';

/** Path, query or header parameters: an object of one schema per parameter. */
export type ParameterSchemas = z.ZodObject;

/** A successful answer: what it means and its JSON body (none for a 204). */
export interface SuccessResponse {
  description: string;
  body?: z.ZodType;
}

/** Status code -> a successful answer, or for 4xx/5xx what it means (the body is `Error`). */
export type Responses = Record<number, SuccessResponse | string>;

export interface Operation<
  P extends ParameterSchemas = ParameterSchemas,
  Q extends ParameterSchemas = ParameterSchemas,
  H extends ParameterSchemas = ParameterSchemas,
  B extends z.ZodType = z.ZodType,
  R extends Responses = Responses,
> {
  operationId: string;
  method: HttpMethod;
  /** The OpenAPI path template under /api/sentinel, e.g. `/v1/action-plans/{id}`. */
  path: string;
  /** A line for lists of operations. */
  summary: string;
  description?: string;
  /** The resource it belongs to, e.g. `Plans`. */
  tag: string;
  /** Answers without credentials (the health check); every other operation needs a token. */
  public?: true;
  params?: P;
  /** Each parameter at most once (given twice: a 400); unknown parameters are ignored. */
  query?: Q;
  headers?: H;
  body?: {
    schema: B;
    /** Whether a request must carry a body (an empty one is `{}`). */
    required: boolean;
    /** How a 400 for this body begins (default `Invalid request`), e.g. `Invalid plan`. */
    invalid?: string;
  };
  responses: R;
}

/** What every operation may answer besides what it declares. */
const ALWAYS: Responses = {
  500: 'Sentinel could not handle the request; the message names an error id that the log carries too',
};
const WITH_BODY: Responses = { 413: 'The body is larger than 256 kB' };

/**
 * Declares an operation, checking what the types cannot: the path's parameters are the
 * declared ones, successes have a 2xx (or 3xx) status and errors a 4xx or 5xx.
 */
export function defineOperation<
  P extends ParameterSchemas = z.ZodObject<{}>,
  Q extends ParameterSchemas = z.ZodObject<{}>,
  H extends ParameterSchemas = z.ZodObject<{}>,
  B extends z.ZodType = z.ZodUndefined,
  R extends Responses = Responses,
>(operation: Operation<P, Q, H, B, R>): Operation<P, Q, H, B, R> {
  const inPath = [...operation.path.matchAll(/\{([^}]+)\}/g)].map(m => m[1]);
  const declared = Object.keys(operation.params?.shape ?? {});
  if (inPath.join() !== declared.join()) {
    throw new Error(
      `${operation.operationId}: the path ${
        operation.path
      } has the parameters [${inPath.join(
        ', ',
      )}], the operation declares [${declared.join(', ')}]`,
    );
  }
  for (const [status, response] of Object.entries(operation.responses)) {
    if ((typeof response === 'string') !== Number(status) >= 400) {
      throw new Error(
        `${operation.operationId}: ${status} must be ${
          Number(status) >= 400
            ? 'an error description'
            : 'a { description, body }'
        }`,
      );
    }
  }
  return {
    ...operation,
    responses: {
      ...operation.responses,
      ...(operation.body && WITH_BODY),
      ...ALWAYS,
    },
  };
}

/** Any declared operation, whatever its schemas. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOperation = Operation<any, any, any, any, any>;

/** The statuses an operation answers successfully. */
export type SuccessStatus<O extends AnyOperation> = {
  [S in keyof O['responses']]: O['responses'][S] extends SuccessResponse
    ? S
    : never;
}[keyof O['responses']];

/** The body of a successful answer as the handler writes it (none for a 204). */
export type SuccessBody<
  O extends AnyOperation,
  S extends SuccessStatus<O>,
> = O['responses'][S] extends { body: infer T extends z.ZodType }
  ? z.input<T>
  : undefined;

/** An OpenAPI path template as an express route path: `/a/{id}` -> `/a/:id`. */
export function expressPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}
