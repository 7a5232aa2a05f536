import type { LoggerService } from '@backstage/backend-plugin-api';
import { readFile } from 'node:fs/promises';

/** How Sentinel reaches Vault and logs in (`vault` in app-config; config.d.ts documents each key). */
export interface VaultClientOptions {
  /** Vault's address, e.g. `https://vault.vault.svc:8200`. */
  address: string;
  /** The Kubernetes auth role Sentinel logs in as. */
  role: string;
  /** The Kubernetes auth method's mount; `kubernetes` by default. */
  authMount?: string;
  /** The pod's service account token, read again for every login (kubelet rotates it). */
  tokenPath?: string;
  /** How long one request may take before Vault counts as unreachable; 5 s by default. */
  requestTimeoutMs?: number;
  logger: LoggerService;
  /** The clock, for tests. */
  now?: () => number;
}

/** Vault's answer envelope (https://developer.hashicorp.com/vault/api-docs). */
export interface VaultResponse {
  lease_id?: string;
  lease_duration?: number;
  renewable?: boolean;
  data?: any;
  warnings?: string[] | null;
  auth?: {
    client_token: string;
    lease_duration: number;
    renewable: boolean;
    policies?: string[];
  } | null;
}

/** Vault answered with an error status (`errors` is Vault's list). */
export class VaultResponseError extends Error {
  name = 'VaultResponseError';
  constructor(
    readonly status: number,
    readonly errors: string[],
    readonly path: string,
  ) {
    super(
      `Vault answered ${status} to ${path}${
        errors.length ? `: ${errors.join(', ')}` : ''
      }`,
    );
  }
}

/** Vault could not be asked: not reachable, too slow, sealed (503) or failing (5xx). */
export class VaultUnavailableError extends Error {
  name = 'VaultUnavailableError';
}

/** What Sentinel knows about its connection to Vault. */
export interface VaultConnectionState {
  /** `available` after the last request was answered; `unavailable` after it failed (unreachable, sealed, 5xx). */
  state: 'available' | 'unavailable';
  /** Why it is unavailable. */
  reason?: string;
  /** Since when it is in this state (ms since the epoch). */
  since: number;
}

export const DEFAULT_TOKEN_PATH =
  '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** The time of the next renewal: two thirds into a TTL (seconds), as Vault Agent does. */
export function renewalDelayMs(ttlSeconds: number): number {
  return Math.max(0, Math.floor((ttlSeconds * 1000 * 2) / 3));
}

/** Back-off after `attempt` failures (1 s, 2 s, 4 s ... at most 30 s). */
export function backoffMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));
}

/**
 * A Vault client over Vault's HTTP API: logs in with Kubernetes auth, keeps its token renewed
 * (at two thirds of its TTL), logs in again after a 403 (an ended or revoked token), and reports
 * whether Vault answers. Timers are per process on purpose (each replica holds its own token);
 * they are unref'd and end with {@link VaultClient.close}.
 */
export class VaultClient {
  readonly #options: Required<Omit<VaultClientOptions, 'logger' | 'now'>>;
  #logger: LoggerService;
  readonly #now: () => number;
  #token?: {
    value: string;
    expiresAt: number;
    renewable: boolean;
    /** The TTL the login gave, asked for again at each renewal. */
    ttl: number;
  };
  #logins = 0;
  #login?: Promise<string>;
  #renewTimer?: NodeJS.Timeout;
  #renewFailures = 0;
  #closed = false;
  #state: VaultConnectionState;
  readonly #listeners = new Set<(state: VaultConnectionState) => void>();
  readonly #loginListeners = new Set<() => void>();

  constructor(options: VaultClientOptions) {
    this.#options = {
      address: options.address.replace(/\/+$/, ''),
      role: options.role,
      authMount: options.authMount ?? 'kubernetes',
      tokenPath: options.tokenPath ?? DEFAULT_TOKEN_PATH,
      requestTimeoutMs: options.requestTimeoutMs ?? 5000,
    };
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#state = { state: 'available', since: this.#now() };
  }

  get address() {
    return this.#options.address;
  }

  /** Logs go here from now on (the config loads before Backstage's logger exists). */
  setLogger(logger: LoggerService) {
    this.#logger = logger;
  }

  state(): VaultConnectionState {
    return { ...this.#state };
  }

  /** Called whenever the connection state changes. */
  onStateChange(listener: (state: VaultConnectionState) => void) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * How many times the client has logged in. Vault revokes a token's leases when the token
   * ends, so a lease taken under an earlier login must be replaced before that token ends.
   */
  get logins() {
    return this.#logins;
  }

  /** Called after every new login (a new token: the leases of an ended one are gone). */
  onLogin(listener: () => void) {
    this.#loginListeners.add(listener);
    return () => this.#loginListeners.delete(listener);
  }

  /** `GET /v1/<path>` with the client's token. */
  read(path: string): Promise<VaultResponse> {
    return this.request('GET', path);
  }

  /** A request with the client's token; after a 403 it logs in again once and retries. */
  async request(
    method: 'GET' | 'PUT' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<VaultResponse> {
    const token = await this.#currentToken();
    try {
      return await this.#send(method, path, body, token);
    } catch (error) {
      if (error instanceof VaultResponseError && error.status === 403) {
        this.#logger.warn(
          `Vault refused Sentinel's token for ${path} (ended or revoked); logging in again`,
        );
        this.#token = undefined;
        const fresh = await this.#currentToken();
        return await this.#send(method, path, body, fresh);
      }
      throw error;
    }
  }

  /** Logs in now (at start, to fail fast on a wrong role or address). */
  async login(): Promise<void> {
    await this.#currentToken();
  }

  close() {
    this.#closed = true;
    clearTimeout(this.#renewTimer);
  }

  async #currentToken(): Promise<string> {
    if (this.#token && this.#token.expiresAt > this.#now()) {
      return this.#token.value;
    }
    this.#login ??= this.#doLogin().finally(() => {
      this.#login = undefined;
    });
    return this.#login;
  }

  async #doLogin(): Promise<string> {
    let jwt: string;
    try {
      jwt = (await readFile(this.#options.tokenPath, 'utf8')).trim();
    } catch (error) {
      throw new Error(
        `Cannot read the service account token for Vault's Kubernetes auth at ${
          this.#options.tokenPath
        }`,
        { cause: error },
      );
    }
    const answer = await this.#send(
      'POST',
      `auth/${this.#options.authMount}/login`,
      { role: this.#options.role, jwt },
    );
    if (!answer.auth?.client_token) {
      throw new Error('Vault answered the login without a client token');
    }
    this.#setToken(answer.auth, answer.auth.lease_duration);
    this.#logins += 1;
    this.#logger.info(
      `Logged in to Vault at ${this.#options.address} as role ${
        this.#options.role
      } (token TTL ${answer.auth.lease_duration}s)`,
    );
    for (const listener of this.#loginListeners) listener();
    return answer.auth.client_token;
  }

  #setToken(auth: NonNullable<VaultResponse['auth']>, loginTtl: number) {
    const ttl = auth.lease_duration;
    this.#token = {
      value: auth.client_token,
      // A TTL of 0 is a token that never ends (root tokens).
      expiresAt: ttl > 0 ? this.#now() + ttl * 1000 : Infinity,
      // Renewed to less than the login's TTL: the token is at its max TTL; log in again
      // (at two thirds of what is left) instead of renewing.
      renewable: auth.renewable && ttl >= loginTtl,
      ttl: loginTtl,
    };
    this.#renewFailures = 0;
    if (ttl > 0) this.#scheduleRenewal(renewalDelayMs(ttl));
  }

  #scheduleRenewal(delayMs: number) {
    clearTimeout(this.#renewTimer);
    if (this.#closed) return;
    this.#renewTimer = setTimeout(() => void this.#renewToken(), delayMs);
    this.#renewTimer.unref();
  }

  /** Renews the token (or logs in again when it cannot be renewed); on failure, retries with back-off. */
  async #renewToken() {
    const token = this.#token;
    try {
      if (!token || !token.renewable || token.expiresAt <= this.#now()) {
        this.#token = undefined;
        await this.#currentToken();
        return;
      }
      const answer = await this.#send(
        'POST',
        'auth/token/renew-self',
        { increment: token.ttl },
        token.value,
      );
      if (!answer.auth) throw new Error('Vault renewed without an auth block');
      this.#setToken(answer.auth, token.ttl);
    } catch (error) {
      if (error instanceof VaultResponseError && error.status === 403) {
        this.#token = undefined;
        this.#scheduleRenewal(0);
        return;
      }
      this.#renewFailures += 1;
      // Never wait past the token's end: a token that ends takes Sentinel's leases with it.
      const left = (this.#token?.expiresAt ?? 0) - this.#now();
      const backoff = backoffMs(this.#renewFailures);
      const delay = left > 1000 ? Math.min(backoff, left - 1000) : backoff;
      this.#logger.warn(
        `Renewing Sentinel's Vault token failed; retrying in ${delay} ms`,
        error as Error,
      );
      this.#scheduleRenewal(delay);
    }
  }

  async #send(
    method: string,
    path: string,
    body: unknown,
    token?: string,
  ): Promise<VaultResponse> {
    const url = `${this.#options.address}/v1/${path}`;
    const attempt = () =>
      fetch(url, {
        method,
        headers: {
          ...(token ? { 'X-Vault-Token': token } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.#options.requestTimeoutMs),
      });
    let response: Response;
    try {
      try {
        response = await attempt();
      } catch (error) {
        // A kept-alive connection the server closed meanwhile: once more, on a new connection.
        if (!isClosedConnection(error)) throw error;
        response = await attempt();
      }
    } catch (error) {
      const reason =
        (error as Error)?.name === 'TimeoutError'
          ? `no answer within ${this.#options.requestTimeoutMs} ms`
          : `not reachable (${describeFetchError(error)})`;
      this.#setState('unavailable', reason);
      throw new VaultUnavailableError(
        `Vault at ${this.#options.address} is ${reason}`,
        {
          cause: error,
        },
      );
    }
    const text = await response.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = {};
    }
    if (response.status === 503 || response.status >= 500) {
      const errors: string[] = Array.isArray(json.errors) ? json.errors : [];
      const reason = errors.some(e => /sealed/i.test(e))
        ? 'sealed'
        : `answering ${response.status}${
            errors.length ? ` (${errors.join(', ')})` : ''
          }`;
      this.#setState('unavailable', reason);
      throw new VaultUnavailableError(
        `Vault at ${this.#options.address} is ${reason}`,
      );
    }
    this.#setState('available');
    if (!response.ok) {
      throw new VaultResponseError(
        response.status,
        Array.isArray(json.errors) ? json.errors : [],
        path,
      );
    }
    return json as VaultResponse;
  }

  #setState(state: VaultConnectionState['state'], reason?: string) {
    if (this.#state.state === state && this.#state.reason === reason) return;
    const changed = this.#state.state !== state;
    this.#state = {
      state,
      reason,
      since: changed ? this.#now() : this.#state.since,
    };
    if (changed) {
      if (state === 'available') {
        this.#logger.info(`Vault at ${this.#options.address} answers again`);
      } else {
        this.#logger.warn(`Vault at ${this.#options.address} is ${reason}`);
      }
    }
    for (const listener of this.#listeners) listener(this.state());
  }
}

function isClosedConnection(error: unknown): boolean {
  const code = (error as { cause?: { code?: string } })?.cause?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })
    ?.cause;
  return cause?.code ?? cause?.message ?? String((error as Error)?.message);
}
