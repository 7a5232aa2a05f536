import { createBackendModule } from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createWorkloadsAnnotationAction } from './actions/workloadsAnnotation';

/**
 * Adds Sentinel's template actions to the scaffolder.
 *
 * @public
 */
export const scaffolderModuleSentinel = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'sentinel',
  register({ registerInit }) {
    registerInit({
      deps: { scaffolderActions: scaffolderActionsExtensionPoint },
      async init({ scaffolderActions }) {
        scaffolderActions.addActions(createWorkloadsAnnotationAction());
      },
    });
  },
});
