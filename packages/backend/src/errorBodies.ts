import type { RequestHandler } from 'express';

/** An error body (Backstage's shape) without stack traces, at any depth (causes included). */
export function withoutStacks(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(withoutStacks);
  if (body && typeof body === 'object') {
    return Object.fromEntries(
      Object.entries(body)
        .filter(([key]) => key !== 'stack')
        .map(([key, value]) => [key, withoutStacks(value)]),
    );
  }
  return body;
}

/**
 * Keeps stack traces out of every error response, in any NODE_ENV: Backstage's root error
 * handler shows them in development, also for the auth barrier's 401s.
 */
export function noStackTraces(): RequestHandler {
  return (_req, res, next) => {
    const json = res.json.bind(res);
    res.json = body => json(res.statusCode >= 400 ? withoutStacks(body) : body);
    next();
  };
}
