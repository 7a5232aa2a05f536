import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { readRoleBindings } from '@internal/backstage-plugin-sentinel-node';
import { SentinelBindings } from './policy/SentinelBindings';
import { SentinelPolicy } from './policy/SentinelPolicy';

/**
 * Installs Sentinel's role policy (viewer, operator, admin, system) in the permission backend.
 *
 * @public
 */
export const permissionModuleSentinel = createBackendModule({
  pluginId: 'permission',
  moduleId: 'sentinel',
  register({ registerInit }) {
    registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        logger: coreServices.logger,
      },
      async init({ policy, config, discovery, auth, logger }) {
        // Bindings come from Sentinel's bindings API (seeded from the same app-config).
        const bindings = new SentinelBindings({
          discovery,
          auth,
          logger,
          initial: readRoleBindings(config),
        });
        policy.setPolicy(new SentinelPolicy(() => bindings.get()));
      },
    });
  },
});
