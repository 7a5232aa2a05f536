import {
  ApiException,
  AppsV1Api,
  CoreApi,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  V1Deployment,
  Watch,
} from '@kubernetes/client-node';
import {
  KubernetesTestServer,
  READY_AFTER_ANNOTATION,
} from './KubernetesTestServer';

function deployment(
  name: string,
  image = 'nginx:1.25',
  replicas = 2,
): V1Deployment {
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      progressDeadlineSeconds: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image }] },
      },
    },
  };
}

/** Polls `check` until it returns a truthy value, failing after `timeoutMs`. */
async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error('condition not met before the deadline');
    }
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

function progressing(d: V1Deployment) {
  return d.status?.conditions?.find(c => c.type === 'Progressing');
}

/** Whether the controller has seen the latest spec and finished rolling it out. */
function rolledOut(d: V1Deployment): boolean {
  return (
    d.status?.observedGeneration === d.metadata?.generation &&
    progressing(d)?.reason === 'NewReplicaSetAvailable' &&
    d.status?.replicas === d.spec?.replicas
  );
}

async function failure(call: Promise<unknown>): Promise<ApiException<any>> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiException) {
      return error;
    }
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('KubernetesTestServer controller and faults', () => {
  const server = new KubernetesTestServer({
    controller: true,
    podReadyDelayMs: 100,
  });
  let kc: KubeConfig;
  let apps: AppsV1Api;
  let core: CoreV1Api;

  beforeAll(async () => {
    await server.start();
    kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig({ name: 'test' }));
    apps = kc.makeApiClient(AppsV1Api);
    core = kc.makeApiClient(CoreV1Api);
  });

  afterEach(() => server.injectFaults({}));

  afterAll(async () => {
    await server.stop();
  });

  const get = (namespace: string, name: string) =>
    apps.readNamespacedDeployment({ namespace, name });

  it('announces core/v1 with pods, services, events, namespaces and ServiceAccounts', async () => {
    const versions = await kc.makeApiClient(CoreApi).getAPIVersions();
    expect(versions.versions).toEqual(['v1']);
    const resources = await core.getAPIResources();
    expect(resources.resources.map(r => r.name).sort()).toEqual([
      'events',
      'namespaces',
      'pods',
      'serviceaccounts',
      'services',
    ]);
  });

  it('scales up and becomes ready, with pods following replicas', async () => {
    const namespace = 'scale';
    const created = await apps.createNamespacedDeployment({
      namespace,
      body: deployment('web'),
    });
    // Status changes are writes that a watch sees as MODIFIED.
    const modified: V1Deployment[] = [];
    const watch = await new Watch(kc).watch(
      `/apis/apps/v1/namespaces/${namespace}/deployments`,
      { resourceVersion: created.metadata?.resourceVersion },
      (type, object) => {
        if (type === 'MODIFIED') {
          modified.push(object);
        }
      },
      () => {},
    );

    const ready = await waitFor(async () => {
      const d = await get(namespace, 'web');
      return d.status?.readyReplicas === 2 && d;
    });
    expect(ready.status).toMatchObject({
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
    });
    expect(progressing(ready)).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetAvailable',
    });
    expect(
      ready.status?.conditions?.find(c => c.type === 'Available')?.status,
    ).toBe('True');
    await waitFor(async () =>
      modified.some(d => d.status?.readyReplicas === 2),
    );
    watch.abort();
    const versions = modified.map(d => Number(d.metadata?.resourceVersion));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));

    const pods = await core.listNamespacedPod({
      namespace,
      labelSelector: 'app=web',
    });
    expect(pods.items).toHaveLength(2);
    // Pods belong to the Deployment's ReplicaSet, which belongs to the Deployment.
    const [replicaSet] = (await apps.listNamespacedReplicaSet({ namespace }))
      .items;
    expect(replicaSet.metadata?.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'Deployment',
        name: 'web',
        uid: created.metadata?.uid,
        controller: true,
      }),
    ]);
    for (const pod of pods.items) {
      expect(pod.metadata?.name).toMatch(/^web-[0-9a-f]{10}-[01]$/);
      expect(pod.metadata?.name).toMatch(`${replicaSet.metadata?.name}-`);
      expect(pod.metadata?.ownerReferences).toEqual([
        expect.objectContaining({
          kind: 'ReplicaSet',
          name: replicaSet.metadata?.name,
          uid: replicaSet.metadata?.uid,
          controller: true,
        }),
      ]);
      expect(pod.status?.phase).toBe('Running');
      expect(
        pod.status?.conditions?.find(c => c.type === 'Ready')?.status,
      ).toBe('True');
    }
    const one = await core.readNamespacedPod({
      namespace,
      name: pods.items[0].metadata!.name!,
    });
    expect(one.metadata?.uid).toBe(pods.items[0].metadata?.uid);

    await apps.patchNamespacedDeploymentScale(
      { namespace, name: 'web', body: { spec: { replicas: 4 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const scaled = await waitFor(async () => {
      const d = await get(namespace, 'web');
      return d.status?.readyReplicas === 4 && d;
    });
    expect(scaled.status?.observedGeneration).toBe(2);
    expect(progressing(scaled)?.reason).toBe('NewReplicaSetAvailable');
    expect((await core.listNamespacedPod({ namespace })).items).toHaveLength(4);

    await apps.patchNamespacedDeploymentScale(
      { namespace, name: 'web', body: { spec: { replicas: 1 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitFor(
      async () =>
        (await core.listNamespacedPod({ namespace })).items.length === 1,
    );

    const events = await core.listNamespacedEvent({ namespace });
    expect(
      events.items.map(e => [e.reason, e.involvedObject.name, e.message]),
    ).toEqual(
      expect.arrayContaining([
        [
          'ScalingReplicaSet',
          'web',
          expect.stringMatching(
            /^Scaled up replica set web-[0-9a-f]{10} to 4$/,
          ),
        ],
        [
          'ScalingReplicaSet',
          'web',
          expect.stringMatching(
            /^Scaled down replica set web-[0-9a-f]{10} to 1$/,
          ),
        ],
      ]),
    );

    await apps.deleteNamespacedDeployment({ namespace, name: 'web' });
    await waitFor(
      async () =>
        (await core.listNamespacedPod({ namespace })).items.length === 0,
    );
    expect(
      (await apps.listNamespacedReplicaSet({ namespace })).items,
    ).toHaveLength(0);
  });

  it('keeps a ReplicaSet per template revision and renumbers one rolled back to', async () => {
    const namespace = 'revisions';
    const body = deployment('shop', 'shop:1');
    body.metadata!.annotations = { 'kubernetes.io/change-cause': 'first' };
    await apps.createNamespacedDeployment({ namespace, body });
    const settled = (image: string) =>
      waitFor(async () => {
        const d = await get(namespace, 'shop');
        return (
          d.spec?.template.spec?.containers[0].image === image &&
          rolledOut(d) &&
          d
        );
      });
    const setImage = (image: string, cause: string) =>
      apps.patchNamespacedDeployment(
        {
          namespace,
          name: 'shop',
          body: {
            metadata: { annotations: { 'kubernetes.io/change-cause': cause } },
            spec: {
              template: { spec: { containers: [{ name: 'web', image }] } },
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
    const replicaSets = async () =>
      Object.fromEntries(
        (await apps.listNamespacedReplicaSet({ namespace })).items.map(rs => [
          rs.spec?.template?.spec?.containers[0].image,
          rs,
        ]),
      );
    const firstPods = async () =>
      (await core.listNamespacedPod({ namespace })).items
        .map(p => p.metadata?.name)
        .sort();

    const first = await settled('shop:1');
    expect(
      first.metadata?.annotations?.['deployment.kubernetes.io/revision'],
    ).toBe('1');
    const podsOfFirst = await firstPods();

    await setImage('shop:2', 'second');
    const second = await settled('shop:2');
    expect(
      second.metadata?.annotations?.['deployment.kubernetes.io/revision'],
    ).toBe('2');
    let sets = await replicaSets();
    const hash = (image: string) =>
      sets[image].metadata?.labels?.['pod-template-hash'];
    expect(sets['shop:1'].metadata?.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '1',
      'kubernetes.io/change-cause': 'first',
    });
    expect(sets['shop:1'].spec?.replicas).toBe(0);
    expect(sets['shop:1'].status?.replicas).toBe(0);
    expect(sets['shop:2']).toMatchObject({
      metadata: {
        name: `shop-${hash('shop:2')}`,
        labels: { app: 'shop', 'pod-template-hash': hash('shop:2') },
        annotations: {
          'deployment.kubernetes.io/revision': '2',
          'kubernetes.io/change-cause': 'second',
        },
      },
      spec: {
        replicas: 2,
        selector: {
          matchLabels: { app: 'shop', 'pod-template-hash': hash('shop:2') },
        },
        template: {
          metadata: {
            labels: { app: 'shop', 'pod-template-hash': hash('shop:2') },
          },
        },
      },
      status: { replicas: 2, readyReplicas: 2, availableReplicas: 2 },
    });
    // The annotations kubectl apply keeps stay on the Deployment.
    expect(
      sets['shop:2'].metadata?.annotations?.[
        'kubectl.kubernetes.io/last-applied-configuration'
      ],
    ).toBeUndefined();

    // Back to the first template: its ReplicaSet becomes revision 3 and its
    // pod names come back.
    await setImage('shop:1', 'rollback');
    const third = await settled('shop:1');
    expect(
      third.metadata?.annotations?.['deployment.kubernetes.io/revision'],
    ).toBe('3');
    sets = await replicaSets();
    expect(Object.keys(sets).sort()).toEqual(['shop:1', 'shop:2']);
    expect(sets['shop:1'].metadata?.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
    });
    expect(sets['shop:1'].spec?.replicas).toBe(2);
    expect(sets['shop:2'].spec?.replicas).toBe(0);
    expect(await firstPods()).toEqual(podsOfFirst);
  });

  it('deletes the oldest idle ReplicaSets beyond revisionHistoryLimit', async () => {
    const namespace = 'history';
    const body = deployment('app', 'app:1', 1);
    body.spec!.revisionHistoryLimit = 1;
    await apps.createNamespacedDeployment({ namespace, body });
    for (const image of ['app:2', 'app:3']) {
      await waitFor(async () => rolledOut(await get(namespace, 'app')));
      await apps.patchNamespacedDeployment({
        namespace,
        name: 'app',
        body: [
          {
            op: 'replace',
            path: '/spec/template/spec/containers/0/image',
            value: image,
          },
        ],
      });
    }
    const images = await waitFor(async () => {
      const items = (await apps.listNamespacedReplicaSet({ namespace })).items;
      const all = items.map(rs => rs.spec?.template?.spec?.containers[0].image);
      return all.length === 2 && all.includes('app:3') && all.sort();
    });
    expect(images).toEqual(['app:2', 'app:3']);
  });

  it('readies pods after the delay their template annotation asks for', async () => {
    const namespace = 'delays';
    const slow = deployment('slow', 'nginx:1.25', 1);
    slow.spec!.template.metadata!.annotations = {
      [READY_AFTER_ANNOTATION]: '700',
    };
    const started = Date.now();
    await apps.createNamespacedDeployment({
      namespace,
      body: deployment('quick', 'nginx:1.25', 1),
    });
    await apps.createNamespacedDeployment({ namespace, body: slow });
    await waitFor(
      async () => (await get(namespace, 'quick')).status?.readyReplicas === 1,
    );
    expect((await get(namespace, 'slow')).status?.readyReplicas ?? 0).toBe(0);
    await waitFor(
      async () => (await get(namespace, 'slow')).status?.readyReplicas === 1,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
  });

  it('never readies a -broken image, exceeds the progress deadline and recovers on rollback', async () => {
    const namespace = 'rollout';
    await apps.createNamespacedDeployment({
      namespace,
      body: deployment('api'),
    });
    await waitFor(async () => {
      const d = await get(namespace, 'api');
      return progressing(d)?.reason === 'NewReplicaSetAvailable';
    });
    const goodPods = (await core.listNamespacedPod({ namespace })).items.map(
      p => p.metadata?.name,
    );

    const setImage = (image: string) =>
      apps.patchNamespacedDeployment(
        {
          namespace,
          name: 'api',
          body: {
            spec: {
              template: { spec: { containers: [{ name: 'web', image }] } },
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );

    await setImage('nginx:1.26-broken');
    const rolling = await waitFor(async () => {
      const d = await get(namespace, 'api');
      return d.status?.observedGeneration === 2 && d;
    });
    expect(progressing(rolling)?.reason).toBe('ReplicaSetUpdated');

    const stuck = await waitFor(async () => {
      const d = await get(namespace, 'api');
      return progressing(d)?.reason === 'ProgressDeadlineExceeded' && d;
    });
    expect(progressing(stuck)?.status).toBe('False');
    // The old pods keep serving; the updated ones never become ready.
    expect(stuck.status).toMatchObject({
      updatedReplicas: 2,
      readyReplicas: 2,
      replicas: 4,
    });
    const pods = (await core.listNamespacedPod({ namespace })).items;
    const broken = pods.filter(
      p => p.spec?.containers[0].image === 'nginx:1.26-broken',
    );
    expect(broken).toHaveLength(2);
    for (const pod of broken) {
      expect(
        pod.status?.conditions?.find(c => c.type === 'Ready')?.status,
      ).toBe('False');
    }

    await setImage('nginx:1.25');
    const recovered = await waitFor(async () => {
      const d = await get(namespace, 'api');
      return (
        d.status?.observedGeneration === 3 &&
        progressing(d)?.reason === 'NewReplicaSetAvailable' &&
        d
      );
    });
    expect(progressing(recovered)?.status).toBe('True');
    expect(recovered.status).toMatchObject({ replicas: 2, readyReplicas: 2 });
    expect(
      (await core.listNamespacedPod({ namespace })).items
        .map(p => p.metadata?.name)
        .sort(),
    ).toEqual(goodPods.sort());
  });

  it('streams pod changes to a watch', async () => {
    const namespace = 'podwatch';
    const events: Array<[string, string | undefined]> = [];
    const watch = await new Watch(kc).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { labelSelector: 'app=one' },
      (type, pod) => {
        events.push([
          type,
          pod.status?.conditions?.find((c: any) => c.type === 'Ready')?.status,
        ]);
      },
      () => {},
    );
    await apps.createNamespacedDeployment({
      namespace,
      body: deployment('one', 'nginx:1.25', 1),
    });
    await waitFor(async () => events.length >= 2);
    await apps.deleteNamespacedDeployment({ namespace, name: 'one' });
    await waitFor(async () => events.length >= 3);
    watch.abort();
    expect(events).toEqual([
      ['ADDED', 'False'],
      ['MODIFIED', 'True'],
      ['DELETED', 'True'],
    ]);
  });

  it('moves a StatefulSet towards its spec', async () => {
    const namespace = 'stateful';
    const body = deployment('db', 'postgres:16', 3);
    await apps.createNamespacedStatefulSet({
      namespace,
      body: {
        metadata: body.metadata,
        spec: {
          serviceName: 'db',
          replicas: 3,
          selector: body.spec!.selector,
          template: body.spec!.template,
        },
      },
    });
    const ready = await waitFor(async () => {
      const s = await apps.readNamespacedStatefulSet({ namespace, name: 'db' });
      return s.status?.readyReplicas === 3 && s;
    });
    expect(ready.status).toMatchObject({
      observedGeneration: 1,
      replicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      availableReplicas: 3,
    });
    expect(ready.status?.currentRevision).toBe(ready.status?.updateRevision);
    const pods = await core.listNamespacedPod({
      namespace,
      labelSelector: 'app=db',
    });
    expect(pods.items.map(p => p.metadata?.ownerReferences?.[0].kind)).toEqual([
      'StatefulSet',
      'StatefulSet',
      'StatefulSet',
    ]);
  });

  it('answers injected 500 and 429 (with Retry-After) as ApiExceptions', async () => {
    server.injectFaults({
      failNext: { status: 500, count: 1, path: '/deployments' },
    });
    // Other paths are unaffected.
    await core.listNamespacedPod({ namespace: 'faults' });
    const internal = await failure(
      apps.listNamespacedDeployment({ namespace: 'faults' }),
    );
    expect(internal.code).toBe(500);
    await apps.listNamespacedDeployment({ namespace: 'faults' });

    server.injectFaults({ failNext: { status: 429, count: 2 } });
    for (let i = 0; i < 2; i++) {
      const tooMany = await failure(
        apps.listNamespacedDeployment({ namespace: 'faults' }),
      );
      expect(tooMany.code).toBe(429);
      expect(tooMany.headers['retry-after']).toBe('1');
    }
    await apps.listNamespacedDeployment({ namespace: 'faults' });
  });

  it('injects latency and dropped connections', async () => {
    server.injectFaults({ latencyMs: 150 });
    const started = Date.now();
    await apps.listNamespacedDeployment({ namespace: 'faults' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    server.injectFaults({ dropConnections: true });
    await expect(
      apps.listNamespacedDeployment({ namespace: 'faults' }),
    ).rejects.toThrow();
    server.injectFaults({});
    await apps.listNamespacedDeployment({ namespace: 'faults' });
  });

  it('resumes a watch ended by disconnectWatches without losing events', async () => {
    const namespace = 'resume';
    const list = await core.listNamespacedService({ namespace });
    const seen: string[] = [];
    let lastVersion = list.metadata!.resourceVersion!;
    const watchFrom = (resourceVersion: string, onDone: () => void) =>
      new Watch(kc).watch(
        `/api/v1/namespaces/${namespace}/services`,
        { resourceVersion },
        (type, object) => {
          seen.push(`${type} ${object.metadata.name}`);
          lastVersion = object.metadata.resourceVersion;
        },
        () => onDone(),
      );
    const create = (name: string) =>
      core.createNamespacedService({
        namespace,
        body: { metadata: { name }, spec: { ports: [{ port: 80 }] } },
      });

    let ended = false;
    await watchFrom(lastVersion, () => {
      ended = true;
    });
    await create('one');
    await waitFor(async () => seen.length === 1);
    server.disconnectWatches();
    await waitFor(async () => ended);
    // Happens while no watch is open.
    await create('two');

    const resumed = await watchFrom(lastVersion, () => {});
    await create('three');
    await waitFor(async () => seen.length === 3);
    resumed.abort();
    expect(seen).toEqual(['ADDED one', 'ADDED two', 'ADDED three']);
  });
});
