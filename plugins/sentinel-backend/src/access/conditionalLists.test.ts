import { contractorPolicyModule } from '@internal/backstage-plugin-permission-backend-module-sentinel';
import { KubernetesTestServer } from '@internal/kubernetes-test-server';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertRollout } from '../__testUtils__/rollouts';
import { startSecuredSentinel } from '../__testUtils__/securedSentinel';

jest.setTimeout(60_000);

const cart = {
  cluster: 'k8s',
  namespace: 'shop',
  kind: 'Deployment',
  name: 'cart',
} as const;
const api = {
  cluster: 'k8s',
  namespace: 'pay',
  kind: 'Deployment',
  name: 'api',
} as const;
const carl = 'user:default/carl'; // a contractor: sees namespace shop only
const ada = 'user:default/ada'; // an admin

const scale = (...targets: (typeof cart | typeof api)[]) => ({
  source: 'InfraMind',
  decisions: targets.map(t => ({
    verb: 'scale',
    target: t,
    params: { replicas: 3 },
  })),
});

/**
 * An admin's own policy (the ContractorPolicy example) answers with conditions; Sentinel turns
 * them into the queries of its lists, so a list never shows what a get would refuse.
 */
describe('lists under conditional decisions', () => {
  let sentinel: Awaited<ReturnType<typeof startSecuredSentinel>>;

  const cluster = new KubernetesTestServer({ podReadyDelayMs: 50 });

  beforeAll(async () => {
    await cluster.start();
    for (const [namespace, name] of [
      ['shop', 'cart'],
      ['pay', 'api'],
      ['shop', 'orphan'], // managed by no catalog entity
    ]) {
      cluster.addDeployment({
        metadata: { name, namespace },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'app', image: 'app:1.0.0' }] },
          },
        },
      });
    }
    const kubeconfig = join(
      mkdtempSync(join(tmpdir(), 'sentinel-lists-')),
      'kubeconfig',
    );
    writeFileSync(kubeconfig, cluster.kubeconfig({ name: 'k8s' }));
    sentinel = await startSecuredSentinel({
      sentinel: {
        clusters: [{ name: 'k8s', kubeconfig: { path: kubeconfig } }],
      },
      catalogWorkloads: 'k8s/shop/Deployment/cart, k8s/pay/Deployment/api',
      users: {
        [carl]: [carl, 'group:default/contractors'],
        [ada]: [ada, 'group:default/sentinel-admins'],
      },
      rbac: {
        roles: {
          admin: ['group:default/sentinel-admins'],
          operator: ['group:default/contractors'],
          system: ['service:external:inframind'],
        },
      },
      policy: {
        rules: [{ id: 'hold', kind: 'require_approval', reason: 'wait' }],
      },
      permissionModule: contractorPolicyModule,
    });
  });
  afterAll(async () => {
    await sentinel?.stop();
    await cluster.stop();
  });

  it('shows a contractor the plans, rollouts and workloads of their namespace only, and refuses the others one by one', async () => {
    const system = sentinel.as('system');
    const ids: Record<string, string> = {};
    for (const [name, body] of Object.entries({
      shop: scale(cart),
      pay: scale(api),
      both: scale(cart, api),
    })) {
      const res = await system.post('/v1/action-plans', body);
      expect(res.status).toBe(202);
      ids[name] = res.body.id;
    }
    const rollouts = {
      shop: await insertRollout(sentinel.knex, {
        planId: ids.shop,
        target: cart,
        entityRef: 'component:default/cart',
        phase: 'paused',
      }),
      pay: await insertRollout(sentinel.knex, {
        planId: ids.pay,
        target: api,
        entityRef: 'component:default/cart',
        phase: 'paused',
      }),
    };

    const contractor = sentinel.as(carl);
    const plans = await contractor.get('/v1/action-plans');
    expect(plans.status).toBe(200);
    // A plan that also changes namespace pay is not "in shop": every decision must be.
    expect(plans.body.items.map((p: any) => p.id)).toEqual([ids.shop]);
    expect((await contractor.get(`/v1/action-plans/${ids.shop}`)).status).toBe(
      200,
    );
    expect((await contractor.get(`/v1/action-plans/${ids.pay}`)).status).toBe(
      403,
    );
    expect((await contractor.get(`/v1/action-plans/${ids.both}`)).status).toBe(
      403,
    );

    const listed = await contractor.get('/v1/rollouts');
    expect(listed.body.items.map((r: any) => r.id)).toEqual([rollouts.shop]);
    expect((await contractor.get(`/v1/rollouts/${rollouts.pay}`)).status).toBe(
      403,
    );

    // The inventory syncs from the cluster's watch.
    const deadline = Date.now() + 10_000;
    while (
      (await sentinel.as(ada).get('/v1/workloads')).body.items.length < 2 &&
      Date.now() < deadline
    ) {
      await new Promise(r => setTimeout(r, 50));
    }
    const workloads = await contractor.get('/v1/workloads');
    expect(
      workloads.body.items.map((w: any) => `${w.namespace}/${w.name}`),
    ).toEqual(['shop/cart']);

    // The example takes away what the operator role would give: no approvals.
    expect(
      (await contractor.post(`/v1/action-plans/${ids.shop}/approve`, {}))
        .status,
    ).toBe(403);

    // An admin sees everything managed; a workload no catalog entity manages is not listed.
    const all = await sentinel.as(ada).get('/v1/workloads');
    expect(all.body.items.map((w: any) => `${w.namespace}/${w.name}`)).toEqual([
      'pay/api',
      'shop/cart',
    ]);
    // Asked for, the unmanaged ones too (to put a service under Sentinel), but only for
    // whoever may read every workload: the operator still sees just their own.
    const withUnmanaged = await sentinel
      .as(ada)
      .get('/v1/workloads?include=unmanaged');
    expect(
      withUnmanaged.body.items.map((w: any) => [
        `${w.namespace}/${w.name}`,
        w.entityRef === null ? 'unmanaged' : 'managed',
      ]),
    ).toEqual([
      ['pay/api', 'managed'],
      ['shop/cart', 'managed'],
      ['shop/orphan', 'unmanaged'],
    ]);
    expect(
      (await contractor.get('/v1/workloads?include=unmanaged')).body.items.map(
        (w: any) => w.name,
      ),
    ).toEqual(['cart']);
    expect(
      (await sentinel.as(ada).get('/v1/workloads?include=everything')).status,
    ).toBe(400);
    const allPlans = await sentinel.as(ada).get('/v1/action-plans');
    expect(allPlans.body.items).toHaveLength(3);
  });
});
