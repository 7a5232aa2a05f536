import { KubernetesTestServer } from './KubernetesTestServer';
import { appliedFields, serverSideApply } from './serverSideApply';

const options = { manager: 'ci', strategic: true, now: '2024-01-01T00:00:00Z' };

function deployment(labels: Record<string, string>, containers: object[]) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels },
    spec: { template: { spec: { containers } } },
  };
}

describe('server-side apply', () => {
  it('records the applied fields as FieldsV1, keyed list items by merge key', () => {
    expect(
      appliedFields(
        deployment({ app: 'web' }, [{ name: 'web', image: 'nginx' }]),
        true,
      ),
    ).toEqual({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:template': {
          'f:spec': {
            'f:containers': {
              'k:{"name":"web"}': { '.': {}, 'f:name': {}, 'f:image': {} },
            },
          },
        },
      },
    });
    // Without merge keys (custom resources) a list is owned as a whole.
    expect(
      appliedFields(
        { apiVersion: 'v1', kind: 'X', spec: { rules: [{ weight: 1 }] } },
        false,
      ),
    ).toEqual({ 'f:spec': { 'f:rules': {} } });
  });

  it("drops what the manager no longer applies and keeps others' fields", () => {
    const created = serverSideApply(
      undefined,
      deployment({ app: 'web', tier: 'front' }, [
        { name: 'web', image: 'nginx:1', args: ['-v'] },
        { name: 'sidecar', image: 'envoy' },
      ]),
      options,
    );
    // Someone else sets replicas and adds a container and a label.
    created.spec.replicas = 3;
    created.metadata.labels.team = 'shop';
    created.spec.template.spec.containers.push({ name: 'debug', image: 'x' });

    const next = serverSideApply(
      created,
      deployment({ app: 'web' }, [{ name: 'web', image: 'nginx:2' }]),
      options,
    );
    expect(next.metadata.labels).toEqual({ app: 'web', team: 'shop' });
    expect(next.spec.replicas).toBe(3);
    expect(next.spec.template.spec.containers).toEqual([
      { name: 'web', image: 'nginx:2' },
      { name: 'debug', image: 'x' },
    ]);
    expect(next.metadata.managedFields).toEqual([
      expect.objectContaining({
        manager: 'ci',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        fieldsType: 'FieldsV1',
      }),
    ]);
  });

  it('keeps the entries of other managers', () => {
    const first = serverSideApply(
      undefined,
      deployment({ a: '1' }, []),
      options,
    );
    const second = serverSideApply(first, deployment({ b: '2' }, []), {
      ...options,
      manager: 'other',
    });
    expect(second.metadata.labels).toEqual({ a: '1', b: '2' });
    expect(second.metadata.managedFields.map((e: any) => e.manager)).toEqual([
      'ci',
      'other',
    ]);
  });
});

describe('server-side apply over HTTP', () => {
  const server = new KubernetesTestServer();
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  const apply = (body: string, query = '?fieldManager=ci') =>
    fetch(`${server.url}/apis/apps/v1/namespaces/ssa/deployments/web${query}`, {
      method: 'PATCH',
      headers: {
        Authorization: `Bearer ${server.token}`,
        'Content-Type': 'application/apply-patch+yaml',
      },
      body,
    });
  const web = JSON.stringify(deployment({ app: 'web' }, []));

  it('creates with 201, then applies with 200', async () => {
    expect((await apply(web)).status).toBe(201);
    const second = await apply(web);
    expect(second.status).toBe(200);
    expect((await second.json()).metadata.generation).toBe(1);
  });

  it('refuses an apply without fieldManager, of another kind, or in YAML', async () => {
    expect((await apply(web, '')).status).toBe(400);
    const otherKind = await apply(
      JSON.stringify({ ...deployment({}, []), kind: 'StatefulSet' }),
    );
    expect(otherKind.status).toBe(400);
    const yaml = await apply('apiVersion: apps/v1\nkind: Deployment\n');
    expect(yaml.status).toBe(400);
    expect((await yaml.json()).message).toMatch(/must be JSON/);
  });
});
