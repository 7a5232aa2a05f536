import type {
  RootHealthService,
  RootLifecycleService,
} from '@backstage/backend-plugin-api';
import { vaultReadiness, type VaultStatus } from './status';

/**
 * Backend readiness as Backstage's own (not before startup, not while stopping), and not while
 * the database credentials from Vault have ended; while ready, the payload's `warnings` say what
 * is degraded (Vault sealed or unreachable while the secrets held are still valid).
 */
export class VaultAwareRootHealth implements RootHealthService {
  #state: 'init' | 'up' | 'down' = 'init';
  readonly #status: () => VaultStatus | undefined;

  constructor(
    lifecycle: RootLifecycleService,
    status: () => VaultStatus | undefined,
  ) {
    this.#status = status;
    lifecycle.addStartupHook(() => {
      this.#state = 'up';
    });
    lifecycle.addBeforeShutdownHook(() => {
      this.#state = 'down';
    });
  }

  async getLiveness() {
    return { status: 200, payload: { status: 'ok' } };
  }

  async getReadiness() {
    if (this.#state !== 'up') {
      const message =
        this.#state === 'init'
          ? 'Backend has not started yet'
          : 'Backend is shutting down';
      return { status: 503, payload: { message, status: 'error' } };
    }
    const status = this.#status();
    if (!status) return { status: 200, payload: { status: 'ok' } };
    const readiness = vaultReadiness(status, Date.now());
    if (!readiness.ready) {
      return {
        status: 503,
        payload: { message: readiness.messages.join('; '), status: 'error' },
      };
    }
    return {
      status: 200,
      payload: readiness.messages.length
        ? { status: 'ok', warnings: readiness.messages }
        : { status: 'ok' },
    };
  }
}
