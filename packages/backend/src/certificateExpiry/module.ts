import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { observeCertificateExpiry } from './certificateExpiryGauge';
import { heldCertificates } from './heldCertificates';

/** Exports the expiry time of every certificate Sentinel holds (docs/security.md). */
export default createBackendModule({
  pluginId: 'sentinel',
  moduleId: 'certificate-expiry',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
      },
      async init({ config, logger }) {
        observeCertificateExpiry(heldCertificates(config), logger);
      },
    });
  },
});
