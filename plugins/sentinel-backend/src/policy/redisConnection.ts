import type { Config } from '@backstage/config';
import type { RedisOptions } from 'ioredis';
import { readFileSync } from 'node:fs';

/** Where Sentinel's rate-limit Redis is and how it proves itself and who Sentinel is. */
export interface RedisConnection {
  url: string;
  /** ioredis options: the ACL user, and TLS verification against the CA. */
  options: Pick<RedisOptions, 'username' | 'password' | 'tls'>;
}

/**
 * Reads `sentinel.redis`: the URL (rediss:// for TLS), the ACL username and password, and the
 * CA the server's certificate must chain to. Undefined when no connection is configured.
 * Throws, naming the key, on a setting Redis could never be reached with.
 */
export function readRedisConnection(
  config: Config,
): RedisConnection | undefined {
  const redis = config.getOptionalConfig('sentinel.redis');
  const url = redis?.getOptionalString('connection');
  if (!redis || !url) return undefined;
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new Error(
      'sentinel.redis.connection: not a URL (redis://host:port or rediss://host:port)',
    );
  }
  const caFile = redis.getOptionalString('tls.caFile');
  if (caFile && protocol !== 'rediss:') {
    throw new Error(
      `sentinel.redis.tls.caFile is set but sentinel.redis.connection is ${protocol}//, which is not TLS; use rediss://`,
    );
  }
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (error) {
      throw new Error(
        `sentinel.redis.tls.caFile: cannot read ${caFile}: ${
          (error as Error).message
        }`,
      );
    }
  }
  const username = redis.getOptionalString('username');
  const password = redis.getOptionalString('password');
  if (username && !password) {
    throw new Error(
      'sentinel.redis.username is set without sentinel.redis.password',
    );
  }
  return {
    url,
    options: {
      ...(username && { username }),
      ...(password && { password }),
      // rediss:// verifies the server against the system CAs unless a CA is given.
      ...(protocol === 'rediss:' && { tls: ca ? { ca } : {} }),
    },
  };
}

const TLS_REFUSALS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * What an operator must fix when a Redis connection error will not go away by retrying: a
 * refused username or password, or a server certificate Sentinel does not trust. Undefined
 * for errors that come and go (Redis restarting, the network).
 */
export function redisMisconfiguration(error: Error): string | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (/^(WRONGPASS|NOAUTH|NOPERM)\b/.test(error.message)) {
    return `Redis refused Sentinel's credentials (sentinel.redis.username, sentinel.redis.password): ${error.message}`;
  }
  if (code && TLS_REFUSALS.has(code)) {
    return `Sentinel does not trust the Redis server's certificate (sentinel.redis.tls.caFile, the host in sentinel.redis.connection): ${error.message}`;
  }
  return undefined;
}
