import { vaultReadiness, type VaultStatus } from './status';

const now = Date.parse('2026-12-08T01:00:00.000Z');
const available = { state: 'available' as const, since: now - 60_000 };
const sealed = {
  state: 'unavailable' as const,
  reason: 'sealed',
  since: Date.parse('2026-12-08T00:59:00.000Z'),
};
const database = (validUntil: number) => ({
  username: 'v-k8s-sentinel-1',
  validUntil,
});

describe('vaultReadiness', () => {
  it.each<[string, VaultStatus, { ready: boolean; messages: string[] }]>([
    [
      'Vault answers',
      { connection: available, database: database(now + 1000) },
      { ready: true, messages: [] },
    ],
    [
      'Vault sealed, credentials still valid: ready, and says until when',
      {
        connection: sealed,
        database: database(Date.parse('2026-12-08T01:20:00.000Z')),
      },
      {
        ready: true,
        messages: [
          'Vault is sealed since 2026-12-08T00:59:00.000Z; the database credentials held (user v-k8s-sentinel-1) stay valid until 2026-12-08T01:20:00.000Z',
        ],
      },
    ],
    [
      'Vault sealed, no dynamic credentials: ready on the secrets read at start',
      { connection: sealed },
      {
        ready: true,
        messages: [
          'Vault is sealed since 2026-12-08T00:59:00.000Z; the secrets read at start stay in use',
        ],
      },
    ],
    [
      'the credentials ended while Vault is sealed: not ready',
      { connection: sealed, database: database(now) },
      {
        ready: false,
        messages: [
          'the database credentials from Vault (user v-k8s-sentinel-1) ended at 2026-12-08T01:00:00.000Z and no new ones were given (Vault is sealed since 2026-12-08T00:59:00.000Z)',
        ],
      },
    ],
    [
      'the credentials ended although Vault answers (none given yet): not ready',
      { connection: available, database: database(now - 1) },
      {
        ready: false,
        messages: [
          'the database credentials from Vault (user v-k8s-sentinel-1) ended at 2026-12-08T00:59:59.999Z and no new ones were given',
        ],
      },
    ],
  ])('%s', (_, status, expected) => {
    expect(vaultReadiness(status, now)).toEqual(expected);
  });
});
