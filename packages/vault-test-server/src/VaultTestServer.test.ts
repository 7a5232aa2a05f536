import knexFactory, { type Knex } from 'knex';
import { startPostgresCluster, type PostgresCluster } from './postgres';
import { matchesPolicyPath, VaultTestServer } from './VaultTestServer';

jest.setTimeout(60_000);

let postgres: PostgresCluster;
let vault: VaultTestServer;
let jwt: string;

beforeAll(async () => {
  postgres = await startPostgresCluster();
  postgres.psql('CREATE ROLE sentinel_owner NOLOGIN');
  vault = new VaultTestServer({
    database: {
      host: postgres.host,
      port: postgres.port,
      user: 'postgres',
      password: postgres.superuserPassword,
    },
  });
  await vault.start();
  vault.writePolicy('sentinel', {
    'secret/data/sentinel': ['read'],
    'database/creds/sentinel': ['read'],
    'sys/leases/renew': ['update'],
    'sys/leases/revoke': ['update'],
  });
  vault.writeKubernetesRole('sentinel', {
    boundServiceAccountNames: ['sentinel'],
    boundServiceAccountNamespaces: ['sentinel'],
    policies: ['sentinel'],
    tokenTtl: 60,
  });
  vault.writeDatabaseRole('sentinel', {
    creationStatements: [
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE sentinel_owner`,
    ],
    defaultTtl: 30,
    maxTtl: 120,
  });
  jwt = vault.issueServiceAccountToken('sentinel', 'sentinel');
});

afterAll(async () => {
  await vault?.stop();
  postgres?.stop();
});

afterEach(() => {
  vault.unseal();
  vault.setLatency(0);
});

async function call(
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
) {
  const response = await fetch(`${vault.url}/v1/${path}`, {
    method,
    headers: {
      ...(options.token ? { 'X-Vault-Token': options.token } : {}),
      ...(options.body ? { 'content-type': 'application/json' } : {}),
    },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function login() {
  const { status, body } = await call('POST', 'auth/kubernetes/login', {
    body: { role: 'sentinel', jwt },
  });
  expect(status).toBe(200);
  return body.auth.client_token as string;
}

function connect(username: string, password: string): Knex {
  return knexFactory({
    client: 'pg',
    connection: {
      host: postgres.host,
      port: postgres.port,
      user: username,
      password,
      database: 'postgres',
    },
    pool: { min: 0, max: 1 },
    // The refused logins below are expected; knex would print each one.
    log: { warn() {}, error() {}, debug() {}, deprecate() {} },
  });
}

describe('Kubernetes auth', () => {
  it('gives a token with the role policies and TTL for an accepted service account token', async () => {
    const { status, body } = await call('POST', 'auth/kubernetes/login', {
      body: { role: 'sentinel', jwt },
    });
    expect(status).toBe(200);
    expect(body.auth).toMatchObject({
      client_token: expect.stringMatching(/^hvs\./),
      policies: ['default', 'sentinel'],
      lease_duration: 60,
      renewable: true,
      metadata: {
        role: 'sentinel',
        service_account_name: 'sentinel',
        service_account_namespace: 'sentinel',
      },
    });
  });

  it.each([
    [
      'a token the cluster did not issue',
      'sentinel',
      'not.a.jwt',
      403,
      'permission denied',
    ],
    ['an unknown role', 'other', undefined, 400, 'invalid role name "other"'],
  ])('refuses %s', async (_, role, token, status, message) => {
    const answer = await call('POST', 'auth/kubernetes/login', {
      body: { role, jwt: token ?? jwt },
    });
    expect(answer).toEqual({ status, body: { errors: [message] } });
  });

  it('refuses a service account the role is not bound to', async () => {
    const other = vault.issueServiceAccountToken('sentinel', 'default');
    const answer = await call('POST', 'auth/kubernetes/login', {
      body: { role: 'sentinel', jwt: other },
    });
    expect(answer.status).toBe(403);
  });

  it('renews a token with renew-self, and answers 403 permission denied once it has expired', async () => {
    const token = await login();
    const renewed = await call('POST', 'auth/token/renew-self', {
      token,
      body: { increment: '45s' },
    });
    expect(renewed.status).toBe(200);
    expect(renewed.body.auth).toMatchObject({
      client_token: token,
      lease_duration: 45,
    });
    await vault.expireTokens([token]);
    expect(await call('GET', 'secret/data/sentinel', { token })).toEqual({
      status: 403,
      body: { errors: ['permission denied'] },
    });
  });
});

describe('KV v2', () => {
  it('reads the latest version or a given one, with its metadata', async () => {
    vault.writeKv('secret', 'sentinel', { 'redis-password': 'one' });
    vault.writeKv('secret', 'sentinel', { 'redis-password': 'two' });
    const token = await login();
    const latest = await call('GET', 'secret/data/sentinel', { token });
    expect(latest.status).toBe(200);
    expect(latest.body.data).toMatchObject({
      data: { 'redis-password': 'two' },
      metadata: { version: 2, destroyed: false, deletion_time: '' },
    });
    const first = await call('GET', 'secret/data/sentinel?version=1', {
      token,
    });
    expect(first.body.data.data).toEqual({ 'redis-password': 'one' });
  });

  it('answers 403 for a path the token has no policy for, and 404 for a missing secret it may read', async () => {
    vault.writeKv('secret', 'other', { key: 'value' });
    const token = await login();
    expect((await call('GET', 'secret/data/other', { token })).status).toBe(
      403,
    );
    expect(
      (await call('GET', 'secret/data/other', { token: vault.rootToken }))
        .status,
    ).toBe(200);
    expect(
      await call('GET', 'secret/data/missing', { token: vault.rootToken }),
    ).toEqual({
      status: 404,
      body: { errors: [] },
    });
  });
});

describe('database secrets engine', () => {
  it('creates a PostgreSQL user whose password PostgreSQL checks', async () => {
    const token = await login();
    const { status, body } = await call('GET', 'database/creds/sentinel', {
      token,
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      lease_id: expect.stringMatching(/^database\/creds\/sentinel\//),
      renewable: true,
      lease_duration: 30,
    });
    const { username, password } = body.data;
    const db = connect(username, password);
    const wrong = connect(username, `${password}x`);
    try {
      const result = await db.raw('SELECT current_user AS user');
      expect(result.rows[0].user).toBe(username);
      await expect(wrong.raw('SELECT 1')).rejects.toThrow(
        /password authentication failed/,
      );
    } finally {
      await db.destroy();
      await wrong.destroy();
    }
  });

  it('renews a lease up to the role max TTL and extends VALID UNTIL', async () => {
    const token = await login();
    const { body } = await call('GET', 'database/creds/sentinel', { token });
    const renewed = await call('PUT', 'sys/leases/renew', {
      token,
      body: { lease_id: body.lease_id, increment: 1000 },
    });
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({
      lease_id: body.lease_id,
      renewable: true,
    });
    expect(renewed.body.lease_duration).toBeGreaterThan(100);
    expect(renewed.body.lease_duration).toBeLessThanOrEqual(120);
    expect(renewed.body.warnings[0]).toMatch(/max_ttl/);
    const validUntil = postgres.psql(
      `SELECT extract(epoch FROM rolvaliduntil)::bigint FROM pg_roles WHERE rolname = '${body.data.username}'`,
    );
    expect(Number(validUntil) * 1000).toBeGreaterThan(Date.now() + 100_000);
  });

  it('revoking a lease ends the user sessions and its logins; renewing it then answers 400', async () => {
    const token = await login();
    const { body } = await call('GET', 'database/creds/sentinel', { token });
    const db = connect(body.data.username, body.data.password);
    try {
      await db.raw('SELECT 1');
      const revoked = await call('PUT', 'sys/leases/revoke', {
        token,
        body: { lease_id: body.lease_id },
      });
      expect(revoked.status).toBe(204);
      await expect(db.raw('SELECT 1')).rejects.toThrow();
      const again = connect(body.data.username, body.data.password);
      await expect(again.raw('SELECT 1')).rejects.toThrow(
        /password authentication failed/,
      );
      await again.destroy();
      expect(
        await call('PUT', 'sys/leases/renew', {
          token,
          body: { lease_id: body.lease_id },
        }),
      ).toEqual({ status: 400, body: { errors: ['lease not found'] } });
      expect(
        vault.leases().find(l => l.leaseId === body.lease_id)?.revoked,
      ).toBe(true);
    } finally {
      await db.destroy();
    }
  });
});

describe('faults', () => {
  it('a token that ends takes its leases with it, as in Vault', async () => {
    const token = await login();
    const { body } = await call('GET', 'database/creds/sentinel', { token });
    await vault.expireTokens([token]);
    expect(vault.leases().find(l => l.leaseId === body.lease_id)?.revoked).toBe(
      true,
    );
    const db = connect(body.data.username, body.data.password);
    await expect(db.raw('SELECT 1')).rejects.toThrow(
      /password authentication failed/,
    );
    await db.destroy();
  });

  it('sealed: sys/health answers 503 with the sealed status, every other request 503 Vault is sealed', async () => {
    const token = await login();
    vault.seal();
    expect(await call('GET', 'sys/health')).toEqual({
      status: 503,
      body: expect.objectContaining({
        initialized: true,
        sealed: true,
        standby: false,
      }),
    });
    expect(await call('GET', 'secret/data/sentinel', { token })).toEqual({
      status: 503,
      body: { errors: ['Vault is sealed'] },
    });
    vault.unseal();
    expect((await call('GET', 'sys/health')).status).toBe(200);
  });

  it('latency delays every answer', async () => {
    vault.setLatency(300);
    const started = performance.now();
    await call('GET', 'sys/health');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('unreachable: stops listening, then listens again on the same port', async () => {
    const url = vault.url;
    await vault.stopListening();
    await expect(fetch(`${url}/v1/sys/health`)).rejects.toThrow();
    await vault.start();
    expect(vault.url).toBe(url);
    expect((await fetch(`${url}/v1/sys/health`)).status).toBe(200);
  });
});

describe('matchesPolicyPath', () => {
  it.each([
    ['secret/data/sentinel', 'secret/data/sentinel', true],
    ['secret/data/sentinel', 'secret/data/sentinel/x', false],
    ['secret/data/sentinel/*', 'secret/data/sentinel/x/y', true],
    ['database/creds/+', 'database/creds/sentinel', true],
    ['database/creds/+', 'database/creds/a/b', false],
  ])('%s matches %s: %s', (pattern, path, expected) => {
    expect(matchesPolicyPath(pattern, path)).toBe(expected);
  });
});
