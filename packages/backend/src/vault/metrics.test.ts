import {
  createNoopMeter,
  metrics,
  type Attributes,
  type ObservableCallback,
} from '@opentelemetry/api';
import { registerVaultMetrics } from './metrics';
import type { VaultStatus } from './status';

// A meter that keeps what is recorded: the counters' additions, and each observable gauge's
// callback, run on demand as a collection would.
const added: Array<{ name: string; value: number; attributes?: Attributes }> =
  [];
const gauges = new Map<string, ObservableCallback>();
metrics.setGlobalMeterProvider({
  getMeter: () => {
    const noop = createNoopMeter();
    return Object.assign(noop, {
      createCounter: (name: string) => ({
        add: (value: number, attributes?: Attributes) =>
          added.push({ name, value, attributes }),
      }),
      createObservableGauge: (name: string) => ({
        addCallback: (callback: ObservableCallback) =>
          gauges.set(name, callback),
        removeCallback: () => {},
      }),
    });
  },
});

async function collect(name: string) {
  const observed: Array<{ value: number; attributes?: Attributes }> = [];
  await gauges.get(name)!({
    observe: (value: number, attributes?: Attributes) =>
      observed.push({ value, attributes }),
  });
  return observed;
}

describe('registerVaultMetrics', () => {
  let status: VaultStatus;
  const instruments = registerVaultMetrics(() => status);

  it('says 1 while Vault answers and 0 while it is sealed or unreachable', async () => {
    status = { connection: { state: 'available', since: 0 } };
    expect(await collect('sentinel_vault_up')).toEqual([
      { value: 1, attributes: undefined },
    ]);
    status = {
      connection: { state: 'unavailable', reason: 'sealed', since: 0 },
    };
    expect(await collect('sentinel_vault_up')).toEqual([
      { value: 0, attributes: undefined },
    ]);
  });

  it('gives the end of the database lease in seconds, and nothing without dynamic credentials', async () => {
    status = {
      connection: { state: 'available', since: 0 },
      database: { username: 'v-k8s-sentinel-1', validUntil: 1_796_690_000_500 },
    };
    expect(
      await collect('sentinel_vault_lease_expiry_timestamp_seconds'),
    ).toEqual([{ value: 1_796_690_000, attributes: { secret: 'database' } }]);
    status = { connection: { state: 'available', since: 0 } };
    expect(
      await collect('sentinel_vault_lease_expiry_timestamp_seconds'),
    ).toEqual([]);
  });

  it('counts rotations of the database credentials', () => {
    instruments.rotated();
    expect(added).toEqual([
      {
        name: 'sentinel_vault_credential_rotations_total',
        value: 1,
        attributes: { secret: 'database' },
      },
    ]);
  });
});
