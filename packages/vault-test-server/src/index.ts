/**
 * A Vault API test server following Vault's documented HTTP API, for Sentinel's tests.
 *
 * @packageDocumentation
 */
export { VaultTestServer, matchesPolicyPath } from './VaultTestServer';
export type {
  DatabaseConnection,
  DatabaseRole,
  KubernetesAuthRole,
  VaultLease,
  VaultPolicy,
  VaultTestServerOptions,
} from './VaultTestServer';
export { freePort, startPostgresCluster } from './postgres';
export type { PostgresCluster, StartPostgresClusterOptions } from './postgres';
