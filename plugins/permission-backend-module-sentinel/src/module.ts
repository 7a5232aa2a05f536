import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
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
      },
      async init({ policy, config }) {
        policy.setPolicy(SentinelPolicy.fromConfig(config));
      },
    });
  },
});
