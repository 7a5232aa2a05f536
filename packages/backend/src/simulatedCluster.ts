import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  KubernetesTestServer,
  selfSignedCertificate,
  startPrometheus,
} from '@internal/kubernetes-test-server';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

// The demo fleet behind examples/entities.yaml: namespace, kind, name, image, replicas.
const fleet = [
  ['shop', 'Deployment', 'cart', 'shop/cart:1.4.2', 3],
  ['shop', 'Deployment', 'checkout', 'shop/checkout:2.0.1', 2],
  ['payments', 'Deployment', 'payments-api', 'payments/api:5.1.0', 3],
  ['payments', 'StatefulSet', 'ledger', 'payments/ledger:1.9.0', 3],
  ['production', 'Deployment', 'orders', 'shop/orders:3.2.0', 4],
  // Runs in the cluster, but no catalog entity lists it yet: "Put a service under Sentinel".
  ['shop', 'Deployment', 'storefront', 'shop/storefront:3.1.0', 2],
] as const;

function workload(
  namespace: string,
  name: string,
  image: string,
  replicas: number,
) {
  const labels = { app: name };
  return {
    metadata: { name, namespace, labels },
    spec: {
      replicas,
      // A minute, so a broken image in the demo is rolled back while you watch.
      progressDeadlineSeconds: 60,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
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
        },
      },
    },
    status: {
      replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      updatedReplicas: replicas,
    },
  };
}

/**
 * The simulated cluster's certificate, made once and kept beside the kubeconfig: kubectl sends
 * its token only over TLS. Undefined when openssl is missing.
 */
function certificate(dir: string): { key: string; cert: string } | undefined {
  try {
    return selfSignedCertificate({
      keyFile: join(dir, 'simulated-cluster.key.pem'),
      certFile: join(dir, 'simulated-cluster.cert.pem'),
    });
  } catch {
    return undefined;
  }
}

/**
 * The simulated cluster of the embedded default: the Kubernetes API test server as cluster
 * `demo` with the demo fleet, its kubeconfig written where app-config's `sentinel.clusters`
 * and `kubectl --kubeconfig .sentinel/simulated-cluster.kubeconfig` find it. Runs before the
 * Sentinel plugin reads its clusters. Enabled by `sentinel.simulatedCluster.enabled`.
 */
export default createBackendModule({
  pluginId: 'sentinel',
  moduleId: 'simulated-cluster',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
      },
      async init({ config, logger, lifecycle }) {
        const settings = config.getOptionalConfig('sentinel.simulatedCluster');
        if (!settings?.getOptionalBoolean('enabled')) {
          return;
        }
        const kubeconfigPath = resolve(settings.getString('kubeconfigPath'));
        mkdirSync(dirname(kubeconfigPath), { recursive: true });
        const tls = certificate(dirname(kubeconfigPath));
        if (!tls) {
          logger.warn(
            'openssl not found: the simulated cluster serves plain http, which Sentinel accepts in development but kubectl will not authenticate to',
          );
        }
        // The controller moves status and pods along; images tagged *-broken never get ready.
        const server = new KubernetesTestServer({
          tls,
          controller: true,
          podReadyDelayMs:
            settings.getOptionalNumber('podReadyDelayMs') ?? 1000,
        });
        await server.start({ port: settings.getOptionalNumber('port') ?? 0 });
        for (const [namespace, kind, name, image, replicas] of fleet) {
          const object = workload(namespace, name, image, replicas);
          if (kind === 'StatefulSet') server.addStatefulSet(object);
          else server.addDeployment(object);
        }
        writeFileSync(kubeconfigPath, server.kubeconfig({ name: 'demo' }), {
          mode: 0o600,
        });
        lifecycle.addShutdownHook(() => server.stop());
        logger.info(
          `Simulated cluster 'demo' is up; try: kubectl --kubeconfig ${kubeconfigPath} get deploy -A`,
        );
        // A real Prometheus scraping the simulated pods' metrics, for canary analysis.
        const port = settings.getOptionalNumber('prometheusPort');
        if (port !== undefined) {
          try {
            const prometheus = await startPrometheus({
              targets: [server.url],
              port,
            });
            lifecycle.addShutdownHook(() => prometheus.stop());
            logger.info(
              `Prometheus scrapes the simulated cluster at ${prometheus.url}`,
            );
          } catch (error) {
            // Analysis then finds Prometheus unavailable and pauses rollouts, saying why.
            logger.warn(
              `Prometheus did not start for the simulated cluster (scripts/dev.sh installs Debian's prometheus): ${error}`,
            );
          }
        }
      },
    });
  },
});
