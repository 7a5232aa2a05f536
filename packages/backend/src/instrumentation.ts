/**
 * The Prometheus scrape endpoint (docs/observability.md). Imported first by ./index.ts: the
 * global meter provider must exist before any plugin creates an instrument (one created
 * earlier stays a no-op), and the HTTP instrumentation must hook `http` before the backend's
 * server is made.
 *
 * Backstage's "Setup OpenTelemetry" tutorial uses the Node SDK with every auto-instrumentation;
 * this is its metrics half alone (the SDK's tracing and OTLP exporters cost memory the image's
 * idle budget does not have, and export nothing we read).
 */
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createServer, type Server } from 'node:http';
import { isMainThread } from 'node:worker_threads';
import { metricsEndpointSettings } from './metricsEndpoint';

/** The running endpoint, for shutdown and for tests; undefined when turned off. */
export let metricsServer: Server | undefined;

function start(): void {
  const settings = metricsEndpointSettings(process.env);
  if (!settings) return;
  const exporter = new PrometheusExporter({ preventServerStart: true });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter] }));
  registerInstrumentations({
    instrumentations: [
      new HttpInstrumentation({
        // The scrape itself and the kubelet's probes are not traffic anyone serves.
        ignoreIncomingRequestHook: request =>
          request.url === settings.path ||
          request.url?.startsWith('/.backstage/health') === true,
        // Sentinel's own calls out are measured per cluster by Sentinel (errors by code).
        disableOutgoingRequestInstrumentation: true,
      }),
      new RuntimeNodeInstrumentation(),
    ],
  });

  // Its own server rather than the exporter's: a port already taken is logged, and the
  // backend runs on without metrics instead of failing on an unhandled error.
  const server = createServer((request, response) => {
    if (request.url?.split('?')[0] === settings.path) {
      exporter.getMetricsRequestHandler(request, response);
      return;
    }
    response.statusCode = 404;
    response.end();
  });
  server.on('error', error => {
    process.stderr.write(
      `Sentinel's metrics endpoint could not listen on ${settings.host}:${settings.port}: ${error.message}\n`,
    );
  });
  server.listen(settings.port, settings.host);
  // Never what keeps the process alive: the backend decides when it ends.
  server.unref();
  metricsServer = server;
}

if (isMainThread) {
  start();
}
