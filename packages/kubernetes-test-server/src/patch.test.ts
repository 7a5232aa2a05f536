import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  PatchError,
} from './patch';

const podSpec = {
  containers: [
    {
      name: 'web',
      image: 'nginx:1.25',
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
    },
    { name: 'sidecar', image: 'envoy:1.30' },
  ],
  tolerations: [{ key: 'x', operator: 'Exists' }],
};

describe('applyMergePatch', () => {
  it('merges maps, deletes on null and replaces lists', () => {
    expect(
      applyMergePatch(
        { a: 1, b: { c: 2, d: 3 }, l: [1, 2] },
        { b: { c: null, e: 4 }, l: [3] },
      ),
    ).toEqual({ a: 1, b: { d: 3, e: 4 }, l: [3] });
  });
});

describe('applyStrategicMergePatch', () => {
  it('merges containers and env by name and keeps other entries', () => {
    const patched: any = applyStrategicMergePatch(podSpec, {
      containers: [
        { name: 'web', env: [{ name: 'B', value: '3' }] },
        { name: 'new', image: 'busybox' },
      ],
    });
    expect(patched.containers.map((c: any) => c.name)).toEqual([
      'web',
      'sidecar',
      'new',
    ]);
    expect(patched.containers[0].image).toBe('nginx:1.25');
    expect(patched.containers[0].env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '3' },
    ]);
  });

  it('honours $patch: delete in a keyed list and replaces lists without a merge key', () => {
    const patched: any = applyStrategicMergePatch(podSpec, {
      containers: [{ name: 'sidecar', $patch: 'delete' }],
      tolerations: [{ key: 'y', operator: 'Exists' }],
      '$setElementOrder/containers': [{ name: 'web' }],
    });
    expect(patched.containers.map((c: any) => c.name)).toEqual(['web']);
    expect(patched.tolerations).toEqual([{ key: 'y', operator: 'Exists' }]);
  });

  it("merges a service's ports by port, a container's by containerPort", () => {
    const service: any = applyStrategicMergePatch(
      {
        ports: [
          { name: 'http', port: 80, targetPort: 8080 },
          { name: 'https', port: 443 },
        ],
      },
      { ports: [{ port: 80, targetPort: 9090 }] },
    );
    expect(service.ports).toEqual([
      { name: 'http', port: 80, targetPort: 9090 },
      { name: 'https', port: 443 },
    ]);
    const container: any = applyStrategicMergePatch(
      { ports: [{ containerPort: 80 }, { containerPort: 81 }] },
      { ports: [{ containerPort: 81, name: 'admin' }] },
    );
    expect(container.ports).toEqual([
      { containerPort: 80 },
      { containerPort: 81, name: 'admin' },
    ]);
  });

  it('refuses a keyed list element without its merge key', () => {
    expect(() =>
      applyStrategicMergePatch(podSpec, { containers: [{ image: 'x' }] }),
    ).toThrow(PatchError);
  });
});

describe('applyJsonPatch', () => {
  it('applies add, replace, remove, move, copy and test', () => {
    const doc = { a: 1, list: ['x', 'y'], nested: { b: 2 } };
    expect(
      applyJsonPatch(doc, [
        { op: 'test', path: '/a', value: 1 },
        { op: 'replace', path: '/a', value: 5 },
        { op: 'add', path: '/list/-', value: 'z' },
        { op: 'add', path: '/list/0', value: 'w' },
        { op: 'remove', path: '/list/1' },
        { op: 'copy', from: '/nested/b', path: '/c' },
        { op: 'move', from: '/nested', path: '/moved' },
      ]),
    ).toEqual({ a: 5, list: ['w', 'y', 'z'], c: 2, moved: { b: 2 } });
    expect(doc).toEqual({ a: 1, list: ['x', 'y'], nested: { b: 2 } });
  });

  it('fails with 422 when a test fails or a path is missing', () => {
    expect(() =>
      applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]),
    ).toThrow(expect.objectContaining({ code: 422 }));
    expect(() =>
      applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 2 }]),
    ).toThrow(expect.objectContaining({ code: 422 }));
  });
});
