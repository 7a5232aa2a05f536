import { ConflictError } from '@backstage/errors';
import { KubernetesTestServer } from '@internal/kubernetes-test-server';
import type { WorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { IDENTITIES, kubeConfigAs } from '../__testUtils__/targetCluster';
import { RESTARTED_AT_ANNOTATION } from './workloadState';
import { KubernetesClusterDriver } from './KubernetesClusterDriver';

const cart: WorkloadRef = {
  cluster: 'test',
  namespace: 'shop',
  kind: 'Deployment',
  name: 'cart',
};
const ledger: WorkloadRef = {
  cluster: 'test',
  namespace: 'payments',
  kind: 'StatefulSet',
  name: 'ledger',
};

function workload(name: string, namespace: string, image: string) {
  return {
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image,
              resources: { requests: { cpu: '100m', memory: '128Mi' } },
            },
            { name: 'sidecar', image: 'envoy:1.30' },
          ],
        },
      },
    },
  };
}

// Against the Kubernetes API test server, as its administrator and as Sentinel's ServiceAccount
// under exactly the role shipped for target clusters (a call it does not allow is a 403).
describe.each(IDENTITIES)('KubernetesClusterDriver as %s', identity => {
  const server = new KubernetesTestServer();
  /** The administrator, who sets the scene. */
  let kc: KubeConfig;
  /** What the driver runs as. */
  let driverKc: KubeConfig;
  let driver: KubernetesClusterDriver;
  let apps: AppsV1Api;

  beforeAll(async () => {
    await server.start();
    kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig({ name: 'test' }));
    driverKc = kubeConfigAs(server, identity, 'test');
    apps = kc.makeApiClient(AppsV1Api);
  });
  afterAll(() => server.stop());

  beforeEach(async () => {
    for (const [ref, image] of [
      [cart, 'shop/cart:1.0.0'],
      [ledger, 'payments/ledger:2.0.0'],
    ] as const) {
      const existing = await driverFor().getWorkload(ref);
      const obj = workload(ref.name, ref.namespace, image);
      if (existing) {
        const read =
          ref.kind === 'StatefulSet'
            ? await apps.readNamespacedStatefulSet({
                name: ref.name,
                namespace: ref.namespace,
              })
            : await apps.readNamespacedDeployment({
                name: ref.name,
                namespace: ref.namespace,
              });
        const body = { ...read, spec: obj.spec } as any;
        if (ref.kind === 'StatefulSet') {
          await apps.replaceNamespacedStatefulSet({
            name: ref.name,
            namespace: ref.namespace,
            body,
          });
        } else {
          await apps.replaceNamespacedDeployment({
            name: ref.name,
            namespace: ref.namespace,
            body,
          });
        }
      } else if (ref.kind === 'StatefulSet') {
        server.addStatefulSet(obj);
      } else {
        server.addDeployment(obj);
      }
    }
    driver = driverFor();
  });

  function driverFor() {
    return new KubernetesClusterDriver('test', driverKc, {
      retry: { baseDelayMs: 10 },
    });
  }

  it('reads what Sentinel changes of a Deployment and a StatefulSet', async () => {
    const state = (await driver.getWorkload(cart))!;
    expect(state).toMatchObject({
      ref: cart,
      replicas: 2,
      containers: [
        {
          name: 'app',
          image: 'shop/cart:1.0.0',
          resources: { requests: { cpu: '100m', memory: '128Mi' } },
        },
        { name: 'sidecar', image: 'envoy:1.30', resources: {} },
      ],
    });
    expect(state.resourceVersion).toMatch(/^\d+$/);
    expect((await driver.getWorkload(ledger))!.containers[0].image).toBe(
      'payments/ledger:2.0.0',
    );
    expect(await driver.getWorkload({ ...cart, name: 'nope' })).toBeUndefined();
  });

  it.each([
    [
      'scale',
      { verb: 'scale' as const, replicas: 5 },
      (s: any) => expect(s.replicas).toBe(5),
    ],
    [
      'rollout',
      {
        verb: 'rollout' as const,
        containers: { app: { image: 'shop/cart:1.1.0' } },
      },
      (s: any) => {
        expect(s.containers[0].image).toBe('shop/cart:1.1.0');
        expect(s.containers[1].image).toBe('envoy:1.30'); // the sidecar is untouched
      },
    ],
    [
      'set_resources',
      {
        verb: 'set_resources' as const,
        containers: { app: { limits: { memory: '256Mi' } } },
      },
      (s: any) =>
        expect(s.containers[0].resources).toEqual({
          requests: { cpu: '100m', memory: '128Mi' },
          limits: { memory: '256Mi' },
        }),
    ],
    [
      'restart',
      { verb: 'restart' as const, at: '2026-11-26T21:00:00Z' },
      (s: any) => expect(s.restartedAt).toBe('2026-11-26T21:00:00Z'),
    ],
  ])(
    'applies %s with a resourceVersion precondition, as Kubernetes sees it',
    async (_verb, change, check) => {
      for (const ref of [cart, ledger]) {
        const before = (await driver.getWorkload(ref))!;
        const after = await driver.apply(ref, change, {
          expectedResourceVersion: before.resourceVersion,
        });
        check(after);
        check((await driver.getWorkload(ref))!); // read back from the server
        expect(Number(after.resourceVersion)).toBeGreaterThan(
          Number(before.resourceVersion),
        );
      }
    },
  );

  it('refuses to write over a change made since the read (409 → ConflictError)', async () => {
    const read = (await driver.getWorkload(cart))!;
    await driver.apply(
      cart,
      { verb: 'scale', replicas: 3 },
      { expectedResourceVersion: read.resourceVersion },
    );
    await expect(
      driver.apply(
        cart,
        { verb: 'scale', replicas: 9 },
        { expectedResourceVersion: read.resourceVersion },
      ),
    ).rejects.toThrow(ConflictError);
    expect((await driver.getWorkload(cart))!.replicas).toBe(3);
  });

  it('reports the state after a scale without reading it again when given the state it was decided on', async () => {
    for (const ref of [cart, ledger]) {
      const before = (await driver.getWorkload(ref))!;
      const after = await driver.apply(
        ref,
        { verb: 'scale', replicas: before.replicas + 1 },
        { expectedResourceVersion: before.resourceVersion, current: before },
      );
      expect(after).toEqual(await driver.getWorkload(ref));
    }
  });

  it('restores a snapshot exactly, removing what the change added', async () => {
    const before = (await driver.getWorkload(cart))!;
    let after = await driver.apply(
      cart,
      {
        verb: 'set_resources',
        containers: { app: { limits: { cpu: '1', memory: '1Gi' } } },
      },
      { expectedResourceVersion: before.resourceVersion },
    );
    after = await driver.apply(
      cart,
      { verb: 'restart', at: '2026-11-26T21:00:00Z' },
      { expectedResourceVersion: after.resourceVersion },
    );
    after = await driver.apply(
      cart,
      { verb: 'scale', replicas: 7 },
      { expectedResourceVersion: after.resourceVersion },
    );

    const restored = await driver.restore(before, {
      expected: after,
    });
    const { resourceVersion: _a, ...restoredState } = restored;
    const { resourceVersion: _b, ...beforeState } = before;
    expect(restoredState).toEqual(beforeState);
    const raw = await apps.readNamespacedDeployment({
      name: 'cart',
      namespace: 'shop',
    });
    expect(
      raw.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION],
    ).toBeUndefined();
    expect(
      raw.spec?.template?.spec?.containers[0].resources?.limits,
    ).toBeUndefined();
  });

  it('does not take a status update (which bumps resourceVersion) for drift', async () => {
    const before = (await driver.getWorkload(cart))!;
    const after = await driver.apply(
      cart,
      { verb: 'scale', replicas: 4 },
      { expectedResourceVersion: before.resourceVersion },
    );
    // The deployment controller reports progress: a status write, a new resourceVersion.
    await apps.patchNamespacedDeploymentStatus({
      name: 'cart',
      namespace: 'shop',
      body: [
        {
          op: 'add',
          path: '/status',
          value: { observedGeneration: 2, readyReplicas: 4 },
        },
      ],
    });
    expect((await driver.getWorkload(cart))!.resourceVersion).not.toBe(
      after.resourceVersion,
    );

    const restored = await driver.restore(before, { expected: after });
    expect(restored.replicas).toBe(2);
  });

  it('retries 500s and 429s within its budget, then gives up with the error', async () => {
    server.injectFaults({ failNext: { status: 500, count: 2 } });
    expect((await driver.getWorkload(cart))!.replicas).toBe(2);

    server.injectFaults({
      failNext: { status: 429, count: 1, retryAfterSeconds: 1 },
    });
    const started = Date.now();
    expect((await driver.getWorkload(cart))!.replicas).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // Retry-After honoured

    server.injectFaults({ failNext: { status: 500, count: 10 } });
    await expect(driver.getWorkload(cart)).rejects.toMatchObject({ code: 500 });
    server.injectFaults({});
  });

  it('refuses a rollback over drift unless forced', async () => {
    const before = (await driver.getWorkload(cart))!;
    const after = await driver.apply(
      cart,
      { verb: 'scale', replicas: 4 },
      { expectedResourceVersion: before.resourceVersion },
    );
    // Someone runs `kubectl scale` in between.
    await apps.patchNamespacedDeploymentScale({
      name: 'cart',
      namespace: 'shop',
      body: [{ op: 'replace', path: '/spec/replicas', value: 6 }],
    });

    await expect(
      driver.restore(before, {
        expected: after,
      }),
    ).rejects.toThrow(
      /changed since Sentinel's change; refusing to overwrite it without force/,
    );
    expect((await driver.getWorkload(cart))!.replicas).toBe(6);

    const forced = await driver.restore(before, {
      expected: after,
      force: true,
    });
    expect(forced.replicas).toBe(2);
  });
});
