import { metrics } from '@opentelemetry/api';
import type { VaultStatus } from './status';

/**
 * Vault's OpenTelemetry instruments (meter `sentinel`), read from the status on each collection;
 * names in the README.
 */
export function registerVaultMetrics(status: () => VaultStatus) {
  const meter = metrics.getMeter('sentinel');
  const rotations = meter.createCounter(
    'sentinel_vault_credential_rotations_total',
    {
      description:
        'New database credentials taken from Vault (a lease near its max TTL, revoked, or taken under an earlier token)',
    },
  );
  meter
    .createObservableGauge('sentinel_vault_up', {
      description:
        '1 while Vault answers Sentinel, 0 while it is sealed, unreachable or failing (the secrets held stay in use until their leases end)',
    })
    .addCallback(result => {
      result.observe(status().connection.state === 'available' ? 1 : 0);
    });
  meter
    .createObservableGauge('sentinel_vault_lease_expiry_timestamp_seconds', {
      description:
        'When the lease of the secrets Sentinel holds from Vault ends unless renewed (secret="database": the PostgreSQL credentials)',
      unit: 's',
    })
    .addCallback(result => {
      const database = status().database;
      if (database) {
        result.observe(Math.floor(database.validUntil / 1000), {
          secret: 'database',
        });
      }
    });
  return { rotated: () => rotations.add(1, { secret: 'database' }) };
}
