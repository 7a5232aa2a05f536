import {
  ApiException,
  ApisApi,
  AppsV1Api,
  CoreApi,
  CoreV1Api,
  makeInformer,
  VersionApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  V1Deployment,
  Watch,
} from '@kubernetes/client-node';
import { KubernetesTestServer } from './KubernetesTestServer';

function deployment(name: string, image = 'nginx:1.25'): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            { name: 'web', image, ports: [{ containerPort: 80 }] },
            { name: 'sidecar', image: 'envoy:1.30' },
          ],
        },
      },
    },
  };
}

/** Runs a client call that must fail and returns the ApiException. */
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

/** The body of an ApiException, parsed when the client left it a string. */
function statusOf(error: ApiException<any>): any {
  return typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
}

describe('KubernetesTestServer with @kubernetes/client-node', () => {
  const server = new KubernetesTestServer();
  let kc: KubeConfig;
  let apps: AppsV1Api;

  beforeAll(async () => {
    await server.start();
    kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig({ name: 'test' }));
    apps = kc.makeApiClient(AppsV1Api);
  });

  afterAll(async () => {
    await server.stop();
  });

  it('creates, reads and lists a Deployment', async () => {
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web-a'),
    });
    expect(created.metadata?.uid).toEqual(expect.any(String));
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.generation).toBe(1);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);

    const read = await apps.readNamespacedDeployment({
      name: 'web-a',
      namespace: 'default',
    });
    expect(read.spec?.template.spec?.containers[0].image).toBe('nginx:1.25');

    const list = await apps.listNamespacedDeployment({ namespace: 'default' });
    expect(list.items.map(d => d.metadata?.name)).toContain('web-a');
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThanOrEqual(
      Number(created.metadata?.resourceVersion),
    );

    const all = await apps.listDeploymentForAllNamespaces();
    expect(all.items.map(d => d.metadata?.name)).toContain('web-a');
  });

  it('answers 409 AlreadyExists for a duplicate create', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web-dup'),
    });
    const error = await failure(
      apps.createNamespacedDeployment({
        namespace: 'default',
        body: deployment('web-dup'),
      }),
    );
    expect(error.code).toBe(409);
    expect(statusOf(error)).toMatchObject({
      kind: 'Status',
      reason: 'AlreadyExists',
      code: 409,
    });
  });

  it('answers 404 with a NotFound Status', async () => {
    const error = await failure(
      apps.readNamespacedDeployment({ name: 'missing', namespace: 'default' }),
    );
    expect(error.code).toBe(404);
    expect(statusOf(error)).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'deployments.apps "missing" not found',
    });
  });

  it('answers 401 without the bearer token', async () => {
    const anonymous = new KubeConfig();
    anonymous.loadFromOptions({
      clusters: [{ name: 'c', server: server.url, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const error = await failure(
      anonymous
        .makeApiClient(AppsV1Api)
        .listNamespacedDeployment({ namespace: 'default' }),
    );
    expect(error.code).toBe(401);
  });

  it('answers 401 with an Unauthorized Status body', async () => {
    const response = await fetch(`${server.url}/apis/apps/v1/deployments`, {
      headers: { Authorization: 'Bearer wrong' },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Unauthorized',
      code: 401,
    });
  });

  it('serves discovery and version', async () => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.major).toBe('1');
    expect(version.gitVersion).toMatch(/^v1\./);

    const core = await kc.makeApiClient(CoreApi).getAPIVersions();
    expect(core.versions).toEqual(['v1']);

    const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
    expect(groups.groups.map(g => g.name)).toContain('apps');

    const resources = await apps.getAPIResources();
    expect(resources.groupVersion).toBe('apps/v1');
    expect(resources.resources.map(r => r.name).sort()).toEqual([
      'deployments',
      'deployments/scale',
      'deployments/status',
      'replicasets',
      'statefulsets',
      'statefulsets/scale',
      'statefulsets/status',
    ]);
    const scale = resources.resources.find(r => r.name === 'deployments/scale');
    expect(scale).toMatchObject({
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
    });
  });

  it('filters lists by label selector', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'labels',
      body: deployment('web-label-a'),
    });
    await apps.createNamespacedDeployment({
      namespace: 'labels',
      body: deployment('web-label-b'),
    });
    const list = await apps.listNamespacedDeployment({
      namespace: 'labels',
      labelSelector: 'app=web-label-b',
    });
    expect(list.items.map(d => d.metadata?.name)).toEqual(['web-label-b']);
    const byName = await apps.listNamespacedDeployment({
      namespace: 'labels',
      fieldSelector: 'metadata.name=web-label-a',
    });
    expect(byName.items.map(d => d.metadata?.name)).toEqual(['web-label-a']);
  });

  it('scales through the scale subresource with replace and patch', async () => {
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web-scale'),
    });

    const scale = await apps.readNamespacedDeploymentScale({
      name: 'web-scale',
      namespace: 'default',
    });
    expect(scale.kind).toBe('Scale');
    expect(scale.apiVersion).toBe('autoscaling/v1');
    expect(scale.spec?.replicas).toBe(2);
    expect(scale.status?.selector).toBe('app=web-scale');

    const replaced = await apps.replaceNamespacedDeploymentScale({
      name: 'web-scale',
      namespace: 'default',
      body: {
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: {
          name: 'web-scale',
          namespace: 'default',
          resourceVersion: scale.metadata?.resourceVersion,
        },
        spec: { replicas: 5 },
      },
    });
    expect(replaced.spec?.replicas).toBe(5);

    const patched = await apps.patchNamespacedDeploymentScale(
      {
        name: 'web-scale',
        namespace: 'default',
        body: { spec: { replicas: 3 } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(patched.spec?.replicas).toBe(3);

    const read = await apps.readNamespacedDeployment({
      name: 'web-scale',
      namespace: 'default',
    });
    expect(read.spec?.replicas).toBe(3);
    expect(read.metadata?.generation).toBe(3);
    expect(Number(read.metadata?.resourceVersion)).toBeGreaterThan(
      Number(created.metadata?.resourceVersion),
    );

    // A stale resourceVersion on the Scale is a conflict.
    const error = await failure(
      apps.replaceNamespacedDeploymentScale({
        name: 'web-scale',
        namespace: 'default',
        body: {
          metadata: {
            name: 'web-scale',
            resourceVersion: scale.metadata?.resourceVersion,
          },
          spec: { replicas: 9 },
        },
      }),
    );
    expect(error.code).toBe(409);
  });

  it('counts the writes it answered, per object and status code, and no reads', async () => {
    server.clearWrites();
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web-writes'),
    });
    const scaleTo = (replicas: number, resourceVersion?: string) =>
      apps.patchNamespacedDeploymentScale(
        {
          name: 'web-writes',
          namespace: 'default',
          body: { metadata: { resourceVersion }, spec: { replicas } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    await scaleTo(3);
    // The same change again counts: it is a second write, though nothing changed.
    await scaleTo(3);
    await apps.readNamespacedDeployment({
      name: 'web-writes',
      namespace: 'default',
    });
    const stale = await failure(scaleTo(4, created.metadata?.resourceVersion));
    expect(stale.code).toBe(409);

    const scale = { verb: 'patch', apiGroup: 'apps', namespace: 'default' };
    expect(server.writes()).toEqual([
      {
        verb: 'create',
        apiGroup: 'apps',
        resource: 'deployments',
        namespace: 'default',
        name: '',
        code: 201,
        count: 1,
      },
      {
        ...scale,
        resource: 'deployments/scale',
        name: 'web-writes',
        code: 200,
        count: 2,
      },
      {
        ...scale,
        resource: 'deployments/scale',
        name: 'web-writes',
        code: 409,
        count: 1,
      },
    ]);

    server.clearWrites();
    expect(server.writes()).toEqual([]);
  });

  it('uses JSON patch by default', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web-jsonpatch'),
    });
    const patched = await apps.patchNamespacedDeployment({
      name: 'web-jsonpatch',
      namespace: 'default',
      body: [{ op: 'replace', path: '/spec/replicas', value: 4 }],
    });
    expect(patched.spec?.replicas).toBe(4);
  });

  it('merge-patches a container image (the whole containers list is replaced)', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web-merge'),
    });
    const patched = await apps.patchNamespacedDeployment(
      {
        name: 'web-merge',
        namespace: 'default',
        body: {
          spec: {
            template: {
              spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] },
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const containers = patched.spec?.template.spec?.containers ?? [];
    expect(containers).toEqual([{ name: 'web', image: 'nginx:1.26' }]);
    expect(patched.metadata?.generation).toBe(2);
  });

  it('strategic-merge-patches a container image by container name', async () => {
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web-smp'),
    });
    const patched = await apps.patchNamespacedDeployment(
      {
        name: 'web-smp',
        namespace: 'default',
        body: {
          spec: {
            template: {
              spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] },
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const containers = patched.spec?.template.spec?.containers ?? [];
    expect(containers.map(c => [c.name, c.image])).toEqual([
      ['web', 'nginx:1.26'],
      ['sidecar', 'envoy:1.30'],
    ]);
    expect(containers[0].ports).toEqual([{ containerPort: 80 }]);
    expect(patched.metadata?.generation).toBe(2);

    // A resourceVersion in the patch is a precondition.
    const error = await failure(
      apps.patchNamespacedDeployment(
        {
          name: 'web-smp',
          namespace: 'default',
          body: {
            metadata: { resourceVersion: created.metadata?.resourceVersion },
            spec: { replicas: 7 },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(error.code).toBe(409);
    expect(statusOf(error).reason).toBe('Conflict');
  });

  it('refuses an unsupported patch content type with 415', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web-apply'),
    });
    const error = await failure(
      apps.patchNamespacedDeployment(
        { name: 'web-apply', namespace: 'default', body: { spec: {} } },
        setHeaderOptions('Content-Type', 'application/yaml'),
      ),
    );
    expect(error.code).toBe(415);
    expect(statusOf(error).reason).toBe('UnsupportedMediaType');
  });

  it('answers 409 Conflict when replacing with a stale resourceVersion', async () => {
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web-conflict'),
    });
    const first = await apps.replaceNamespacedDeployment({
      name: 'web-conflict',
      namespace: 'default',
      body: { ...created, spec: { ...created.spec!, replicas: 3 } },
    });
    expect(first.spec?.replicas).toBe(3);

    const error = await failure(
      apps.replaceNamespacedDeployment({
        name: 'web-conflict',
        namespace: 'default',
        body: { ...created, spec: { ...created.spec!, replicas: 4 } },
      }),
    );
    expect(error.code).toBe(409);
    expect(statusOf(error)).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      code: 409,
    });
    const read = await apps.readNamespacedDeployment({
      name: 'web-conflict',
      namespace: 'default',
    });
    expect(read.spec?.replicas).toBe(3);
  });

  it('keeps status apart from spec through the status subresource', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web-status'),
    });
    const current = await apps.readNamespacedDeploymentStatus({
      name: 'web-status',
      namespace: 'default',
    });
    const updated = await apps.replaceNamespacedDeploymentStatus({
      name: 'web-status',
      namespace: 'default',
      body: {
        ...current,
        spec: { ...current.spec!, replicas: 10 },
        status: { replicas: 2, readyReplicas: 2, observedGeneration: 1 },
      },
    });
    expect(updated.status?.readyReplicas).toBe(2);
    expect(updated.spec?.replicas).toBe(2);
    expect(updated.metadata?.generation).toBe(1);

    // A main-resource update does not touch status.
    const replaced = await apps.replaceNamespacedDeployment({
      name: 'web-status',
      namespace: 'default',
      body: { ...updated, status: {} },
    });
    expect(replaced.status?.readyReplicas).toBe(2);
  });

  it('merge-patches status through the status subresource', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web-status-patch'),
    });
    const patched = await apps.patchNamespacedDeploymentStatus(
      {
        name: 'web-status-patch',
        namespace: 'default',
        body: {
          spec: { replicas: 9 },
          status: { availableReplicas: 2, observedGeneration: 1 },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(patched.status?.availableReplicas).toBe(2);
    expect(patched.spec?.replicas).toBe(2);
  });

  it('deletes a Deployment', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web-delete'),
    });
    const status = await apps.deleteNamespacedDeployment({
      name: 'web-delete',
      namespace: 'default',
    });
    expect(status.status).toBe('Success');
    const error = await failure(
      apps.readNamespacedDeployment({
        name: 'web-delete',
        namespace: 'default',
      }),
    );
    expect(error.code).toBe(404);
  });

  it('replaces, strategic-merge-patches and deletes a Service', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const namespace = 'services';
    const created = await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          selector: { app: 'web' },
          ports: [
            { name: 'http', port: 80, targetPort: 8080 },
            { name: 'admin', port: 9000 },
          ],
        },
      },
    });
    const replaced = await core.replaceNamespacedService({
      namespace,
      name: 'web',
      body: {
        ...created,
        spec: { ...created.spec, selector: { app: 'web', track: 'stable' } },
      },
    });
    expect(replaced.spec?.selector).toEqual({ app: 'web', track: 'stable' });
    // Service ports merge by port.
    const patched = await core.patchNamespacedService(
      {
        namespace,
        name: 'web',
        body: { spec: { ports: [{ port: 80, targetPort: 8081 }] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(patched.spec?.ports).toEqual([
      { name: 'http', port: 80, targetPort: 8081 },
      { name: 'admin', port: 9000 },
    ]);
    await core.deleteNamespacedService({ namespace, name: 'web' });
    expect(
      (await core.listNamespacedService({ namespace })).items,
    ).toHaveLength(0);
  });

  it('serves StatefulSets seeded in process', async () => {
    server.addStatefulSet({
      metadata: { name: 'db', namespace: 'data', labels: { app: 'db' } },
      spec: {
        replicas: 3,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: { containers: [{ name: 'pg', image: 'postgres:15' }] },
        },
      },
      status: { replicas: 3, readyReplicas: 3 },
    });
    const read = await apps.readNamespacedStatefulSet({
      name: 'db',
      namespace: 'data',
    });
    expect(read.status?.readyReplicas).toBe(3);
    const scaled = await apps.patchNamespacedStatefulSetScale(
      { name: 'db', namespace: 'data', body: { spec: { replicas: 1 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(scaled.spec?.replicas).toBe(1);
    expect(server.getStatefulSet('data', 'db')?.spec.replicas).toBe(1);
  });

  it('delivers ADDED, MODIFIED and DELETED to a Watch after a resourceVersion', async () => {
    // Something that happened before the watch's resourceVersion is not replayed.
    await apps.createNamespacedDeployment({
      namespace: 'watched',
      body: deployment('before'),
    });
    const list = await apps.listNamespacedDeployment({ namespace: 'watched' });
    expect(list.items).toHaveLength(1);

    const watching = watchUntil(
      kc,
      '/apis/apps/v1/namespaces/watched/deployments',
      { resourceVersion: list.metadata?.resourceVersion },
      events => events.some(e => e.type === 'DELETED'),
    );
    await apps.createNamespacedDeployment({
      namespace: 'watched',
      body: deployment('web-watch'),
    });
    await apps.patchNamespacedDeploymentScale(
      {
        name: 'web-watch',
        namespace: 'watched',
        body: { spec: { replicas: 6 } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    // Another namespace is not part of this watch.
    await apps.createNamespacedDeployment({
      namespace: 'elsewhere',
      body: deployment('web-other'),
    });
    await apps.deleteNamespacedDeployment({
      name: 'web-watch',
      namespace: 'watched',
    });

    const events = await watching;
    expect(events.map(e => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'web-watch'],
      ['MODIFIED', 'web-watch'],
      ['DELETED', 'web-watch'],
    ]);
    expect(events[1].object.spec.replicas).toBe(6);
    const versions = events.map(e => Number(e.object.metadata.resourceVersion));
    expect(versions[0]).toBeGreaterThan(Number(list.metadata?.resourceVersion));
    expect(versions[1]).toBeGreaterThan(versions[0]);
    expect(versions[2]).toBeGreaterThan(versions[1]);
  });

  it('replays changes made before the watch started when they are newer than its resourceVersion', async () => {
    const list = await apps.listDeploymentForAllNamespaces();
    await apps.createNamespacedDeployment({
      namespace: 'replay',
      body: deployment('web-replay'),
    });
    const events = await watchUntil(
      kc,
      '/apis/apps/v1/deployments',
      { resourceVersion: list.metadata?.resourceVersion },
      received => received.length >= 1,
    );
    expect(events[0].type).toBe('ADDED');
    expect(events[0].object.metadata.name).toBe('web-replay');
  });

  it('tells a label-selected watch when an object enters and leaves its selection', async () => {
    const created = await apps.createNamespacedDeployment({
      namespace: 'selected',
      body: deployment('web-selected'),
    });
    const watching = watchUntil(
      kc,
      '/apis/apps/v1/namespaces/selected/deployments',
      {
        resourceVersion: created.metadata?.resourceVersion,
        labelSelector: 'tier=front',
      },
      events => events.length >= 3,
    );
    const label = (tier: string | null) =>
      apps.patchNamespacedDeployment(
        {
          name: 'web-selected',
          namespace: 'selected',
          body: { metadata: { labels: { tier } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    await label('front');
    await label('front');
    await label(null);
    const events = await watching;
    expect(events.map(e => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(events[2].object.metadata.labels.tier).toBeUndefined();
  });

  it('bumps generation only for spec changes', async () => {
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web-generation'),
    });
    const labelled = await apps.patchNamespacedDeployment(
      {
        name: 'web-generation',
        namespace: 'default',
        body: { metadata: { annotations: { note: 'x' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(labelled.metadata?.generation).toBe(1);
    expect(Number(labelled.metadata?.resourceVersion)).toBeGreaterThan(
      Number(created.metadata?.resourceVersion),
    );
  });

  it('fails a JSON patch whose test operation does not hold', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web-jsontest'),
    });
    const error = await failure(
      apps.patchNamespacedDeployment({
        name: 'web-jsontest',
        namespace: 'default',
        body: [
          { op: 'test', path: '/spec/replicas', value: 5 },
          { op: 'replace', path: '/spec/replicas', value: 6 },
        ],
      }),
    );
    expect(error.code).toBe(422);
    const read = await apps.readNamespacedDeployment({
      name: 'web-jsontest',
      namespace: 'default',
    });
    expect(read.spec?.replicas).toBe(2);
  });

  it('keeps a client-node informer (list + watch) up to date', async () => {
    const informer = makeInformer<V1Deployment>(
      kc,
      '/apis/apps/v1/namespaces/informed/deployments',
      () => apps.listNamespacedDeployment({ namespace: 'informed' }),
    );
    await apps.createNamespacedDeployment({
      namespace: 'informed',
      body: deployment('web-informed'),
    });
    const seen: string[] = [];
    const updated = new Promise<void>(resolve => {
      informer.on('update', object => {
        seen.push(`update:${object.spec?.replicas}`);
        resolve();
      });
    });
    informer.on('add', object => seen.push(`add:${object.metadata?.name}`));
    await informer.start();
    try {
      expect(informer.list().map(d => d.metadata?.name)).toEqual([
        'web-informed',
      ]);
      await apps.patchNamespacedDeploymentScale(
        {
          name: 'web-informed',
          namespace: 'informed',
          body: { spec: { replicas: 8 } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await updated;
      expect(seen).toEqual(['add:web-informed', 'update:8']);
      expect(informer.get('web-informed', 'informed')?.spec?.replicas).toBe(8);
    } finally {
      await informer.stop();
    }
  });

  it('sends bookmarks when asked to', async () => {
    const bookmarking = new KubernetesTestServer({ bookmarkIntervalMs: 20 });
    await bookmarking.start();
    try {
      const config = new KubeConfig();
      config.loadFromString(bookmarking.kubeconfig({ name: 'bookmarks' }));
      const events = await watchUntil(
        config,
        '/apis/apps/v1/deployments',
        { resourceVersion: '0', allowWatchBookmarks: true },
        received => received.some(e => e.type === 'BOOKMARK'),
      );
      const bookmark = events.find(e => e.type === 'BOOKMARK')!;
      expect(bookmark.object.kind).toBe('Deployment');
      expect(bookmark.object.metadata.resourceVersion).toBe(
        bookmarking.currentResourceVersion,
      );
    } finally {
      await bookmarking.stop();
    }
  });

  it('answers a watch from a too old resourceVersion with 410 Gone', async () => {
    const small = new KubernetesTestServer({ historyLimit: 3 });
    await small.start();
    try {
      const config = new KubeConfig();
      config.loadFromString(small.kubeconfig({ name: 'small' }));
      const client = config.makeApiClient(AppsV1Api);
      const list = await client.listNamespacedDeployment({
        namespace: 'default',
      });
      for (const name of ['a', 'b', 'c', 'd', 'e']) {
        await client.createNamespacedDeployment({
          namespace: 'default',
          body: deployment(name),
        });
      }
      const events = await watchUntil(
        config,
        '/apis/apps/v1/namespaces/default/deployments',
        { resourceVersion: list.metadata?.resourceVersion },
        received => received.length >= 1,
      );
      expect(events).toHaveLength(1);
      expect(events[0].type).toBe('ERROR');
      expect(events[0].object).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        code: 410,
        reason: 'Expired',
      });

      // A fresh list gives a resourceVersion that can be watched again.
      const relist = await client.listNamespacedDeployment({
        namespace: 'default',
      });
      expect(relist.items).toHaveLength(5);
      const watching = watchUntil(
        config,
        '/apis/apps/v1/namespaces/default/deployments',
        { resourceVersion: relist.metadata?.resourceVersion },
        received => received.length >= 1,
      );
      await client.deleteNamespacedDeployment({
        name: 'a',
        namespace: 'default',
      });
      expect((await watching).map(e => e.type)).toEqual(['DELETED']);
    } finally {
      await small.stop();
    }
  });
});

interface WatchEvent {
  type: string;
  object: any;
}

/**
 * Watches with client-node's Watch until `enough` says so (or the server
 * ends the stream), then aborts and returns the events received.
 */
async function watchUntil(
  config: KubeConfig,
  path: string,
  params: Record<string, string | number | boolean | undefined>,
  enough: (events: WatchEvent[]) => boolean,
): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  let finished = false;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>(resolve => {
    resolveDone = resolve;
  });
  const finish = () => {
    if (!finished) {
      finished = true;
      resolveDone();
    }
  };
  const controller = await new Watch(config).watch(
    path,
    params,
    (type, object) => {
      if (finished) {
        return;
      }
      events.push({ type, object });
      if (enough(events)) {
        finish();
      }
    },
    () => finish(),
  );
  await done;
  controller.abort();
  return events;
}
