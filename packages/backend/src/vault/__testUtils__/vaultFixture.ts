import { mockServices } from '@backstage/backend-test-utils';
import {
  startPostgresCluster,
  VaultTestServer,
  type PostgresCluster,
} from '@internal/vault-test-server';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The role that owns Sentinel's databases and tables; each dynamic user is a member. */
export const OWNER_ROLE = 'sentinel_owner';

/**
 * Vault's PostgreSQL role for Sentinel, as deploy/k8s/vault.yaml configures it: each user is a
 * member of the owner role and acts as it (`SET role`), so what one user creates the next one
 * owns too, and dropping a user drops nothing else.
 */
export const CREATION_STATEMENTS = [
  `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE ${OWNER_ROLE}`,
  `ALTER ROLE "{{name}}" SET role = '${OWNER_ROLE}'`,
];

export interface VaultFixture {
  vault: VaultTestServer;
  postgres?: PostgresCluster;
  /** The file holding the pod's service account token. */
  tokenPath: string;
  /** Writes a new service account token to the file (as kubelet rotates it) and returns it. */
  rotateServiceAccountToken(): string;
  stop(): Promise<void>;
}

/**
 * A Vault test server set up as deploy/k8s/vault.yaml sets up Vault for Sentinel: Kubernetes
 * auth role `sentinel` bound to service account sentinel/sentinel, policy `sentinel`, KV v2 at
 * `secret/`, and with `database`, a database role `sentinel` on a PostgreSQL cluster of its own
 * that checks passwords.
 */
export async function startVaultFixture(
  options: {
    database?: boolean;
    tokenTtl?: number;
    leaseTtl?: number;
    leaseMaxTtl?: number;
  } = {},
): Promise<VaultFixture> {
  let postgres: PostgresCluster | undefined;
  if (options.database) {
    postgres = await startPostgresCluster();
    postgres.psql(`CREATE ROLE ${OWNER_ROLE} NOLOGIN CREATEDB`);
  }
  const vault = new VaultTestServer({
    database: postgres && {
      host: postgres.host,
      port: postgres.port,
      user: 'postgres',
      password: postgres.superuserPassword,
    },
  });
  await vault.start();
  vault.writePolicy('sentinel', {
    'secret/data/sentinel': ['read'],
    'secret/data/sentinel/*': ['read'],
    'database/creds/sentinel': ['read'],
    'sys/leases/renew': ['update'],
  });
  vault.writeKubernetesRole('sentinel', {
    boundServiceAccountNames: ['sentinel'],
    boundServiceAccountNamespaces: ['sentinel'],
    policies: ['sentinel'],
    tokenTtl: options.tokenTtl ?? 3600,
  });
  if (postgres) {
    vault.writeDatabaseRole('sentinel', {
      creationStatements: CREATION_STATEMENTS,
      defaultTtl: options.leaseTtl ?? 3600,
      maxTtl: options.leaseMaxTtl ?? 86400,
    });
  }
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-vault-'));
  const tokenPath = join(dir, 'token');
  const rotateServiceAccountToken = () => {
    const jwt = vault.issueServiceAccountToken('sentinel', 'sentinel');
    writeFileSync(tokenPath, jwt);
    return jwt;
  };
  rotateServiceAccountToken();
  return {
    vault,
    postgres,
    tokenPath,
    rotateServiceAccountToken,
    async stop() {
      await vault.stop();
      postgres?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const testLogger = () => mockServices.logger.mock();
