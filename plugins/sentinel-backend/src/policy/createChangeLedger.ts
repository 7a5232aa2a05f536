import type { LoggerService } from '@backstage/backend-plugin-api';
import Redis from 'ioredis';
import {
  DatabaseChangeLedger,
  RedisChangeLedger,
  ResilientChangeLedger,
  type ChangeLedger,
} from './ChangeLedger';
import { redisMisconfiguration, type RedisConnection } from './redisConnection';
import type { AppliedChanges } from './types';

/**
 * The ledger rate limits count on: Redis shared by all replicas when `sentinel.redis.connection`
 * is set (falling back to the database while it is down or refuses Sentinel), else the
 * database alone (the embedded default, one replica).
 */
export function createChangeLedger(options: {
  redis?: RedisConnection;
  /** The plan store: every admitted change has its applied_at there. */
  store: AppliedChanges;
  logger: LoggerService;
}): { ledger: ChangeLedger; close(): Promise<void> } {
  const database = new DatabaseChangeLedger(options.store);
  if (!options.redis) {
    return { ledger: database, close: async () => {} };
  }
  const redis = new Redis(options.redis.url, {
    ...options.redis.options,
    // Fail fast while Redis is down, so the database answers instead of requests waiting.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: attempt => Math.min(attempt * 200, 5_000),
    lazyConnect: false,
  });
  const ledger = new ResilientChangeLedger(
    new RedisChangeLedger(redis),
    database,
    options.store,
    options.logger,
  );
  // A refusal that retrying cannot fix is an error for the operator, once per distinct cause
  // (ioredis retries every few seconds); an outage stays at debug.
  let reported: string | undefined;
  redis.on('error', error => {
    const misconfiguration = redisMisconfiguration(error);
    if (!misconfiguration) {
      options.logger.debug('Sentinel rate-limit Redis is unavailable', error);
    } else if (misconfiguration !== reported) {
      reported = misconfiguration;
      options.logger.error(
        `${misconfiguration}; rate limits count in the database until this is fixed`,
      );
    }
  });
  redis.on('ready', () => {
    reported = undefined;
    ledger
      .resync(new Date())
      .catch(error =>
        options.logger.warn('Sentinel could not resync Redis', error),
      );
  });
  return {
    ledger,
    close: async () => {
      redis.disconnect();
    },
  };
}
