import { createFrontendPlugin } from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { sentinelApi } from './api';

/** The "Sentinel" tab on the catalog page of every component. */
export const sentinelEntityContent = EntityContentBlueprint.make({
  params: {
    path: '/sentinel',
    title: 'Sentinel',
    filter: { kind: 'component' },
    loader: () =>
      import('./components/SentinelEntityContent').then(m => (
        <m.SentinelEntityContent />
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
  extensions: [sentinelApi, sentinelEntityContent],
});
