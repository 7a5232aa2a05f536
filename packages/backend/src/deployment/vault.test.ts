import {
  startPostgresCluster,
  VaultTestServer,
  type PostgresCluster,
} from '@internal/vault-test-server';
import knexFactory from 'knex';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import { mockServices } from '@backstage/backend-test-utils';
import { LeasedCredentials } from '../vault/LeasedCredentials';
import { createVaultSubstitution } from '../vault/substitution';
import { VaultClient } from '../vault/VaultClient';
import { kustomize, only, repoRoot } from './__testUtils__/render';
import { schemaProblems } from './__testUtils__/schemas';

jest.setTimeout(60_000);

/** Vault's ACL policy syntax as vault.yaml uses it: `path "<path>" { capabilities = [...] }` blocks only. */
function parsePolicy(hcl: string): Record<string, string[]> {
  const block = /path\s+"([^"]+)"\s*\{\s*capabilities\s*=\s*\[([^\]]*)\]\s*\}/g;
  const policy: Record<string, string[]> = {};
  for (const [, path, capabilities] of hcl.matchAll(block)) {
    policy[path] = capabilities
      .split(',')
      .map(c => c.trim().replace(/^"|"$/g, ''))
      .filter(Boolean);
  }
  // Nothing else in the file: a rule this parser does not read would go untested.
  expect(hcl.replace(block, '').trim()).toBe('');
  return policy;
}

/** Seconds from Vault's duration strings ("1h", "24h", "30m", "90s"). */
function seconds(duration: string): number {
  const match = /^(\d+)([smh])$/.exec(duration);
  if (!match) throw new Error(`unexpected duration ${duration}`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as 's']!;
}

describe('deploy/k8s/vault', () => {
  // An environment in namespace `sentinel` with the component, as environments/<env> would be.
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-vault-kustomize-'));
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace: 'sentinel',
      resources: [relative(dir, join(repoRoot, 'deploy/k8s/base'))],
      components: [relative(dir, join(repoRoot, 'deploy/k8s/vault'))],
    }),
  );
  const rendering = kustomize(dir);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const configMap = only(rendering.objects, 'ConfigMap', 'sentinel-vault');
  const deployment = only(rendering.objects, 'Deployment', 'sentinel');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const sentinelConfig = parse(configMap.data['config.yaml']);
  const kubernetesRole = JSON.parse(configMap.data['kubernetes-role.json']);
  const databaseRole = JSON.parse(configMap.data['database-role.json']);

  it('renders without warnings, and every object validates against the Kubernetes 1.30 schemas', () => {
    expect(rendering.warnings).toBe('');
    expect(rendering.objects.flatMap(schemaProblems)).toEqual([]);
  });

  it("gives the pod a token of audience vault where Sentinel's config reads it, and loads that config last", () => {
    const tokenPath: string = sentinelConfig.vault.auth.kubernetes.tokenPath;
    const tokenVolume = pod.volumes.find((v: any) =>
      v.projected?.sources?.some((s: any) => s.serviceAccountToken),
    );
    const token = tokenVolume.projected.sources[0].serviceAccountToken;
    expect(token.audience).toBe(kubernetesRole.audience);
    const mount = container.volumeMounts.find(
      (m: any) => m.name === tokenVolume.name,
    );
    expect(posix.join(mount.mountPath, token.path)).toBe(tokenPath);

    const configVolume = pod.volumes.find(
      (v: any) => v.configMap?.name === 'sentinel-vault',
    );
    const configMount = container.volumeMounts.find(
      (m: any) => m.name === configVolume.name,
    );
    expect(container.args.slice(-2)).toEqual([
      '--config',
      posix.join(configMount.mountPath, configVolume.configMap.items[0].path),
    ]);
    expect(configVolume.configMap.items[0].key).toBe('config.yaml');
  });

  it("binds the Vault role to the Deployment's service account in its namespace", () => {
    const account = only(rendering.objects, 'ServiceAccount');
    expect(pod.serviceAccountName).toBe(account.metadata.name);
    expect(kubernetesRole.bound_service_account_names).toEqual([
      account.metadata.name,
    ]);
    expect(kubernetesRole.bound_service_account_namespaces).toEqual([
      account.metadata.namespace,
    ]);
    expect(sentinelConfig.vault.auth.kubernetes.role).toBe('sentinel');
  });

  describe('applied to Vault', () => {
    let postgres: PostgresCluster;
    let vault: VaultTestServer;
    let client: VaultClient;
    let credentials: LeasedCredentials;
    const work = mkdtempSync(join(tmpdir(), 'sentinel-vault-deploy-'));

    beforeAll(async () => {
      postgres = await startPostgresCluster();
      // The database administrator's part (docs/security.md).
      postgres.psql('CREATE ROLE sentinel_owner NOLOGIN CREATEDB');
      vault = new VaultTestServer({
        database: {
          host: postgres.host,
          port: postgres.port,
          user: 'postgres',
          password: postgres.superuserPassword,
        },
      });
      await vault.start();
      // vault policy write sentinel; vault write auth/kubernetes/role/sentinel;
      // vault write database/roles/sentinel, from the ConfigMap.
      vault.writePolicy(
        kubernetesRole.token_policies[0],
        parsePolicy(configMap.data['policy.hcl']),
      );
      vault.writeKubernetesRole(sentinelConfig.vault.auth.kubernetes.role, {
        boundServiceAccountNames: kubernetesRole.bound_service_account_names,
        boundServiceAccountNamespaces:
          kubernetesRole.bound_service_account_namespaces,
        policies: kubernetesRole.token_policies,
        tokenTtl: seconds(kubernetesRole.token_ttl),
        tokenMaxTtl: seconds(kubernetesRole.token_max_ttl),
      });
      vault.writeDatabaseRole(sentinelConfig.vault.database.role, {
        creationStatements: databaseRole.creation_statements,
        revocationStatements: databaseRole.revocation_statements,
        defaultTtl: seconds(databaseRole.default_ttl),
        maxTtl: seconds(databaseRole.max_ttl),
      });
      const account = only(rendering.objects, 'ServiceAccount');
      const tokenPath = join(work, 'token');
      writeFileSync(
        tokenPath,
        vault.issueServiceAccountToken(
          account.metadata.namespace as string,
          account.metadata.name,
        ),
      );
      client = new VaultClient({
        address: vault.url,
        role: sentinelConfig.vault.auth.kubernetes.role,
        tokenPath,
        logger: mockServices.logger.mock(),
      });
      credentials = new LeasedCredentials(client, {
        path: `database/creds/${sentinelConfig.vault.database.role}`,
        logger: mockServices.logger.mock(),
      });
    });

    afterAll(async () => {
      credentials?.stop();
      client?.close();
      await vault?.stop();
      postgres?.stop();
      rmSync(work, { recursive: true, force: true });
    });

    const connect = (
      credential: { username: string; password: string },
      database = 'postgres',
    ) =>
      knexFactory({
        client: 'pg',
        connection: {
          host: postgres.host,
          port: postgres.port,
          user: credential.username,
          password: credential.password,
          database,
        },
        pool: { min: 0, max: 1 },
        // The refused login below is expected; knex would print it.
        log: { warn() {}, error() {}, debug() {}, deprecate() {} },
      });

    it('lets Sentinel read the KV v2 secrets its config names, take database credentials and renew them: exactly the paths of the policy', async () => {
      const references = [
        ...configMap.data['config.yaml'].matchAll(/\$\{(vault:[^}]+)\}/g),
      ].map(m => m[1]);
      expect(references.length).toBeGreaterThan(0);
      const values: Record<string, string> = {};
      for (const reference of references) {
        const key = reference.split('#')[1];
        values[key] = `test-${key}-${Math.random().toString(36).slice(2)}`;
      }
      vault.writeKv('secret', 'sentinel', values);
      const substitute = createVaultSubstitution(client, {});
      for (const reference of references) {
        expect(await substitute(reference)).toBe(
          values[reference.split('#')[1]],
        );
      }
      const credential = await credentials.start();
      await client.request('PUT', 'sys/leases/renew', {
        lease_id: credential.leaseId,
        increment: seconds(databaseRole.default_ttl),
      });

      const used = new Set(
        vault.requests
          .filter(r => !r.path.startsWith('/v1/auth/'))
          .map(r => r.path.replace(/^\/v1\//, '')),
      );
      expect([...used].sort()).toEqual(
        Object.keys(parsePolicy(configMap.data['policy.hcl'])).sort(),
      );
      expect(vault.requests.every(r => r.status === 200)).toBe(true);
      await expect(client.read('secret/data/other')).rejects.toMatchObject({
        status: 403,
      });
    });

    it('gives users that share what they create: databases and tables of one user stay usable by the next, and revoking one drops nothing else', async () => {
      const first = credentials.current();
      // As Backstage makes a plugin's database (ensureExists), then its tables.
      const admin = connect(first);
      await admin.raw('CREATE DATABASE backstage_plugin_probe');
      await admin.destroy();
      const db1 = connect(first, 'backstage_plugin_probe');
      await db1.schema.createTable('sentinel_probe', t => t.string('note'));
      await db1('sentinel_probe').insert({ note: 'from the first user' });
      await credentials.rotate();
      const second = credentials.current();
      expect(second.username).not.toBe(first.username);
      await vault.revokeLease(first.leaseId);
      await db1.destroy();
      const db2 = connect(second, 'backstage_plugin_probe');
      try {
        await db2('sentinel_probe').insert({ note: 'from the second user' });
        expect(
          (await db2('sentinel_probe').select('note')).map(r => r.note),
        ).toEqual(['from the first user', 'from the second user']);
        const [{ tableowner }] = await db2('pg_tables')
          .where({ tablename: 'sentinel_probe' })
          .select('tableowner');
        expect(tableowner).toBe('sentinel_owner');
        expect(
          postgres.psql(
            `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'backstage_plugin_probe'`,
          ),
        ).toBe('sentinel_owner');
        const revoked = connect(first);
        await expect(revoked.raw('SELECT 1')).rejects.toThrow(
          /password authentication failed/,
        );
        await revoked.destroy();
      } finally {
        await db2.destroy();
      }
    });
  });
});
