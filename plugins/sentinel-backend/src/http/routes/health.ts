import { ServiceUnavailableError } from '@backstage/errors';
import type { ApiRouter } from '../apiRouter';
import { getHealth } from './health.api';

/** Readiness for load balancers and probes: the backend is up and the plan store answers. */
export function addHealthRoutes(
  api: ApiRouter,
  options: { health: () => Promise<void>; clusters: readonly string[] },
) {
  api.route(getHealth, async ({ reply }) => {
    try {
      await options.health();
    } catch (error) {
      throw new ServiceUnavailableError(
        error instanceof Error ? error.message : 'not ready',
        error,
      );
    }
    reply(200, { status: 'ok', clusters: [...options.clusters].sort() });
  });
}
