import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { readRoleBindings } from '@internal/backstage-plugin-sentinel-node';
import { SentinelBindings } from '../policy/SentinelBindings';
import { SentinelPolicy } from '../policy/SentinelPolicy';
import { ContractorPolicy } from './ContractorPolicy';

/**
 * The example as a module: install it instead of this package's default module
 * (`backend.add(contractorPolicyModule)`), since a backend has one permission policy.
 *
 * @public
 */
export const contractorPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'sentinel-contractors',
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
        const bindings = new SentinelBindings({
          discovery,
          auth,
          logger,
          initial: readRoleBindings(config),
        });
        policy.setPolicy(
          new ContractorPolicy(
            new SentinelPolicy(() => bindings.get()),
            config.getOptionalString('sentinel.contractors.namespace') ??
              'shop',
          ),
        );
      },
    });
  },
});
