import { ServiceUnavailableError } from '@backstage/errors';
import type { ClusterDriver } from '@internal/backstage-plugin-sentinel-node';
import express from 'express';
import Router from 'express-promise-router';
import type { Knex } from 'knex';

export interface RouterOptions {
  knex: Knex;
  clusterDrivers: ReadonlyMap<string, ClusterDriver>;
}

/** HTTP API of the Sentinel backend; translates requests into service calls. */
export async function createRouter({
  knex,
  clusterDrivers,
}: RouterOptions): Promise<express.Router> {
  const router = Router();
  router.use(express.json({ limit: '1mb' }));

  // Readiness for load balancers and probes: the plan store answers and is migrated.
  router.get('/health', async (_req, res) => {
    try {
      await knex('plans').select(knex.raw('1')).limit(1);
    } catch (error) {
      throw new ServiceUnavailableError(
        'the plan store is not reachable',
        error,
      );
    }
    res.json({
      status: 'ok',
      clusters: [...clusterDrivers.keys()].sort(),
    });
  });

  return router;
}
