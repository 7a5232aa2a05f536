import { ApiException } from '@kubernetes/client-node';

export interface RetryOptions {
  /** Attempts per call, the first included. */
  attempts: number;
  /** Delay before the second attempt; doubles each time (a 429's Retry-After wins). */
  baseDelayMs: number;
}

/** Retries what may pass on a second try (429, 5xx, timeouts), with backoff and a budget. */
export async function withRetry<T>(
  call: () => Promise<T>,
  retry: RetryOptions,
  /** Told of every failed attempt (metrics). */
  onError?: (error: unknown) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      onError?.(error);
      const delay = retryDelay(error, attempt, retry);
      if (delay === undefined) throw error;
      await new Promise(resolve => setTimeout(resolve, delay));
    }
  }
}

/** How long to wait before retrying, or undefined when the error is final. */
export function retryDelay(
  error: unknown,
  attempt: number,
  retry: RetryOptions,
): number | undefined {
  if (attempt >= retry.attempts) return undefined;
  const backoff = retry.baseDelayMs * 2 ** (attempt - 1);
  if (error instanceof ApiException) {
    if (error.code === 429) {
      const header = Number(
        (error.headers as Record<string, string> | undefined)?.['retry-after'],
      );
      return Number.isFinite(header) && header > 0 ? header * 1000 : backoff;
    }
    return error.code >= 500 ? backoff : undefined;
  }
  const code = (error as { code?: string })?.code;
  return code &&
    [
      'ECONNRESET',
      'ECONNREFUSED',
      'ETIMEDOUT',
      'EPIPE',
      'UND_ERR_SOCKET',
    ].includes(code)
    ? backoff
    : undefined;
}
