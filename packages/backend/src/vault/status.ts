import type { VaultConnectionState } from './VaultClient';

/** What Sentinel holds from Vault and whether Vault answers. */
export interface VaultStatus {
  connection: VaultConnectionState;
  /** The dynamic database credentials, with `vault.database`. */
  database?: {
    username: string;
    /** When their lease ends unless renewed (ms since the epoch). */
    validUntil: number;
  };
}

/** Readiness from the Vault status: ready or not, and what a ready replica should say anyway. */
export interface VaultReadiness {
  ready: boolean;
  /** Why not ready (the 503's message), or what is degraded while ready. */
  messages: string[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A replica that still holds valid secrets keeps serving while Vault is sealed or unreachable,
 * and says so; once the database credentials' lease has ended without a replacement, it is not
 * ready (every query would fail). Secrets from KV v2 are read when the config loads and have no
 * lease: they stay in use until the next start. Pure: `now` is passed in.
 */
export function vaultReadiness(
  status: VaultStatus,
  now: number,
): VaultReadiness {
  const { connection, database } = status;
  const unavailable =
    connection.state === 'unavailable'
      ? `Vault is ${connection.reason ?? 'unavailable'} since ${iso(
          connection.since,
        )}`
      : undefined;
  if (database && database.validUntil <= now) {
    return {
      ready: false,
      messages: [
        `the database credentials from Vault (user ${
          database.username
        }) ended at ${iso(database.validUntil)} and no new ones were given${
          unavailable ? ` (${unavailable})` : ''
        }`,
      ],
    };
  }
  if (!unavailable) return { ready: true, messages: [] };
  return {
    ready: true,
    messages: [
      database
        ? `${unavailable}; the database credentials held (user ${
            database.username
          }) stay valid until ${iso(database.validUntil)}`
        : `${unavailable}; the secrets read at start stay in use`,
    ],
  };
}
