import type { VaultClient } from './VaultClient';

/** `${vault:<mount>/data/<path>#<key>}`: a key of a KV v2 secret. */
const VAULT_REFERENCE = /^vault:([^#]+)#(.+)$/;

export function isVaultReference(name: string): boolean {
  return name.startsWith('vault:');
}

/**
 * The substitution for app-config's `${...}`: `${vault:secret/data/sentinel#redis-password}`
 * reads key `redis-password` of the KV v2 secret at `secret/data/sentinel` (the API path, with
 * `data/`); any other name is an environment variable, as Backstage's own substitution does.
 * Each reference is one read, whenever the config files are loaded (at start, and again when
 * the file watcher sees a change).
 */
export function createVaultSubstitution(
  client: VaultClient | undefined,
  env: Record<string, string | undefined> = process.env,
) {
  return async (name: string): Promise<string | undefined> => {
    if (!isVaultReference(name)) return env[name]?.trim();
    const match = VAULT_REFERENCE.exec(name);
    if (!match) {
      throw new Error(
        `\${${name}} is not a Vault reference of the form \${vault:<mount>/data/<path>#<key>}`,
      );
    }
    if (!client) {
      throw new Error(
        `app-config refers to Vault (\${${name}}) but vault.address and vault.auth.kubernetes.role are not set`,
      );
    }
    const [, path, key] = match;
    const answer = await client.read(path);
    const data = answer.data?.data;
    if (!data || typeof data !== 'object') {
      throw new Error(`Vault's secret at ${path} is not a KV v2 secret`);
    }
    const value = data[key];
    if (value === undefined || value === null) {
      throw new Error(`Vault's secret at ${path} has no key "${key}"`);
    }
    return typeof value === 'string' ? value : JSON.stringify(value);
  };
}
