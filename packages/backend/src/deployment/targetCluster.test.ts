import { kustomize } from './__testUtils__/render';
import { schemaProblems } from './__testUtils__/schemas';

/**
 * What an operator applies to each cluster Sentinel acts on. Its rules are proven against
 * Sentinel's calls in plugins/sentinel-backend/src/kubernetes/shippedRole.test.ts; here, that it
 * renders as `kubectl apply -k` would and that every object is one Kubernetes 1.30 accepts.
 */
describe('deploy/k8s/target-cluster', () => {
  const rendering = kustomize('deploy/k8s/target-cluster');

  it('renders without warnings', () => {
    expect(rendering.warnings).toBe('');
  });

  it('validates against the Kubernetes 1.30 schemas', () => {
    expect(rendering.objects.flatMap(schemaProblems)).toEqual([]);
  });

  it('binds both ClusterRoles to the ServiceAccount it creates', () => {
    const account = rendering.objects.find(o => o.kind === 'ServiceAccount')!;
    const bindings = rendering.objects.filter(
      o => o.kind === 'ClusterRoleBinding',
    );
    expect(bindings.map(b => b.roleRef.name).sort()).toEqual(
      rendering.objects
        .filter(o => o.kind === 'ClusterRole')
        .map(r => r.metadata.name)
        .sort(),
    );
    for (const binding of bindings) {
      expect(binding.subjects).toEqual([
        {
          kind: 'ServiceAccount',
          name: account.metadata.name,
          namespace: account.metadata.namespace,
        },
      ]);
    }
  });
});
