import { createBackendPlugin } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { TestPki } from '@internal/kubernetes-test-server';
import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { copyFileSync } from 'node:fs';
import certificateExpiryModule from './module';

/** Collects on demand, as a Prometheus scrape would. */
class ScrapeReader extends MetricReader {
  protected async onForceFlush() {}
  protected async onShutdown() {}
}

const unixSeconds = (date: Date) => Math.floor(date.getTime() / 1000);
const DAY = 86_400_000;

describe('sentinel_certificate_expiry_timestamp_seconds', () => {
  const reader = new ScrapeReader();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  const pki = new TestPki();
  afterAll(() => pki.remove());

  /** The gauge's series, as `certificate path` to the expiry in Unix seconds. */
  async function scrape(): Promise<Record<string, number>> {
    const { resourceMetrics } = await reader.collect();
    const series: Record<string, number> = {};
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        if (
          metric.descriptor.name !==
          'sentinel_certificate_expiry_timestamp_seconds'
        )
          continue;
        for (const point of metric.dataPoints) {
          const { certificate, path } = point.attributes;
          series[`${certificate} ${path}`] = point.value as number;
        }
      }
    }
    return series;
  }

  it("shows each held certificate's expiry, and a rotated file's new one", async () => {
    const clusterCa = pki.ca('cluster-ca');
    const databaseCa = pki.ca('database-ca');
    const now = Date.now();
    const soon = new Date(now + 10 * DAY);
    const later = new Date(now + 40 * DAY);
    const client = clusterCa.issue('sentinel', { notAfter: soon });
    const database = databaseCa.issue('sentinel', { notAfter: soon });
    const clientCertFile = pki.path('clusters', 'prod-eu', 'client.crt');
    copyFileSync(client.certFile, clientCertFile);

    await startTestBackend({
      features: [
        // The module belongs to the sentinel plugin; its own work is beside the point here.
        createBackendPlugin({
          pluginId: 'sentinel',
          register: env => env.registerInit({ deps: {}, init: async () => {} }),
        }),
        certificateExpiryModule,
        mockServices.rootConfig.factory({
          data: {
            backend: {
              database: { connection: { ssl: { cert: database.cert } } },
            },
            sentinel: {
              clusters: [
                {
                  name: 'prod-eu',
                  url: 'https://prod-eu.example.com',
                  caFile: clusterCa.certFile,
                  clientCertFile,
                  clientKeyFile: client.keyFile,
                },
              ],
            },
          },
        }),
      ],
    });

    expect(await scrape()).toEqual({
      [`kubernetes-ca/prod-eu ${clusterCa.certFile}`]: expect.any(Number),
      [`kubernetes-client/prod-eu ${clientCertFile}`]: unixSeconds(soon),
      'postgres-client backend.database.connection.ssl.cert': unixSeconds(soon),
    });

    // The client certificate is renewed in place, as cert-manager or Vault Agent would.
    const renewed = clusterCa.issue('sentinel', {
      notAfter: later,
      label: 'renewed',
    });
    copyFileSync(renewed.certFile, clientCertFile);
    expect(
      (await scrape())[`kubernetes-client/prod-eu ${clientCertFile}`],
    ).toBe(unixSeconds(later));
  });

  it('starts with connections given as strings, which hold no certificate', async () => {
    await expect(
      startTestBackend({
        features: [
          createBackendPlugin({
            pluginId: 'sentinel',
            register: env =>
              env.registerInit({ deps: {}, init: async () => {} }),
          }),
          certificateExpiryModule,
          mockServices.rootConfig.factory({
            data: {
              backend: {
                database: {
                  connection: 'postgresql://postgres@127.0.0.1:5432',
                },
                cache: { store: 'memory', connection: 'rediss://redis:6379' },
              },
            },
          }),
        ],
      }),
    ).resolves.toBeDefined();
  });
});
