import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createFilesExportAction } from './actions/filesExport';
import { createFreezeCreateAction } from './actions/freezeCreate';
import { createPlanSubmitAction } from './actions/planSubmit';
import { createRolloutControlAction } from './actions/rolloutControl';
import { createWorkloadAnnotateAction } from './actions/workloadAnnotate';
import { createWorkloadsAnnotationAction } from './actions/workloadsAnnotation';

/**
 * Adds Sentinel's template actions to the scaffolder. Each acts on Sentinel with the
 * credentials of the user who runs the template.
 *
 * @public
 */
export const scaffolderModuleSentinel = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'sentinel',
  register({ registerInit }) {
    registerInit({
      deps: {
        scaffolderActions: scaffolderActionsExtensionPoint,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        config: coreServices.rootConfig,
        catalog: catalogServiceRef,
      },
      async init({ scaffolderActions, auth, discovery, config, catalog }) {
        const caller = { auth, discovery };
        scaffolderActions.addActions(
          createPlanSubmitAction(caller),
          createFreezeCreateAction(caller),
          createWorkloadAnnotateAction({ ...caller, catalog }),
          createRolloutControlAction(caller),
          createFilesExportAction({
            outputDirectory: config.getOptionalString(
              'sentinel.scaffolder.outputDirectory',
            ),
          }),
          createWorkloadsAnnotationAction(),
        );
      },
    });
  },
});
