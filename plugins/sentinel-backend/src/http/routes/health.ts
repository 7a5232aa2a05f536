import { ServiceUnavailableError } from '@backstage/errors';
import type { ApiRouter } from '../apiRouter';
import { getHealth } from './health.api';

/** Readiness for load balancers and probes: the plan store answers and is migrated. */
export function addHealthRoutes(
  api: ApiRouter,
  options: { health: () => Promise<void>; clusters: readonly string[] },
) {
  api.route(getHealth, async ({ reply }) => {
    try {
      await options.health();
    } catch (error) {
      throw new ServiceUnavailableError(
        'the plan store is not reachable',
        error,
      );
    }
    reply(200, { status: 'ok', clusters: [...options.clusters].sort() });
  });
}
