import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  demoFleetObjects,
  KubernetesTestServer,
  selfSignedCertificate,
  startPrometheus,
} from '@internal/kubernetes-test-server';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { metricsEndpointSettings } from './metricsEndpoint';

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
 * `demo` with the demo fleet (`demoFleetObjects`: workloads, Services, an Ingress and an
 * HTTPRoute), its kubeconfig written where app-config's `sentinel.clusters`
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
        // Workloads, their Services, and the Ingress and HTTPRoute of the routed services.
        for (const object of demoFleetObjects()) server.addObject(object);
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
            // Sentinel's own metrics too, so that a newcomer can try the dashboards' queries.
            const metricsEndpoint = metricsEndpointSettings(process.env);
            const prometheus = await startPrometheus({
              targets: [
                server.url,
                ...(metricsEndpoint && metricsEndpoint.path === '/metrics'
                  ? [`http://127.0.0.1:${metricsEndpoint.port}`]
                  : []),
              ],
              port,
            });
            lifecycle.addShutdownHook(() => prometheus.stop());
            logger.info(
              `Prometheus scrapes the simulated cluster${
                metricsEndpoint ? ' and Sentinel' : ''
              } at ${prometheus.url}`,
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
