import knexFactory from 'knex';
import { setTimeout as sleep } from 'node:timers/promises';
import { LeasedCredentials } from './LeasedCredentials';
import {
  VaultClient,
  VaultResponseError,
  VaultUnavailableError,
} from './VaultClient';
import {
  startVaultFixture,
  testLogger,
  type VaultFixture,
} from './__testUtils__/vaultFixture';

jest.setTimeout(60_000);

async function until(condition: () => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(50);
  }
}

describe('VaultClient', () => {
  let fixture: VaultFixture;
  const clients: VaultClient[] = [];
  const client = (options: { requestTimeoutMs?: number } = {}) => {
    const created = new VaultClient({
      address: fixture.vault.url,
      role: 'sentinel',
      tokenPath: fixture.tokenPath,
      logger: testLogger(),
      ...options,
    });
    clients.push(created);
    return created;
  };

  beforeEach(async () => {
    fixture = await startVaultFixture({ tokenTtl: 3 });
    fixture.vault.writeKv('secret', 'sentinel', { 'redis-password': 'r1' });
  });
  afterEach(async () => {
    clients.splice(0).forEach(c => c.close());
    await fixture.stop();
  });

  it('logs in with the service account token file and reads KV v2', async () => {
    const vault = client();
    const answer = await vault.read('secret/data/sentinel');
    expect(answer.data.data).toEqual({ 'redis-password': 'r1' });
    expect(vault.logins).toBe(1);
    expect(
      fixture.vault.requests.map(r => `${r.method} ${r.path} ${r.status}`),
    ).toEqual([
      'POST /v1/auth/kubernetes/login 200',
      'GET /v1/secret/data/sentinel 200',
    ]);
  });

  it('renews its token at two thirds of the TTL, so it never lapses', async () => {
    const vault = client();
    await vault.login();
    await sleep(4500); // past the 3 s TTL of the first token
    await vault.read('secret/data/sentinel');
    const paths = fixture.vault.requests.map(r => `${r.path} ${r.status}`);
    expect(
      paths.filter(p => p.includes('renew-self 200')).length,
    ).toBeGreaterThanOrEqual(2);
    expect(paths.filter(p => p.includes('login'))).toHaveLength(1);
    expect(paths.some(p => p.endsWith(' 403'))).toBe(false);
  });

  it('logs in again after a 403 (an ended token), reading the token file again', async () => {
    const vault = client();
    await vault.login();
    const first = fixture.vault.activeTokens();
    await fixture.vault.expireTokens();
    // kubelet rotated the projected token; the one read at the first login no longer works.
    const old = fixture.rotateServiceAccountToken();
    expect(old).toBeDefined();
    const answer = await vault.read('secret/data/sentinel');
    expect(answer.data.data['redis-password']).toBe('r1');
    expect(vault.logins).toBe(2);
    expect(fixture.vault.activeTokens()).not.toEqual(first);
    expect(fixture.vault.requests.slice(-3).map(r => r.status)).toEqual([
      403, 200, 200,
    ]);
  });

  it('says Vault is unavailable while it is sealed or unreachable, and available again afterwards', async () => {
    const vault = client();
    await vault.login();
    fixture.vault.seal();
    await expect(vault.read('secret/data/sentinel')).rejects.toThrow(
      VaultUnavailableError,
    );
    expect(vault.state()).toMatchObject({
      state: 'unavailable',
      reason: 'sealed',
    });
    fixture.vault.unseal();
    await fixture.vault.stopListening();
    await expect(vault.read('secret/data/sentinel')).rejects.toThrow(
      /is not reachable/,
    );
    await fixture.vault.start();
    await vault.read('secret/data/sentinel');
    expect(vault.state().state).toBe('available');
  });

  it('counts an answer slower than the request timeout as unavailable', async () => {
    const vault = client({ requestTimeoutMs: 200 });
    await vault.login();
    fixture.vault.setLatency(500);
    await expect(vault.read('secret/data/sentinel')).rejects.toThrow(
      /no answer within 200 ms/,
    );
    expect(vault.state().state).toBe('unavailable');
  });

  it('passes on 4xx answers other than 403 as VaultResponseError', async () => {
    const vault = client();
    await expect(
      vault.read('secret/data/sentinel/missing'),
    ).rejects.toMatchObject({
      status: 404,
    });
    await expect(
      vault.read('secret/data/sentinel/missing'),
    ).rejects.toBeInstanceOf(VaultResponseError);
  });
});

describe('LeasedCredentials', () => {
  let fixture: VaultFixture;
  let vault: VaultClient;
  let credentials: LeasedCredentials;

  beforeEach(async () => {
    fixture = await startVaultFixture({
      database: true,
      // Seconds: long enough that a loaded machine's delays do not end a lease before its
      // renewal at 4 s; the max TTL makes the second renewal fall short.
      leaseTtl: 6,
      leaseMaxTtl: 10,
    });
    vault = new VaultClient({
      address: fixture.vault.url,
      role: 'sentinel',
      tokenPath: fixture.tokenPath,
      logger: testLogger(),
    });
    credentials = new LeasedCredentials(vault, {
      path: 'database/creds/sentinel',
      logger: testLogger(),
    });
  });
  afterEach(async () => {
    credentials.stop();
    vault.close();
    await fixture.stop();
  });

  async function query(credential: { username: string; password: string }) {
    const db = knexFactory({
      client: 'pg',
      connection: {
        host: fixture.postgres!.host,
        port: fixture.postgres!.port,
        user: credential.username,
        password: credential.password,
        database: 'postgres',
      },
      pool: { min: 0, max: 1 },
      log: { warn() {}, error() {}, debug() {}, deprecate() {} },
    });
    try {
      const { rows } = await db.raw('SELECT session_user AS user');
      return rows[0].user as string;
    } finally {
      await db.destroy();
    }
  }

  it('renews the lease, and takes new credentials before the old ones end at their max TTL', async () => {
    const first = await credentials.start();
    expect(await query(first)).toBe(first.username);
    const rotated = new Promise<{ username: string; password: string }>(
      resolve => credentials.onRotate(resolve),
    );
    const second = await rotated;
    expect(second.username).not.toBe(first.username);
    const firstLease = fixture.vault
      .leases()
      .find(l => l.leaseId === first.leaseId)!;
    expect(firstLease.renewals).toBeGreaterThanOrEqual(1);
    // The old credentials still work when the new ones arrive: nothing using them fails yet.
    expect(firstLease.revoked).toBe(false);
    expect(await query(first)).toBe(first.username);
    expect(await query(second)).toBe(second.username);
  });

  it('takes new credentials when the lease is revoked', async () => {
    const first = await credentials.start();
    await fixture.vault.revokeLease(first.leaseId);
    const rotated = new Promise<{ username: string }>(resolve =>
      credentials.onRotate(resolve),
    );
    const second = await rotated; // at the next renewal (4 s), Vault answers 400 lease not found
    expect(second.username).not.toBe(first.username);
    expect(await query(credentials.current())).toBe(second.username);
  });

  it('keeps the credentials it holds while Vault is unreachable until their lease ends, then recovers by itself', async () => {
    const first = await credentials.start();
    await fixture.vault.stopListening();
    await sleep(4500); // the renewal at 4 s fails
    expect(vault.state().state).toBe('unavailable');
    expect(credentials.valid()).toBe(true);
    expect(credentials.current().username).toBe(first.username);
    await until(() => !credentials.valid()); // the lease's 6 s end
    await fixture.vault.start();
    await until(() => credentials.valid());
    expect(credentials.current().username).not.toBe(first.username);
    expect(vault.state().state).toBe('available');
    expect(await query(credentials.current())).toBe(
      credentials.current().username,
    );
  });
});
