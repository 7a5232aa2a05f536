import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './requests';
import { statusBody } from './status';

/**
 * Faults the server injects into the requests it answers; see {@link KubernetesTestServer.injectFaults}.
 *
 * @public
 */
export interface KubernetesTestServerFaults {
  /** Delay every answer (watches included) by this long. */
  latencyMs?: number;
  /**
   * Fail the next `count` requests (whose path contains `path`, when given)
   * with a Status of this code; a 429 carries `Retry-After` (seconds, 1 by default).
   */
  failNext?: {
    status: 500 | 429;
    count: number;
    path?: string;
    retryAfterSeconds?: number;
  };
  /** Destroy the connection of every request, without an answer. */
  dropConnections?: boolean;
}

/**
 * Applies the faults in force to a request (counting down `failNext`): true
 * when a fault took the request, which then needs no other answer.
 */
export async function injectFault(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  faults: KubernetesTestServerFaults,
): Promise<boolean> {
  if (faults.dropConnections) {
    req.socket.destroy();
    return true;
  }
  if (faults.latencyMs) {
    await new Promise(resolve => setTimeout(resolve, faults.latencyMs));
  }
  const failure = faults.failNext;
  if (
    !failure ||
    failure.count <= 0 ||
    (failure.path && !url.pathname.includes(failure.path))
  ) {
    return false;
  }
  failure.count -= 1;
  if (failure.status === 429) {
    const retryAfterSeconds = failure.retryAfterSeconds ?? 1;
    sendJson(
      res,
      429,
      statusBody(
        429,
        'TooManyRequests',
        'Too many requests, please try again later.',
        { retryAfterSeconds },
      ),
      { 'Retry-After': String(retryAfterSeconds) },
    );
  } else {
    sendJson(
      res,
      500,
      statusBody(
        500,
        'InternalError',
        'Internal error occurred: injected fault',
      ),
    );
  }
  return true;
}
