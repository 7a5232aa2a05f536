import type { MetricCheck } from '@internal/backstage-plugin-sentinel-common';
import {
  KubernetesTestServer,
  startPrometheus,
  type PrometheusProcess,
} from '@internal/kubernetes-test-server';
import { renderQuery, scoreInterval } from './healthScore';
import { PrometheusClient } from './PrometheusClient';

jest.setTimeout(60_000);

describe('PrometheusClient, against a real Prometheus scraping the simulated cluster', () => {
  const server = new KubernetesTestServer({
    controller: true,
    podReadyDelayMs: 0,
  });
  let prometheus: PrometheusProcess;
  let client: PrometheusClient;

  beforeAll(async () => {
    await server.start();
    prometheus = await startPrometheus({ targets: [server.url] });
    client = new PrometheusClient({
      baseUrl: prometheus.url,
      timeoutMs: 1_000,
    });
    server.addDeployment({
      metadata: { name: 'cart', namespace: 'shop', labels: { app: 'cart' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'cart' } },
        template: {
          metadata: { labels: { app: 'cart' } },
          spec: {
            containers: [{ name: 'app', image: 'shop/cart:2.0.0-errors' }],
          },
        },
      },
    });
  });
  beforeAll(() => {
    server.addDeployment({
      metadata: {
        name: 'checkout',
        namespace: 'shop',
        labels: { app: 'checkout' },
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'checkout' } },
        template: {
          metadata: { labels: { app: 'checkout' } },
          spec: { containers: [{ name: 'app', image: 'shop/checkout:2.0.0' }] },
        },
      },
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await server.stop();
  });

  const errorRatio = (workload: string) =>
    `sum(rate(http_requests_total{namespace="shop",workload="${workload}",code=~"5.."}[10s])) / sum(rate(http_requests_total{namespace="shop",workload="${workload}"}[10s]))`;

  it('reads one number per check', async () => {
    let outcome = await client.query(errorRatio('cart'));
    const deadline = Date.now() + 30_000;
    while (outcome.kind !== 'value' && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 500));
      outcome = await client.query(errorRatio('cart'));
    }
    expect(outcome.kind).toBe('value');
    const { value } = outcome as { value: number };
    expect(value).toBeGreaterThan(0.15);
    expect(value).toBeLessThan(0.25);
  });

  it('says "no data" when no series matches, rather than a value', async () => {
    expect(await client.query(errorRatio('no-such-workload'))).toEqual({
      kind: 'no_data',
    });
  });

  it('says why a query cannot be a check: refused, or more than one series', async () => {
    const refused = await client.query('sum(rate(http_requests_total[');
    expect(refused).toMatchObject({ kind: 'unavailable' });
    expect((refused as { reason: string }).reason).toMatch(
      /Prometheus refused the query/,
    );
    const several = await client.query('http_requests_total');
    expect((several as { reason: string }).reason).toMatch(
      /returned \d+ series; aggregate it to one/,
    );
  });

  it('says Prometheus is unavailable when it does not answer in time', async () => {
    prometheus.pause();
    try {
      const outcome = await client.query(errorRatio('cart'));
      expect(outcome).toMatchObject({ kind: 'unavailable' });
      expect((outcome as { reason: string }).reason).toMatch(/did not answer/);
    } finally {
      prometheus.resume();
    }
    // And answers again once it is back: a Prometheus just resumed (SIGCONT) on a loaded
    // machine may take longer than the client's 1 s for its first answer.
    let again = await client.query(errorRatio('cart'));
    const deadline = Date.now() + 30_000;
    while (again.kind === 'unavailable' && Date.now() < deadline) {
      again = await client.query(errorRatio('cart'));
    }
    expect(again.kind).toBe('value');
  });

  it('scores an -errors workload as failing and a healthy one as passing, from real queries', async () => {
    const check: MetricCheck = {
      name: 'error-rate',
      query:
        'sum(rate(http_requests_total{namespace="{{namespace}}",workload="{{workload}}",code=~"5.."}[10s])) / sum(rate(http_requests_total{namespace="{{namespace}}",workload="{{workload}}"}[10s]))',
      weight: 100,
      critical: true,
      max: 0.01,
    };
    const score = async (workload: string) => {
      const promql = renderQuery(check.query, {
        namespace: 'shop',
        workload,
        cluster: 'k8s',
      });
      let canary = await client.query(promql);
      const deadline = Date.now() + 30_000;
      while (canary.kind !== 'value' && Date.now() < deadline) {
        await new Promise(r => setTimeout(r, 500));
        canary = await client.query(promql);
      }
      return scoreInterval([{ check, canary }], undefined);
    };
    const bad = await score('cart');
    expect(bad.verdict).toBe('fail');
    expect(bad.checks[0].value).toBeCloseTo(0.2, 2);
    const good = await score('checkout');
    expect(good).toMatchObject({ score: 100, verdict: 'pass' });
  });
});
