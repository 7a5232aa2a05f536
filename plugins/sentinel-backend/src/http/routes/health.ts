import { ServiceUnavailableError } from '@backstage/errors';
import type { ApiRouter } from '../apiRouter';
import { getHealth } from './health.api';

/**
 * Readiness for load balancers and probes: the backend is up and the plan store answers; a
 * ready replica says what is degraded in `warnings`.
 */
export function addHealthRoutes(
  api: ApiRouter,
  options: {
    health: () => Promise<{ warnings: string[] }>;
    clusters: readonly string[];
  },
) {
  api.route(getHealth, async ({ reply }) => {
    let warnings: string[];
    try {
      ({ warnings } = await options.health());
    } catch (error) {
      throw new ServiceUnavailableError(
        error instanceof Error ? error.message : 'not ready',
        error,
      );
    }
    reply(200, {
      status: 'ok',
      clusters: [...options.clusters].sort(),
      ...(warnings.length ? { warnings } : {}),
    });
  });
}
