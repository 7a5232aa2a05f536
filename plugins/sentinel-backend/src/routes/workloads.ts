import { workloadReadPermission } from '@internal/backstage-plugin-sentinel-common';
import type express from 'express';
import type { WorkloadInventory } from '../kubernetes/WorkloadInventory';
import { intParam, one, type RouteSupport } from './support';

/** GET /v1/workloads, served from the list+watch inventory, never from the API servers. */
export function addWorkloadRoutes(
  router: express.Router,
  inventory: WorkloadInventory,
  { authorize }: RouteSupport,
) {
  router.get('/v1/workloads', async (req, res) => {
    await authorize(req, workloadReadPermission);
    const limit = intParam(req.query.limit, 'limit', {
      min: 1,
      max: 500,
      default: 100,
    });
    res.json(
      await inventory.list(
        {
          entityRef: one(req.query.entityRef, 'entityRef'),
          cluster: one(req.query.cluster, 'cluster'),
          namespace: one(req.query.namespace, 'namespace'),
        },
        { limit, cursor: one(req.query.cursor, 'cursor') },
      ),
    );
  });
}
