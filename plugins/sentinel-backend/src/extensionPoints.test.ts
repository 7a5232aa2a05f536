import {
  startPrometheus,
  type PrometheusProcess,
} from '@internal/kubernetes-test-server';
import type { Plan } from '@internal/backstage-plugin-sentinel-common';
import {
  InMemoryClusterDriver,
  InMemoryProgressiveClusterDriver,
} from '@internal/backstage-plugin-sentinel-node/testUtils';
import request from 'supertest';
import { eventually } from './__testUtils__/execution';
import { cart, startSentinel } from './__testUtils__/startSentinel';

jest.setTimeout(60_000);

/**
 * Quick canaries, analyzed by a real Prometheus on a check that always passes: the in-memory
 * cluster has no pods to scrape, and Kubernetes' own signals only ever fail an interval.
 */
const fastRollouts = {
  steps: [{ weight: 50 }, { weight: 100 }],
  recheckSeconds: 0.2,
  analysis: {
    checks: [{ name: 'errors', query: 'vector(0)', weight: 100, max: 0.05 }],
    intervalSeconds: 0.3,
    passAfter: 1,
    inconclusiveAfter: 4,
    readySeconds: 5,
  },
};

const cartImage = (image: string) => [{ name: 'app', image, resources: {} }];

function rolloutPlan(strategy: 'canary' | 'bluegreen', image: string) {
  return {
    source: 'InfraMind',
    decisions: [
      {
        verb: 'rollout',
        target: { cluster: 'demo', namespace: 'shop', name: 'cart' },
        params: { containers: { app: { image } }, strategy },
        confidence: 0.95,
      },
    ],
  };
}

async function submit(server: any, body: object) {
  return request(server).post('/api/sentinel/v1/action-plans').send(body);
}

async function planOf(server: any, id: string): Promise<Plan> {
  const res = await request(server).get(`/api/sentinel/v1/action-plans/${id}`);
  return res.body;
}

describe('a cluster driver supplied by a module through sentinel-node', () => {
  let prometheus: PrometheusProcess;
  beforeAll(async () => {
    prometheus = await startPrometheus({ targets: [] });
  });
  afterAll(() => prometheus?.stop());
  const config = (rollouts: object) => ({
    sentinel: { prometheus: { baseUrl: prometheus.url }, rollouts },
  });

  it('runs a canary to its promotion: the stable workload takes the new image, the candidate goes', async () => {
    const driver = new InMemoryProgressiveClusterDriver('demo', [
      { ref: cart, replicas: 4, containers: cartImage('shop/cart:1.0.0') },
    ]);
    const { server } = await startSentinel({
      driver,
      config: config(fastRollouts),
    });

    const submitted = await submit(
      server,
      rolloutPlan('canary', 'shop/cart:2.0.0'),
    );
    expect(submitted.status).toBe(202);
    const plan = await eventually(async () => {
      const p = await planOf(server, submitted.body.id);
      return p.status === 'succeeded' || p.status === 'rolled_back'
        ? p
        : undefined;
    }, 'the canary plan to end');

    expect(plan.status).toBe('succeeded');
    expect((await driver.getWorkload(cart))!.containers[0].image).toBe(
      'shop/cart:2.0.0',
    );
    expect(
      await driver.getWorkload({ ...cart, name: 'cart-canary' }),
    ).toBeUndefined();
    const list = await request(server).get('/api/sentinel/v1/rollouts');
    expect(list.body.items[0]).toMatchObject({
      strategy: 'canary',
      phase: 'succeeded',
    });
  });

  it('switches a blue/green rollout through the Service, then unpins it', async () => {
    const driver = new InMemoryProgressiveClusterDriver('demo', [
      { ref: cart, replicas: 2, containers: cartImage('shop/cart:1.0.0') },
    ]);
    driver.putService(cart, { name: 'cart', selector: { app: 'cart' } });
    const { server } = await startSentinel({
      driver,
      config: config({ ...fastRollouts, rollbackWindowSeconds: 0 }),
    });

    const submitted = await submit(
      server,
      rolloutPlan('bluegreen', 'shop/cart:2.0.0'),
    );
    expect(submitted.status).toBe(202);
    const plan = await eventually(async () => {
      const p = await planOf(server, submitted.body.id);
      return p.status === 'succeeded' || p.status === 'rolled_back'
        ? p
        : undefined;
    }, 'the blue/green plan to end');

    expect(plan.status).toBe('succeeded');
    expect((await driver.getWorkload(cart))!.containers[0].image).toBe(
      'shop/cart:2.0.0',
    );
    expect(driver.service(cart)!.selector).toEqual({ app: 'cart' });
    const [rollout] = (await request(server).get('/api/sentinel/v1/rollouts'))
      .body.items;
    const detail = await request(server).get(
      `/api/sentinel/v1/rollouts/${rollout.id}`,
    );
    expect(detail.body.timeline.map((e: any) => e.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^Service cart pinned to demo\/shop\/Deployment\/cart \(blue\)/,
        ),
        expect.stringMatching(/^switched Service cart to cart-green \(green\)/),
      ]),
    );
    expect(
      await driver.getWorkload({ ...cart, name: 'cart-green' }),
    ).toBeUndefined();
  });

  it('refuses a canary at submission when the driver has no candidate operations, naming the cluster', async () => {
    const driver = new InMemoryClusterDriver('demo', [
      { ref: cart, replicas: 2, containers: cartImage('shop/cart:1.0.0') },
    ]);
    const { server } = await startSentinel({ driver });

    const res = await submit(server, rolloutPlan('canary', 'shop/cart:2.0.0'));

    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(
      "decisions[0].params.strategy: cluster 'demo' cannot run canary rollouts",
    );
    expect((await driver.getWorkload(cart))!.containers[0].image).toBe(
      'shop/cart:1.0.0',
    );
  });
});
