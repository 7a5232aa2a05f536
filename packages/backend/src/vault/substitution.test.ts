import { createVaultSubstitution } from './substitution';
import { VaultClient } from './VaultClient';
import {
  startVaultFixture,
  testLogger,
  type VaultFixture,
} from './__testUtils__/vaultFixture';

describe('createVaultSubstitution', () => {
  let fixture: VaultFixture;
  let client: VaultClient;
  beforeAll(async () => {
    fixture = await startVaultFixture();
    fixture.vault.writeKv('secret', 'sentinel', {
      'redis-password': 'from-vault',
      port: 6380,
    });
    client = new VaultClient({
      address: fixture.vault.url,
      role: 'sentinel',
      tokenPath: fixture.tokenPath,
      logger: testLogger(),
    });
  });
  afterAll(async () => {
    client.close();
    await fixture.stop();
  });

  it('reads a key of a KV v2 secret, and the environment for any other name', async () => {
    const substitute = createVaultSubstitution(client, {
      REDIS_HOST: ' redis ',
    });
    expect(await substitute('vault:secret/data/sentinel#redis-password')).toBe(
      'from-vault',
    );
    expect(await substitute('vault:secret/data/sentinel#port')).toBe('6380');
    expect(await substitute('REDIS_HOST')).toBe('redis');
    expect(await substitute('MISSING')).toBeUndefined();
  });

  it.each([
    ['vault:secret/data/sentinel#nope', /has no key "nope"/],
    ['vault:secret/data/sentinel/missing#key', /Vault answered 404/],
    ['vault:secret/data/other#key', /Vault answered 403/],
    ['vault:secret/data/sentinel', /is not a Vault reference of the form/],
  ])(
    'refuses %s (the backend does not start on a missing secret)',
    async (name, error) => {
      await expect(createVaultSubstitution(client, {})(name)).rejects.toThrow(
        error,
      );
    },
  );

  it('refuses a Vault reference when Vault is not configured', async () => {
    await expect(
      createVaultSubstitution(
        undefined,
        {},
      )('vault:secret/data/sentinel#redis-password'),
    ).rejects.toThrow(
      /vault.address and vault.auth.kubernetes.role are not set/,
    );
  });
});
