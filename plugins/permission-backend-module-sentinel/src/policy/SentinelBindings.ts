import type {
  AuthService,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type { RoleBindingsVersion } from '@internal/backstage-plugin-sentinel-common';
import type { PolicyBindings } from './SentinelPolicy';

/**
 * The role bindings in force, read from Sentinel's bindings API (GET /v1/rbac/bindings) and
 * kept for `ttlMs`: a change made through the API takes effect on every replica within
 * seconds. Until Sentinel answers (it may start after the permission backend), and while it
 * does not, the last bindings read are used, at first app-config's.
 *
 * @public
 */
export class SentinelBindings {
  #value: PolicyBindings;
  #readAt = 0;
  #reading?: Promise<void>;
  #warned = false;

  constructor(
    private readonly deps: {
      discovery: DiscoveryService;
      auth: AuthService;
      logger: LoggerService;
      /** app-config's bindings, used until Sentinel's are read. */
      initial: PolicyBindings;
      ttlMs?: number;
    },
  ) {
    this.#value = deps.initial;
  }

  /** The bindings; a stale copy is served while a fresh one loads. */
  async get(): Promise<PolicyBindings> {
    const ttl = this.deps.ttlMs ?? 3_000;
    if (Date.now() - this.#readAt > ttl && !this.#reading) {
      this.#reading = this.#read().finally(() => {
        this.#reading = undefined;
      });
      // The first read is waited for, so a fresh start does not decide on config alone.
      if (this.#readAt === 0) await this.#reading;
    }
    return this.#value;
  }

  async #read(): Promise<void> {
    try {
      const { token } = await this.deps.auth.getPluginRequestToken({
        onBehalfOf: await this.deps.auth.getOwnServiceCredentials(),
        targetPluginId: 'sentinel',
      });
      const url = `${await this.deps.discovery.getBaseUrl(
        'sentinel',
      )}/v1/rbac/bindings`;
      const response = await fetch(url, {
        headers: { Authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(2_000),
      });
      if (!response.ok) {
        throw new Error(`GET ${url} answered ${response.status}`);
      }
      const stored = (await response.json()) as RoleBindingsVersion | null;
      if (stored) {
        this.#value = {
          roles: stored.roles,
          defaultRole: stored.defaultRole ?? undefined,
        };
      }
      this.#readAt = Date.now();
      this.#warned = false;
    } catch (error) {
      // Try again soon; say so once per outage.
      this.#readAt = Date.now() - (this.deps.ttlMs ?? 3_000) + 1_000;
      if (!this.#warned) {
        this.#warned = true;
        this.deps.logger.warn(
          `Sentinel's role bindings could not be read; deciding with the last ones read: ${error}`,
        );
      }
    }
  }
}
