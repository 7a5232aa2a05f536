import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import {
  eventually,
  freePort,
  repoRoot,
  startBackendProcess,
  type BackendProcess,
} from '../replicas/__testUtils__/backendProcess';
import {
  startVaultFixture,
  type VaultFixture,
} from './__testUtils__/vaultFixture';

// packages/backend as it runs (its own process, src/index.ts's services) with its secrets from
// the Vault test server: the optimizer's token from KV v2 through `${vault:...}` in app-config,
// and PostgreSQL credentials from the database secrets engine on a PostgreSQL that checks
// passwords, rotating every 40 s (lease TTL 30 s, max TTL 60 s).

jest.setTimeout(600_000);

const prefix = `sentinel_vault_${process.pid}_`;

describe('the backend with its secrets from Vault', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-vault-backend-'));
  const optimizerToken = randomBytes(24).toString('base64url');
  let fixture: VaultFixture;
  let backend: BackendProcess;
  let passed = false;

  const health = async () => {
    const res = await fetch(`${backend.baseUrl}/api/sentinel/health`);
    return { status: res.status, body: await res.json() };
  };
  /** Sessions on Sentinel's database, by user. */
  const sessionUsers = () =>
    fixture
      .postgres!.psql(
        `SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = '${prefix}sentinel'`,
      )
      .split('\n')
      .filter(Boolean);
  const currentLease = () =>
    fixture.vault
      .leases()
      .filter(l => !l.revoked)
      .sort((a, b) => b.issuedAt.getTime() - a.issuedAt.getTime())[0];

  beforeAll(async () => {
    fixture = await startVaultFixture({
      database: true,
      leaseTtl: 30,
      leaseMaxTtl: 60,
    });
    fixture.vault.writeKv('secret', 'sentinel', {
      'optimizer-token': optimizerToken,
    });
    const appConfig = parse(
      readFileSync(join(repoRoot, 'app-config.yaml'), 'utf8'),
    );
    // The optimizer's static token, read from Vault instead of the development default.
    const externalAccess = appConfig.backend.auth.externalAccess.map(
      (entry: any) =>
        entry.type === 'static' &&
        entry.options.subject === 'external:inframind'
          ? {
              ...entry,
              options: {
                ...entry.options,
                token: '${vault:secret/data/sentinel#optimizer-token}',
              },
            }
          : entry,
    );
    const port = await freePort();
    backend = await startBackendProcess({
      name: 'vault',
      port,
      dir,
      overlay: {
        backend: {
          baseUrl: `http://localhost:${port}`,
          listen: { port },
          auth: { externalAccess },
          database: {
            client: 'pg',
            connection: { host: 'localhost', port: fixture.postgres!.port },
            prefix,
          },
        },
        vault: {
          address: fixture.vault.url,
          auth: {
            kubernetes: { role: 'sentinel', tokenPath: fixture.tokenPath },
          },
          requestTimeout: { seconds: 2 },
          database: { role: 'sentinel' },
        },
        // The embedded demo cluster without a Prometheus of its own (a fixed port).
        sentinel: { simulatedCluster: { prometheusPort: null } },
      },
    });
  });

  afterEach(() => {
    fixture.vault.unseal();
  });

  afterAll(async () => {
    await backend?.stop();
    await fixture?.stop();
    if (passed) rmSync(dir, { recursive: true, force: true });
    // eslint-disable-next-line no-console
    else console.log(`The backend's log: ${dir}`);
  });

  it("takes the optimizer's token from KV v2: it is accepted, the development default is not", async () => {
    const list = (token: string) =>
      fetch(`${backend.baseUrl}/api/sentinel/v1/action-plans`, {
        headers: { Authorization: `Bearer ${token}` },
      });
    expect((await list(optimizerToken)).status).toBe(200);
    expect((await list('dev-optimizer-token')).status).toBe(401);
  });

  it('keeps answering while the database credentials rotate and the old lease is revoked: no query fails, new connections use the new user', async () => {
    const old = currentLease();
    expect(sessionUsers()).toContain(old.username);
    const failures: string[] = [];
    let answered = 0;
    let stop = false;
    const load = (async () => {
      while (!stop) {
        const [h, plans] = await Promise.all([
          health(),
          fetch(`${backend.baseUrl}/api/sentinel/v1/action-plans`, {
            headers: { Authorization: `Bearer ${optimizerToken}` },
          }),
        ]);
        answered += 2;
        if (h.status !== 200)
          failures.push(`health ${h.status} ${JSON.stringify(h.body)}`);
        if (plans.status !== 200)
          failures.push(`plans ${plans.status} ${await plans.text()}`);
        await sleep(50);
      }
    })();
    try {
      const fresh = await eventually(
        async () => {
          const lease = currentLease();
          return lease.leaseId !== old.leaseId && lease;
        },
        'the backend takes new database credentials',
        60_000,
      );
      await eventually(
        async () => sessionUsers().includes(fresh.username),
        `Sentinel's database has sessions of the new user ${fresh.username}`,
        20_000,
      );
      await sleep(2000);
      // Vault revokes the old user: its sessions are ended and it can no longer log in.
      await fixture.vault.revokeLease(old.leaseId);
      await sleep(3000);
      expect(sessionUsers()).not.toContain(old.username);
      expect(sessionUsers()).toContain(fresh.username);
    } finally {
      stop = true;
      await load;
    }
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(50);
  });

  it('stays ready while Vault is sealed and its credentials are valid, says so, and recovers by itself', async () => {
    fixture.vault.seal();
    const sealed = await eventually(
      async () => {
        const h = await health();
        return h.body.warnings && h;
      },
      '/api/sentinel/health says Vault is sealed',
      60_000,
    );
    expect(sealed.status).toBe(200);
    expect(sealed.body.warnings[0]).toMatch(
      /^Vault is sealed since .*; the database credentials held \(user v-k8s-sentinel-.*\) stay valid until /,
    );
    fixture.vault.unseal();
    const recovered = await eventually(
      async () => {
        const h = await health();
        return !h.body.warnings && h;
      },
      'the warning goes once Vault answers again',
      60_000,
    );
    expect(recovered.status).toBe(200);
  });

  it('is not ready once the database lease has ended while Vault is unreachable, and recovers when Vault is back', async () => {
    await fixture.vault.stopListening();
    const ended = await eventually(
      async () => {
        const h = await health();
        return h.status === 503 && h;
      },
      '/api/sentinel/health answers 503',
      90_000,
    );
    expect(ended.body.error.message).toMatch(
      /^the backend is not ready: the database credentials from Vault \(user v-k8s-sentinel-.*\) ended at .* and no new ones were given \(Vault is not reachable/,
    );
    const readiness = await fetch(
      `${backend.baseUrl}/.backstage/health/v1/readiness`,
    );
    expect(readiness.status).toBe(503);
    await fixture.vault.start();
    await eventually(
      async () => {
        const h = await health();
        return h.status === 200 && !h.body.warnings;
      },
      'the backend is ready again with new credentials',
      90_000,
    );
    passed = true;
  });
});
