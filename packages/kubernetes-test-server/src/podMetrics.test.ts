import { KubernetesTestServer } from './KubernetesTestServer';
import { REQUESTS_PER_SECOND, renderPodMetrics } from './podMetrics';
import { startPrometheus, type PrometheusProcess } from './prometheus';

jest.setTimeout(60_000);

describe('pod metrics', () => {
  it('counts requests from when a pod got ready, a fifth of them errors for an -errors image', () => {
    const text = renderPodMetrics(
      [
        {
          namespace: 'shop',
          name: 'cart-abc-0',
          workload: 'cart',
          images: ['shop/cart:2.0.0-errors'],
          readySince: 0,
        },
      ],
      10_000,
    );
    const total = 10 * REQUESTS_PER_SECOND;
    expect(text).toContain(
      `http_requests_total{namespace="shop",pod="cart-abc-0",workload="cart",code="500"} ${
        total / 5
      }`,
    );
    expect(text).toContain(
      `http_requests_total{namespace="shop",pod="cart-abc-0",workload="cart",code="200"} ${
        (total * 4) / 5
      }`,
    );
    expect(text).toContain(
      `http_request_duration_seconds_bucket{namespace="shop",pod="cart-abc-0",workload="cart",le="+Inf"} ${total}`,
    );
  });

  describe('scraped by a real Prometheus', () => {
    const server = new KubernetesTestServer({
      controller: true,
      podReadyDelayMs: 0,
    });
    let prometheus: PrometheusProcess;

    beforeAll(async () => {
      await server.start();
      prometheus = await startPrometheus({ targets: [server.url] });
    });
    afterAll(async () => {
      await prometheus?.stop();
      await server.stop();
    });

    async function query(promql: string): Promise<Record<string, number>> {
      const url = new URL('/api/v1/query', prometheus.url);
      url.searchParams.set('query', promql);
      const body = await (await fetch(url)).json();
      expect(body.status).toBe('success');
      return Object.fromEntries(
        body.data.result.map((r: any) => [
          r.metric.workload,
          Number(r.value[1]),
        ]),
      );
    }

    it('shows the error ratio and latency of each workload as canary analysis will query them', async () => {
      const deployment = (name: string, image: string) => ({
        metadata: { name, namespace: 'shop', labels: { app: name } },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'app', image }] },
          },
        },
      });
      server.addDeployment(deployment('good', 'shop/app:2.0.0'));
      server.addDeployment(deployment('bad', 'shop/app:2.0.0-errors'));
      server.addDeployment(deployment('slow', 'shop/app:2.0.0-slow'));

      const errors =
        'sum by (workload) (rate(http_requests_total{code=~"5.."}[10s])) / sum by (workload) (rate(http_requests_total[10s]))';
      let ratios: Record<string, number> = {};
      const deadline = Date.now() + 30_000;
      while (Object.keys(ratios).length < 3 && Date.now() < deadline) {
        await new Promise(r => setTimeout(r, 500));
        ratios = await query(errors);
      }
      expect(ratios.good).toBe(0);
      expect(ratios.bad).toBeGreaterThan(0.15);
      expect(ratios.bad).toBeLessThan(0.25);

      const p99 = await query(
        'histogram_quantile(0.99, sum by (workload, le) (rate(http_request_duration_seconds_bucket[10s])))',
      );
      expect(p99.good).toBeLessThan(0.1);
      expect(p99.slow).toBeGreaterThan(1);
    });
  });
});
