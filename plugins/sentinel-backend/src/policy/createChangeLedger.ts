import type { LoggerService } from '@backstage/backend-plugin-api';
import Redis from 'ioredis';
import {
  DatabaseChangeLedger,
  RedisChangeLedger,
  ResilientChangeLedger,
  type ChangeLedger,
} from './ChangeLedger';
import type { AppliedChanges } from './types';

/**
 * The ledger rate limits count on: Redis shared by all replicas when `sentinel.redis.connection`
 * is set (falling back to the database while it is down), else the database alone (the
 * embedded default, one replica).
 */
export function createChangeLedger(options: {
  redisUrl?: string;
  /** The plan store: every admitted change has its applied_at there. */
  store: AppliedChanges;
  logger: LoggerService;
}): { ledger: ChangeLedger; close(): Promise<void> } {
  const database = new DatabaseChangeLedger(options.store);
  if (!options.redisUrl) {
    return { ledger: database, close: async () => {} };
  }
  const redis = new Redis(options.redisUrl, {
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
  redis.on('error', error =>
    options.logger.debug('Sentinel rate-limit Redis is unavailable', error),
  );
  redis.on('ready', () => {
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
