import type { LoggerService } from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';
import type express from 'express';
import { randomUUID } from 'node:crypto';

/** Errors whose message Sentinel wrote for the caller (Backstage's, mapped to a 4xx or 503). */
const CALLER_ERRORS = new Set([
  'InputError',
  'AuthenticationError',
  'NotAllowedError',
  'NotFoundError',
  'ConflictError',
  'NotModifiedError',
  'NotImplementedError',
  'ServiceUnavailableError',
  'PayloadTooLargeError',
]);

/**
 * Before Backstage's error middleware writes the body: an error meant for the caller keeps its
 * class and message but loses its cause (a database error, an API server's body); anything
 * else becomes a 500 that says only its error id, logged with the whole error under the same
 * id. So no body carries an internal cause, an upstream body or a stack.
 */
export function safeErrors(logger: LoggerService): express.ErrorRequestHandler {
  return (error, req, _res, next) => {
    const id = randomUUID();
    if (isError(error) && CALLER_ERRORS.has(error.name)) {
      if (
        error.cause !== undefined ||
        error.name === 'ServiceUnavailableError'
      ) {
        logger.warn(
          `Sentinel answered ${req.method} ${req.path} with ${error.name} (error id ${id})`,
          error,
        );
      }
      // The same error (its class decides the status), without what caused it: Backstage's
      // errors also append their cause to the message ("; caused by ...").
      delete (error as { cause?: unknown }).cause;
      error.message = error.message.replace(/; caused by [\s\S]*$/, '');
      next(error);
      return;
    }
    // express.json's own errors carry a status and say nothing internal.
    const status = (error as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      next(error);
      return;
    }
    logger.error(
      `Sentinel failed ${req.method} ${req.path} (error id ${id})`,
      isError(error) ? error : new Error(String(error)),
    );
    next(new Error(`Sentinel could not handle the request; error id ${id}`));
  };
}
