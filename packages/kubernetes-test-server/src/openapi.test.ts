import { KubernetesTestServer } from './KubernetesTestServer';
import { openApi } from './openapi';

/** Every PATCH operation of a document, with the kind it names. */
function patches(document: any) {
  return Object.entries(document.paths).flatMap(([path, item]: [string, any]) =>
    item.patch
      ? [
          {
            path,
            kind: item.patch['x-kubernetes-group-version-kind'],
            op: item.patch,
          },
        ]
      : [],
  );
}

describe('OpenAPI v3', () => {
  it('lists one document per group version, as kubectl looks them up', () => {
    const paths = openApi('/openapi/v3')!.paths;
    expect(Object.keys(paths).sort()).toEqual([
      'api/v1',
      'apis/apps/v1',
      'apis/authorization.k8s.io/v1',
      'apis/gateway.networking.k8s.io/v1',
      'apis/networking.k8s.io/v1',
      'apis/rbac.authorization.k8s.io/v1',
    ]);
    expect(paths['apis/apps/v1'].serverRelativeURL).toMatch(
      /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]+$/,
    );
    expect(openApi('/openapi/v3/apis/batch/v1')).toBeUndefined();
  });

  it('describes PATCH for every writable kind with fieldValidation and the media types the server takes', () => {
    const apps = patches(openApi('/openapi/v3/apis/apps/v1'));
    const deployment = apps.find(
      p => p.path === '/apis/apps/v1/namespaces/{namespace}/deployments/{name}',
    )!;
    expect(deployment.kind).toEqual({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
    });
    expect(deployment.op.parameters.map((p: any) => p.name)).toContain(
      'fieldValidation',
    );
    expect(Object.keys(deployment.op.requestBody.content)).toContain(
      'application/strategic-merge-patch+json',
    );
    expect(apps.map(p => p.kind.kind).sort()).toEqual([
      'Deployment',
      'Deployment',
      'Scale',
      'Scale',
      'StatefulSet',
      'StatefulSet',
    ]);

    const [route] = patches(
      openApi('/openapi/v3/apis/gateway.networking.k8s.io/v1'),
    ).filter(p => p.kind.kind === 'HTTPRoute' && !p.path.endsWith('/status'));
    // As for a custom resource: kubectl sends a JSON merge patch.
    expect(Object.keys(route.op.requestBody.content).sort()).toEqual([
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
    ]);
    // Pods are the controller's: no PATCH.
    expect(
      patches(openApi('/openapi/v3/api/v1')).map(p => p.kind.kind),
    ).not.toContain('Pod');
  });

  it('names no kind on schemas, so that kubectl patches with its built-in types', () => {
    const { schemas } = openApi('/openapi/v3/apis/apps/v1')!.components;
    expect(schemas['io.k8s.api.apps.v1.Deployment'].properties).toHaveProperty(
      'spec',
    );
    for (const schema of Object.values<any>(schemas)) {
      expect(schema).not.toHaveProperty('x-kubernetes-group-version-kind');
    }
  });

  it('is served behind the bearer token', async () => {
    const server = new KubernetesTestServer();
    await server.start();
    try {
      const get = (token: string) =>
        fetch(`${server.url}/openapi/v3/apis/apps/v1?hash=x`, {
          headers: { Authorization: `Bearer ${token}` },
        });
      expect((await get('wrong')).status).toBe(401);
      const document = await (await get(server.token)).json();
      expect(document.openapi).toBe('3.0.0');
    } finally {
      await server.stop();
    }
  });
});
