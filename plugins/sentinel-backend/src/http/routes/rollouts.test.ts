import {
  KubernetesTestServer,
  startPrometheus,
  type PrometheusProcess,
} from '@internal/kubernetes-test-server';
import type { Plan } from '@internal/backstage-plugin-sentinel-common';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { OpenApiResponses } from '../../__testUtils__/openApiResponses';
import { startSentinel } from '../../__testUtils__/startSentinel';

jest.setTimeout(180_000);

/**
 * The rollout API end to end: plans with canary decisions through a whole Sentinel backend
 * (plan pipeline, rollout reconciler, routes) against the Kubernetes test server, analyzed by
 * a real Prometheus scraping it.
 */
describe('rollouts API', () => {
  const cluster = new KubernetesTestServer({
    controller: true,
    podReadyDelayMs: 200,
  });
  let prometheus: PrometheusProcess;
  let apps: AppsV1Api;
  let kubeconfig: string;
  let server: any;
  let auditor: Awaited<ReturnType<typeof startSentinel>>['auditor'];
  let live: Awaited<ReturnType<typeof startSentinel>>['live'];

  beforeAll(async () => {
    await cluster.start();
    kubeconfig = join(
      mkdtempSync(join(tmpdir(), 'sentinel-rollouts-')),
      'kubeconfig',
    );
    writeFileSync(kubeconfig, cluster.kubeconfig({ name: 'k8s' }));
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfig);
    apps = kubeConfig.makeApiClient(AppsV1Api);
    prometheus = await startPrometheus({ targets: [cluster.url] });
    cluster.addDeployment({
      metadata: { name: 'cart', namespace: 'shop', labels: { app: 'cart' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'cart' } },
        template: {
          metadata: { labels: { app: 'cart' } },
          spec: { containers: [{ name: 'app', image: 'shop/cart:1.0.0' }] },
        },
      },
    });
    ({ server, auditor, live } = await startSentinel(backendOptions('cart')));
  });

  /** A backend whose catalog entity `cart` manages `workload` of the test cluster. */
  function backendOptions(
    workload: string,
    catalogAnnotations?: Record<string, string>,
  ) {
    return {
      catalogWorkloads: `k8s/shop/Deployment/${workload}`,
      catalogAnnotations,
      config: {
        backend: { baseUrl: 'http://localhost:7007' },
        sentinel: {
          clusters: [{ name: 'k8s', kubeconfig: { path: kubeconfig } }],
          prometheus: { baseUrl: prometheus.url },
          rollouts: {
            steps: [{ weight: 50, pauseSeconds: 2 }, { weight: 100 }],
            recheckSeconds: 0.2,
            analysis: {
              checks: [
                {
                  name: 'error-rate',
                  query:
                    'sum(rate(http_requests_total{namespace="{{namespace}}",workload="{{workload}}",code=~"5.."}[4s])) / sum(rate(http_requests_total{namespace="{{namespace}}",workload="{{workload}}"}[4s]))',
                  weight: 100,
                  critical: true,
                  max: 0.05,
                },
              ],
              intervalSeconds: 1.5,
              passAfter: 2,
              inconclusiveAfter: 4,
              readySeconds: 5,
            },
          },
        },
      },
    };
  }
  afterAll(async () => {
    await prometheus?.stop();
    await cluster.stop();
  });

  const canary = (image: string) => ({
    source: 'InfraMind',
    decisions: [
      {
        verb: 'rollout',
        target: { cluster: 'k8s', namespace: 'shop', name: 'cart' },
        params: { containers: { app: { image } }, strategy: 'canary' },
        rationale: 'new release',
        confidence: 0.95,
      },
    ],
  });

  async function until<T>(
    read: () => Promise<T>,
    done: (value: T) => boolean,
    timeoutMs = 60_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) {
        throw new Error(`timed out; last: ${JSON.stringify(value)}`);
      }
      await new Promise(r => setTimeout(r, 100));
    }
  }

  const plan = async (id: string): Promise<Plan> =>
    (await request(server).get(`/api/sentinel/v1/action-plans/${id}`)).body;

  const imageOfCart = async () =>
    (await apps.readNamespacedDeployment({ name: 'cart', namespace: 'shop' }))
      .spec?.template?.spec?.containers?.[0]?.image;

  it('runs a canary decision as a rollout the plan follows, and shows it with its analyses', async () => {
    const submitted = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(canary('shop/cart:2.0.0'));
    expect(submitted.status).toBe(202);
    const done = await until(
      () => plan(submitted.body.id),
      p => ['succeeded', 'rolled_back', 'failed'].includes(p.status),
    );
    expect(done.status).toBe('succeeded');
    expect(done.decisions[0].status).toBe('succeeded');
    expect(await imageOfCart()).toBe('shop/cart:2.0.0');

    const list = await request(server).get(
      '/api/sentinel/v1/rollouts?entityRef=component:default/cart',
    );
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    const rollout = list.body.items[0];
    expect(rollout).toMatchObject({
      planId: submitted.body.id,
      decisionIndex: 0,
      strategy: 'canary',
      phase: 'succeeded',
      weight: 100,
      stable: { image: 'shop/cart:1.0.0', replicas: 2 },
      candidate: { workload: 'cart-canary', image: 'shop/cart:2.0.0' },
      steps: [{ weight: 50, pauseSeconds: 2 }, { weight: 100 }],
    });
    const detail = await request(server).get(
      `/api/sentinel/v1/rollouts/${rollout.id}`,
    );
    expect(detail.body.timeline.map((e: any) => e.phase)).toEqual(
      expect.arrayContaining([
        'pending',
        'progressing',
        'promoting',
        'succeeded',
      ]),
    );
    expect(detail.body.analyses.length).toBeGreaterThanOrEqual(4);
    const passed = detail.body.analyses.find((a: any) => a.verdict === 'pass');
    expect(passed.metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'error-rate',
          value: 0,
          threshold: 0.05,
          verdict: 'pass',
        }),
      ]),
    );
    // As the OpenAPI document has it, every analyzed interval and its metrics included.
    expect(
      new OpenApiResponses().problems('getRollout', detail.status, detail.body),
    ).toEqual([]);
    // Every change of phase the controller made is audited as Sentinel's.
    const audited = auditor.createEvent.mock.calls
      .map(([event]) => event)
      .filter(event => event.eventId === 'rollout-phase');
    expect(audited.map(event => event.meta?.to)).toEqual(
      expect.arrayContaining(['progressing', 'promoting', 'succeeded']),
    );
    // Finished: nothing left to steer.
    const late = await request(server)
      .post(`/api/sentinel/v1/rollouts/${rollout.id}/abort`)
      .send({});
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(/is succeeded: cannot abort it/);
  });

  it('lets a person pause, resume and abort a rollout; the plan ends rolled back and the workload untouched', async () => {
    const submitted = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(canary('shop/cart:3.0.0'));
    expect(submitted.status).toBe(202);
    const rolloutOf = async () =>
      (
        await request(server).get(
          `/api/sentinel/v1/rollouts?entityRef=component:default/cart&phase=progressing`,
        )
      ).body.items[0];
    const running = await until(rolloutOf, r => r !== undefined);

    // The workloads list shows the rollout in flight, and not the canary beside it.
    const workloads = await until(
      async () =>
        (
          await request(server).get('/api/sentinel/v1/workloads?cluster=k8s')
        ).body.items,
      (items: any[]) =>
        items.some(w => w.name === 'cart' && w.rollout !== null),
    );
    expect(workloads.map((w: any) => w.name)).toEqual(['cart']);
    expect(workloads[0].rollout).toMatchObject({ id: running.id });
    // Its last change is the plan rolling out now.
    expect(workloads[0].lastPlanId).toBe(running.planId);
    // As the OpenAPI document has it: a workload with live state and a rollout in flight.
    expect(
      new OpenApiResponses().problems('listWorkloads', 200, {
        items: workloads,
        nextCursor: null,
      }),
    ).toEqual([]);

    const paused = await request(server)
      .post(`/api/sentinel/v1/rollouts/${running.id}/pause`)
      .send({ reason: 'looking at a dashboard' });
    expect(paused.status).toBe(202);
    expect(paused.body.phase).toBe('paused');
    expect(paused.body.phaseReason).toMatch(
      /^paused by user:default\/mock: looking at a dashboard/,
    );
    const again = await request(server)
      .post(`/api/sentinel/v1/rollouts/${running.id}/pause`)
      .send({});
    expect(again.status).toBe(409);

    const resumed = await request(server)
      .post(`/api/sentinel/v1/rollouts/${running.id}/resume`)
      .send({});
    expect(resumed.status).toBe(202);
    expect(resumed.body.phase).toBe('progressing');

    const aborted = await request(server)
      .post(`/api/sentinel/v1/rollouts/${running.id}/abort`)
      .send({ reason: 'wrong build' });
    expect(aborted.status).toBe(202);
    expect(aborted.body.phase).toBe('aborting');

    const done = await until(
      () => plan(submitted.body.id),
      p => ['succeeded', 'rolled_back', 'failed'].includes(p.status),
    );
    expect(done.status).toBe('rolled_back');
    expect(done.decisions[0].status).toBe('rolled_back');
    const ended = (
      await request(server).get(`/api/sentinel/v1/rollouts/${running.id}`)
    ).body;
    expect(ended.phase).toBe('aborted');
    expect(ended.phaseReason).toMatch(
      /aborted by user:default\/mock: wrong build/,
    );
    expect(await imageOfCart()).toBe('shop/cart:2.0.0');

    // Open pages heard of every change of phase, and the owners of the abort: the rollout's
    // end and then the plan's, under one scope (the second updates the first).
    expect(
      live.signals
        .filter(signal => signal.message.id === running.id)
        .map(signal => signal.message.phase),
    ).toEqual(
      expect.arrayContaining(['paused', 'progressing', 'aborting', 'aborted']),
    );
    const told = await until(
      async () =>
        live.notifications.filter(
          n => n.payload.scope === `sentinel-rollback:${submitted.body.id}`,
        ),
      notices => notices.length >= 2,
      10_000,
    );
    expect(
      told.map(n => [n.recipients, n.payload.title, n.payload.severity]),
    ).toEqual(
      expect.arrayContaining([
        [
          { type: 'entity', entityRef: ['component:default/cart'] },
          'Canary rollout aborted: shop/cart',
          'high',
        ],
        [
          { type: 'entity', entityRef: ['component:default/cart'] },
          'Rolled back: roll out shop/cart:3.0.0 to shop/cart',
          'high',
        ],
      ]),
    );
  });

  it('cancelling the plan aborts its rollout, and the plan ends cancelled only once the rollout has rolled back', async () => {
    const submitted = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(canary('shop/cart:4.0.0'));
    expect(submitted.status).toBe(202);
    const running = await until(
      async () =>
        (
          await request(server).get(
            `/api/sentinel/v1/rollouts?entityRef=component:default/cart&phase=progressing`,
          )
        ).body.items[0],
      r => r !== undefined && r.planId === submitted.body.id,
    );
    const cancelled = await request(server)
      .post(`/api/sentinel/v1/action-plans/${submitted.body.id}/cancel`)
      .send({});
    expect(cancelled.status).toBe(200);
    const done = await until(
      () => plan(submitted.body.id),
      p =>
        ['cancelled', 'rolled_back', 'failed', 'succeeded'].includes(p.status),
    );
    expect(done.status).toBe('cancelled');
    expect(done.decisions[0].status).toBe('rolled_back');
    // By the time the plan says cancelled, the rollout has ended and the canary is gone.
    const rollout = (
      await request(server).get(`/api/sentinel/v1/rollouts/${running.id}`)
    ).body;
    expect(rollout.phase).toBe('aborted');
    expect(done.timeline.map((e: any) => e.status)).toContain('cancelled');
    expect(await imageOfCart()).toBe('shop/cart:2.0.0');
  });

  it("takes a workload's steps and analysis from the policy document's rollouts entry for its scope, and names a bad entry's field", async () => {
    const current = (await request(server).get('/api/sentinel/v1/policies'))
      .body;
    const bad = await request(server)
      .put('/api/sentinel/v1/policies')
      .send({
        ...current,
        rollouts: [
          {
            id: 'shop',
            scope: { namespace: 'shop' },
            steps: [{ weight: 60 }, { weight: 40 }],
          },
        ],
      });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe(
      'Invalid policy: rollouts[0].steps[1].weight: must be above the weight of the step before (60)',
    );

    const saved = await request(server)
      .put('/api/sentinel/v1/policies')
      .send({
        ...current,
        rollouts: [
          {
            id: 'shop',
            scope: { namespace: 'shop' },
            steps: [{ weight: 40, gate: true }, { weight: 100 }],
            analysis: { passAfter: 3 },
            rollbackPolicy: 'manual',
          },
        ],
      });
    expect(saved.status).toBe(200);
    const submitted = await request(server)
      .post('/api/sentinel/v1/action-plans')
      .send(canary('shop/cart:5.0.0'));
    expect(submitted.status).toBe(202);
    const rollout = await until(
      async () =>
        (
          await request(server).get(
            '/api/sentinel/v1/rollouts?entityRef=component:default/cart',
          )
        ).body.items.find((r: any) => r.planId === submitted.body.id),
      r => r !== undefined,
    );
    expect(rollout).toMatchObject({
      steps: [{ weight: 40, gate: true }, { weight: 100 }],
      rollbackPolicy: 'manual',
    });
    await request(server)
      .post(`/api/sentinel/v1/rollouts/${rollout.id}/abort`)
      .send({ reason: 'only looking at its settings' })
      .expect(202);
    await until(
      () => plan(submitted.body.id),
      p => ['rolled_back', 'failed', 'succeeded'].includes(p.status),
    );
  });

  it("follows the entity's sentinel.io/rollout-strategy and rollback-policy: a canary by default, and manual pauses it for a person when it fails instead of aborting it", async () => {
    cluster.addDeployment({
      metadata: {
        name: 'orders',
        namespace: 'shop',
        labels: { app: 'orders' },
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'orders' } },
        template: {
          metadata: { labels: { app: 'orders' } },
          spec: { containers: [{ name: 'app', image: 'shop/orders:1.0.0' }] },
        },
      },
    });
    const manual = await startSentinel(
      backendOptions('orders', {
        'sentinel.io/rollback-policy': 'manual',
        'sentinel.io/canary-steps': '30, 100',
        // The decision names no strategy: the service's default applies.
        'sentinel.io/rollout-strategy': 'canary',
      }),
    );
    const submitted = await request(manual.server)
      .post('/api/sentinel/v1/action-plans')
      .send({
        source: 'InfraMind',
        decisions: [
          {
            verb: 'rollout',
            target: { cluster: 'k8s', namespace: 'shop', name: 'orders' },
            params: {
              containers: { app: { image: 'shop/orders:2.0.0-errors' } },
            },
          },
        ],
      });
    expect(submitted.status).toBe(202);
    const paused = await until(
      async () =>
        (
          await request(manual.server).get(
            '/api/sentinel/v1/rollouts?entityRef=component:default/cart',
          )
        ).body.items[0],
      (r: any) => r?.phase === 'paused' || r?.phase === 'aborted',
    );
    expect(paused).toMatchObject({
      phase: 'paused',
      rollbackPolicy: 'manual',
      // The service's own steps, from its sentinel.io/canary-steps annotation.
      steps: [{ weight: 30 }, { weight: 100 }],
    });
    expect(paused.phaseReason).toMatch(
      /^paused: analysis failed: critical check error-rate failed.*rollback policy manual/,
    );
    // Its owners hear that a person decides, with a link to the tab.
    const held = await until(
      async () =>
        manual.live.notifications.filter(
          n => n.payload.scope === `sentinel-rollout:${paused.id}`,
        ),
      notices => notices.length > 0,
      10_000,
    );
    expect(held[0]).toMatchObject({
      recipients: { type: 'entity', entityRef: ['component:default/cart'] },
      payload: {
        title: 'Canary of shop/orders paused: a person decides',
        severity: 'high',
        topic: 'sentinel-rollout',
        link: '/catalog/default/component/cart/sentinel',
      },
    });
    // The plan waits for the person, holding the workload.
    expect(
      (
        await request(manual.server).get(
          `/api/sentinel/v1/action-plans/${submitted.body.id}`,
        )
      ).body.status,
    ).toBe('executing');

    await request(manual.server)
      .post(`/api/sentinel/v1/rollouts/${paused.id}/abort`)
      .send({ reason: 'errors confirmed' })
      .expect(202);
    const done = await until(
      async () =>
        (
          await request(manual.server).get(
            `/api/sentinel/v1/action-plans/${submitted.body.id}`,
          )
        ).body,
      (p: Plan) => ['succeeded', 'rolled_back', 'failed'].includes(p.status),
    );
    expect(done.status).toBe('rolled_back');
    expect(
      (
        await apps.readNamespacedDeployment({
          name: 'orders',
          namespace: 'shop',
        })
      ).spec?.template?.spec?.containers?.[0]?.image,
    ).toBe('shop/orders:1.0.0');
  });

  it('fails a canary decision whose service has canary steps that do not parse, naming the annotation and the step', async () => {
    cluster.addDeployment({
      metadata: {
        name: 'search',
        namespace: 'shop',
        labels: { app: 'search' },
      },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'search' } },
        template: {
          metadata: { labels: { app: 'search' } },
          spec: { containers: [{ name: 'app', image: 'shop/search:1.0.0' }] },
        },
      },
    });
    const misconfigured = await startSentinel(
      backendOptions('search', { 'sentinel.io/canary-steps': '50, 20' }),
    );
    const submitted = await request(misconfigured.server)
      .post('/api/sentinel/v1/action-plans')
      .send({
        source: 'InfraMind',
        decisions: [
          {
            verb: 'rollout',
            target: { cluster: 'k8s', namespace: 'shop', name: 'search' },
            params: {
              containers: { app: { image: 'shop/search:2.0.0' } },
              strategy: 'canary',
            },
          },
        ],
      });
    expect(submitted.status).toBe(202);
    const done = await until(
      async () =>
        (
          await request(misconfigured.server).get(
            `/api/sentinel/v1/action-plans/${submitted.body.id}`,
          )
        ).body as Plan,
      p => !['received', 'approved', 'executing'].includes(p.status),
    );
    expect(done.decisions[0].status).toBe('failed');
    expect(done.decisions[0].error).toBe(
      'sentinel.io/canary-steps of component:default/cart: step 2 "20": weights must rise (50 before it)',
    );
    expect(
      (
        await apps.readNamespacedDeployment({
          name: 'search',
          namespace: 'shop',
        })
      ).spec?.template?.spec?.containers?.[0]?.image,
    ).toBe('shop/search:1.0.0');
  });

  it('names the field of a bad query and answers 404 for an unknown rollout', async () => {
    const bad = await request(server).get(
      '/api/sentinel/v1/rollouts?phase=sideways',
    );
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/phase/);
    const missing = await request(server)
      .post('/api/sentinel/v1/rollouts/no-such-rollout/abort')
      .send({});
    expect(missing.status).toBe(404);
    const wrong = await request(server)
      .post('/api/sentinel/v1/rollouts/no-such-rollout/pause')
      .send({ full: true });
    expect(wrong.status).toBe(400);
  });
});
