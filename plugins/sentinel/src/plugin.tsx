import { createFrontendPlugin } from '@backstage/frontend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { SENTINEL_WORKLOADS_ANNOTATION } from '@internal/backstage-plugin-sentinel-common';
import { sentinelApi } from './api';

/** Whether Sentinel manages any of the entity's workloads (the annotation is set). */
const isManaged = (entity: Entity) =>
  !!entity.metadata.annotations?.[SENTINEL_WORKLOADS_ANNOTATION];

/** The "Sentinel" tab on the catalog page of every service Sentinel manages. */
export const sentinelEntityContent = EntityContentBlueprint.make({
  params: {
    path: '/sentinel',
    title: 'Sentinel',
    filter: isManaged,
    loader: () =>
      import('./components/SentinelEntityContent').then(m => (
        <m.SentinelEntityContent />
      )),
  },
});

/** Sentinel at a glance on the Overview tab of every service Sentinel manages. */
export const sentinelOverviewCard = EntityCardBlueprint.make({
  name: 'overview',
  params: {
    filter: isManaged,
    loader: () =>
      import('./components/SentinelOverviewCard').then(m => (
        <m.SentinelOverviewCard />
      )),
  },
});

/**
 * Sentinel's frontend plugin: workload, rollout, rollback and freeze status of a service.
 *
 * @public
 */
export const sentinelPlugin = createFrontendPlugin({
  pluginId: 'sentinel',
  info: { packageJson: () => import('../package.json') },
  extensions: [sentinelApi, sentinelEntityContent, sentinelOverviewCard],
});
