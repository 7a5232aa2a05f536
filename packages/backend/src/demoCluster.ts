import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { sentinelClusterDriversExtensionPoint } from '@internal/backstage-plugin-sentinel-node';
import { InMemoryClusterDriver } from '@internal/backstage-plugin-sentinel-node/testUtils';

// The demo fleet behind examples/entities.yaml.
const fleet = [
  ['shop', 'Deployment', 'cart', 'shop/cart:1.4.2', 3],
  ['shop', 'Deployment', 'checkout', 'shop/checkout:2.0.1', 2],
  ['payments', 'Deployment', 'payments-api', 'payments/api:5.1.0', 3],
  ['payments', 'StatefulSet', 'ledger', 'payments/ledger:1.9.0', 3],
  ['production', 'Deployment', 'orders', 'shop/orders:3.2.0', 4],
] as const;

/**
 * Until the simulated Kubernetes cluster arrives, the embedded default gives Sentinel an
 * in-memory cluster `demo` holding the demo fleet, so plans submitted to the running app are
 * applied and rolled back for real (in memory; restarting the backend resets the fleet).
 * Enabled by `sentinel.demoCluster.enabled` in app-config.yaml only.
 */
export default createBackendModule({
  pluginId: 'sentinel',
  moduleId: 'demo-cluster',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        drivers: sentinelClusterDriversExtensionPoint,
      },
      async init({ config, drivers }) {
        if (!config.getOptionalBoolean('sentinel.demoCluster.enabled')) {
          return;
        }
        drivers.addClusterDriver(
          new InMemoryClusterDriver(
            'demo',
            fleet.map(([namespace, kind, name, image, replicas]) => ({
              ref: { cluster: 'demo', namespace, kind, name },
              replicas,
              containers: [
                {
                  name: 'app',
                  image,
                  resources: {
                    requests: { cpu: '250m', memory: '256Mi' },
                    limits: { memory: '512Mi' },
                  },
                },
              ],
            })),
          ),
        );
      },
    });
  },
});
