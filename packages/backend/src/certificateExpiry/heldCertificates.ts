import type { Config } from '@backstage/config';
import { resolve } from 'node:path';

/**
 * A certificate (or CA bundle) Sentinel holds: in a file it reads again when the file changes
 * (`file`), or in configuration read once at start (`pem`, e.g. a `$file` include).
 */
export type HeldCertificate = {
  /** What it is for, e.g. `postgres-client`, `kubernetes-ca/prod-eu`. */
  certificate: string;
} & ({ file: string } | { pem: string; configKey: string });

/**
 * Every certificate the configuration gives Sentinel: the listener's, and those of its
 * connections out to PostgreSQL, Redis, Prometheus and the Kubernetes clusters.
 */
export function heldCertificates(config: Config): HeldCertificate[] {
  const held: HeldCertificate[] = [];
  const file = (certificate: string, path: string | undefined) => {
    if (path) held.push({ certificate, file: resolve(path) });
  };
  const pem = (certificate: string, configKey: string) => {
    // Backstage's own settings take a PEM (or a list of them) read at start.
    const value = valueAt(config, configKey);
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v === 'string' && v.includes('-----BEGIN CERTIFICATE-----')) {
        held.push({ certificate, pem: v, configKey });
      }
    }
  };

  file('listener', config.getOptionalString('sentinel.tls.certFile'));
  file('listener-client-ca', config.getOptionalString('sentinel.tls.caFile'));
  pem('postgres-ca', 'backend.database.connection.ssl.ca');
  pem('postgres-client', 'backend.database.connection.ssl.cert');
  pem('redis-ca', 'backend.cache.connection.socket.ca');
  file('redis-ca', config.getOptionalString('sentinel.redis.tls.caFile'));
  file(
    'prometheus-ca',
    config.getOptionalString('sentinel.prometheus.tls.caFile'),
  );
  for (const cluster of config.getOptionalConfigArray('sentinel.clusters') ??
    []) {
    const name = cluster.getString('name');
    file(`kubernetes-ca/${name}`, cluster.getOptionalString('caFile'));
    file(
      `kubernetes-client/${name}`,
      cluster.getOptionalString('clientCertFile'),
    );
  }
  return held;
}

/**
 * The value at a dotted key, or undefined where a part of the way is not an object: a
 * connection given as a string (`postgresql://…`, `rediss://…`) holds no certificate, and
 * Config.getOptional would throw on it.
 */
function valueAt(config: Config, key: string): unknown {
  const [head, ...rest] = key.split('.');
  let value: unknown = config.getOptional(head);
  for (const part of rest) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
