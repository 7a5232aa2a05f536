import type { RootHealthService } from '@backstage/backend-plugin-api';

/** Why a replica must not take traffic; its message is the 503's. */
export class NotReadyError extends Error {
  name = 'NotReadyError';
}

/** A ready replica's state: what is degraded while it still serves (none when all is well). */
export interface Readiness {
  warnings: string[];
}

/**
 * Readiness of a replica: the whole backend has started and is not stopping (a replica whose
 * catalog or auth failed to start would otherwise answer 500s in rotation, and a stopping one
 * would take new requests it cannot finish), and the plan store answers. The backend's
 * readiness may carry `warnings` (packages/backend: Vault sealed or unreachable while the
 * secrets held are still valid); they are passed on.
 */
export async function readiness(
  rootHealth: RootHealthService,
  plans: { ping(): Promise<void> },
): Promise<Readiness> {
  const backend = await rootHealth.getReadiness();
  if (backend.status !== 200) {
    throw new NotReadyError(`the backend is not ready: ${describe(backend)}`);
  }
  try {
    await plans.ping();
  } catch (error) {
    throw new NotReadyError('the plan store is not reachable', {
      cause: error,
    });
  }
  const warnings = (backend.payload as { warnings?: unknown } | undefined)
    ?.warnings;
  return {
    warnings: Array.isArray(warnings)
      ? warnings.filter((w): w is string => typeof w === 'string')
      : [],
  };
}

function describe(readinessAnswer: { payload?: unknown }): string {
  const payload = readinessAnswer.payload as { message?: unknown } | undefined;
  return typeof payload?.message === 'string'
    ? payload.message
    : 'it has not started or is stopping';
}
