import { readDurationFromConfig, type Config } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { DEFAULT_TOKEN_PATH } from './VaultClient';

/** `vault` in app-config, read and checked (config.d.ts documents each key). */
export interface VaultConfig {
  address: string;
  role: string;
  authMount: string;
  tokenPath: string;
  requestTimeoutMs: number;
  /** Dynamic PostgreSQL credentials for `backend.database`; static ones from config without it. */
  database?: { mount: string; role: string };
}

/** Reads `vault`; undefined when Sentinel does not use Vault (the embedded default). */
export function readVaultConfig(config: Config): VaultConfig | undefined {
  const vault = config.getOptionalConfig('vault');
  if (!vault) return undefined;
  const kubernetes = vault.getConfig('auth.kubernetes');
  const database = vault.getOptionalConfig('database');
  const address = vault.getString('address');
  if (!/^https?:\/\//.test(address)) {
    throw new Error(`vault.address must be an http(s) URL, got "${address}"`);
  }
  return {
    address,
    role: kubernetes.getString('role'),
    authMount: kubernetes.getOptionalString('mount') ?? 'kubernetes',
    tokenPath: kubernetes.getOptionalString('tokenPath') ?? DEFAULT_TOKEN_PATH,
    requestTimeoutMs: vault.has('requestTimeout')
      ? durationToMilliseconds(
          readDurationFromConfig(vault, { key: 'requestTimeout' }),
        )
      : 5000,
    database: database && {
      mount: database.getOptionalString('mount') ?? 'database',
      role: database.getString('role'),
    },
  };
}
