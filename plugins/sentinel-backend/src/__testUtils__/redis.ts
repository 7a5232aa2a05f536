import Redis from 'ioredis';

/**
 * The Redis the tests use: BACKSTAGE_TEST_CACHE_REDIS7_CONNECTION_STRING (the README's test
 * command points it at 127.0.0.1:6379). Under CI a missing Redis fails instead of skipping.
 */
export function redisUrl(): string | undefined {
  const url = process.env.BACKSTAGE_TEST_CACHE_REDIS7_CONNECTION_STRING;
  if (!url && process.env.CI) {
    throw new Error(
      'CI is set but Redis is not available to the tests: set BACKSTAGE_TEST_CACHE_REDIS7_CONNECTION_STRING (e.g. redis://127.0.0.1:6379)',
    );
  }
  return url;
}

/** A client that fails at once while Redis is unreachable, as Sentinel's own does. */
export function connect(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 50,
  });
}
