import type { Knex } from 'knex';
import type { LeasedCredential } from './LeasedCredentials';

/**
 * The members of knex's Client that knex itself uses for `connection` given as a function
 * (knex/lib/client.js: a provider called when the pool creates a connection, re-called when its
 * `expirationChecker` says so) and for the pool's validation on acquire.
 */
interface KnexClientInternals {
  connectionSettings: Record<string, unknown>;
  /** knex's tarn pool: `createFail` is emitted when a new connection cannot be made. */
  pool?: {
    on(
      event: 'createFail',
      listener: (id: number, error: unknown) => void,
    ): void;
  };
  connectionConfigProvider?: () => Promise<Record<string, unknown>>;
  connectionConfigExpirationChecker?: (() => boolean) | null;
  validateConnection(connection: unknown): boolean | Promise<boolean>;
}

/**
 * Makes a knex PostgreSQL client built by Backstage's database manager (with the credentials of
 * the moment) take its user and password from `current()` for every new connection, as knex does
 * for `connection: async () => ...`. A connection of any other user (the previous credentials)
 * is retired when it is next taken from the pool, so once credentials rotate, connections move
 * to the new user within one use each, and queries running on an old connection finish on it;
 * the old lease must outlast them (it is renewed until the new credentials arrive, with a third
 * of its TTL or more left). When PostgreSQL refuses the current credentials (their lease was
 * revoked, or ended), `refused` is called, so new ones are taken at once rather than at the next
 * renewal.
 */
export function useRotatingCredentials(
  knex: Knex,
  current: () => LeasedCredential,
  refused: (credential: LeasedCredential) => void,
): void {
  const client = knex.client as unknown as KnexClientInternals;
  if (typeof client.validateConnection !== 'function') {
    throw new Error(
      'knex client without validateConnection: unsupported knex version',
    );
  }
  const {
    user: _user,
    password: _password,
    ...base
  } = client.connectionSettings;
  let lastUsed: LeasedCredential | undefined;
  client.connectionConfigProvider = async () => {
    const credential = current();
    lastUsed = credential;
    return {
      ...base,
      user: credential.username,
      password: credential.password,
      expirationChecker: () => current().username !== credential.username,
    };
  };
  // The provider is called for the next connection the pool creates.
  client.connectionConfigExpirationChecker = () => true;
  client.pool?.on('createFail', (_id, error) => {
    // 28P01 invalid_password (also a role that no longer exists), 28000 invalid authorization.
    const code = (error as { code?: string })?.code;
    if ((code === '28P01' || code === '28000') && lastUsed) {
      if (lastUsed.username === current().username) refused(lastUsed);
    }
  });
  const validate = client.validateConnection.bind(client);
  client.validateConnection = connection =>
    (connection as { user?: string }).user === current().username &&
    validate(connection);
}
