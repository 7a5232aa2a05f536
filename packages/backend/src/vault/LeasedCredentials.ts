import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  backoffMs,
  renewalDelayMs,
  VaultResponseError,
  type VaultClient,
} from './VaultClient';

/** A username and password from Vault's database secrets engine, under a lease. */
export interface LeasedCredential {
  username: string;
  password: string;
  leaseId: string;
  /** When the lease ends unless renewed (ms since the epoch). */
  expiresAt: number;
}

/**
 * Dynamic credentials (`<mount>/creds/<role>`) kept valid: the lease is renewed at two thirds
 * of its TTL; when Vault renews it for less than asked (its max TTL is near), revokes it, or
 * Sentinel's token changed (a token that ends takes its leases with it), new credentials are
 * taken while the old ones are still valid, and listeners hear of the change. While Vault does
 * not answer, the credentials held stay in use until their lease ends, and renewal is retried
 * with back-off.
 */
export class LeasedCredentials {
  readonly #client: VaultClient;
  readonly #path: string;
  readonly #logger: LoggerService;
  readonly #now: () => number;
  #current?: LeasedCredential & { ttl: number; login: number };
  #rotating?: Promise<void>;
  #timer?: NodeJS.Timeout;
  #failures = 0;
  #stopped = false;
  readonly #listeners = new Set<(credential: LeasedCredential) => void>();
  readonly #unsubscribe: () => void;

  constructor(
    client: VaultClient,
    options: { path: string; logger: LoggerService; now?: () => number },
  ) {
    this.#client = client;
    this.#path = options.path;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#unsubscribe = client.onLogin(() => {
      const current = this.#current;
      if (current && current.login < client.logins) {
        this.#logger.info(
          `Sentinel logged in to Vault again: replacing the credentials from ${
            this.#path
          }, whose lease ends with the previous token`,
        );
        void this.rotate();
      }
    });
  }

  get path() {
    return this.#path;
  }

  /** Takes the first credentials (throws when Vault cannot give them). */
  async start(): Promise<LeasedCredential> {
    await this.rotate({ throwOnFailure: true });
    return this.current();
  }

  /** The credentials to use for new connections. */
  current(): LeasedCredential {
    if (!this.#current) {
      throw new Error(`No credentials from ${this.#path} yet`);
    }
    const { ttl: _ttl, login: _login, ...credential } = this.#current;
    return credential;
  }

  /** Whether the credentials held are still valid (their lease has not ended). */
  valid(): boolean {
    return !!this.#current && this.#current.expiresAt > this.#now();
  }

  /** Called with the new credentials after each rotation. */
  onRotate(listener: (credential: LeasedCredential) => void) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#unsubscribe();
  }

  /**
   * The database refused these credentials (their lease was revoked or has ended): new ones
   * now, unless they have been replaced already.
   */
  refused(credential: LeasedCredential) {
    if (this.#current?.leaseId !== credential.leaseId) return;
    this.#logger.warn(
      `The database refused user ${credential.username} (lease revoked or ended); taking new credentials`,
    );
    void this.rotate();
  }

  /** Takes new credentials now (at most one request at a time); the old lease is left to end. */
  rotate(options: { throwOnFailure?: boolean } = {}): Promise<void> {
    this.#rotating ??= this.#issue(options.throwOnFailure ?? false).finally(
      () => {
        this.#rotating = undefined;
      },
    );
    return this.#rotating;
  }

  async #issue(throwOnFailure: boolean) {
    try {
      const answer = await this.#client.read(this.#path);
      const { username, password } = answer.data ?? {};
      if (!answer.lease_id || !username || !password) {
        throw new Error(
          `Vault's answer for ${this.#path} has no lease or credentials`,
        );
      }
      const ttl = answer.lease_duration ?? 0;
      const previous = this.#current;
      this.#current = {
        username,
        password,
        leaseId: answer.lease_id,
        expiresAt: this.#now() + ttl * 1000,
        ttl,
        login: this.#client.logins,
      };
      this.#failures = 0;
      this.#logger.info(
        `New database credentials from Vault (${
          this.#path
        }, user ${username}, lease ${ttl}s)${
          previous
            ? `; user ${previous.username} is no longer used for new connections`
            : ''
        }`,
      );
      this.#schedule(renewalDelayMs(ttl));
      const credential = this.current();
      for (const listener of this.#listeners) listener(credential);
    } catch (error) {
      if (throwOnFailure) throw error;
      this.#retryLater(error, () => this.rotate());
    }
  }

  async #renew() {
    const current = this.#current;
    if (!current) return;
    if (current.login < this.#client.logins) {
      await this.rotate();
      return;
    }
    try {
      const answer = await this.#client.request('PUT', 'sys/leases/renew', {
        lease_id: current.leaseId,
        increment: current.ttl,
      });
      if (this.#current !== current) return;
      const ttl = answer.lease_duration ?? 0;
      current.expiresAt = this.#now() + ttl * 1000;
      this.#failures = 0;
      if (ttl < current.ttl) {
        // Near its max TTL: new credentials now, while these have a third of a TTL or more left.
        this.#logger.info(
          `Vault renewed lease of database user ${current.username} for ${ttl}s only (its max TTL); taking new credentials`,
        );
        await this.rotate();
        return;
      }
      this.#schedule(renewalDelayMs(ttl));
    } catch (error) {
      if (error instanceof VaultResponseError && error.status < 500) {
        // 400 "lease not found": revoked, or ended with the token that took it.
        this.#logger.warn(
          `Vault no longer renews the lease of database user ${current.username}; taking new credentials`,
          error,
        );
        await this.rotate();
        return;
      }
      this.#retryLater(error, () => this.#renew());
    }
  }

  #retryLater(error: unknown, retry: () => Promise<void>) {
    this.#failures += 1;
    const backoff = backoffMs(this.#failures);
    const left = (this.#current?.expiresAt ?? 0) - this.#now();
    const delay = left > 1000 ? Math.min(backoff, left - 1000) : backoff;
    const held = this.#current
      ? `; user ${
          this.#current.username
        } stays in use until its lease ends at ${new Date(
          this.#current.expiresAt,
        ).toISOString()}`
      : '';
    this.#logger.warn(
      `Vault did not renew or give database credentials (${
        this.#path
      }); retrying in ${delay} ms${held}`,
      error as Error,
    );
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void retry(), delay);
    this.#timer.unref();
  }

  #schedule(delayMs: number) {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#renew(), delayMs);
    this.#timer.unref();
  }
}
