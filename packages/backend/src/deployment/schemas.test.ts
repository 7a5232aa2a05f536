import { schemaProblems } from './__testUtils__/schemas';

describe('schemaProblems', () => {
  const deployment = (spec: object) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'sentinel' },
    spec,
  });

  it('passes a valid object', () => {
    expect(
      schemaProblems(
        deployment({
          selector: { matchLabels: { app: 'sentinel' } },
          template: {
            metadata: { labels: { app: 'sentinel' } },
            spec: { containers: [{ name: 'backend', image: 'sentinel:1' }] },
          },
        }),
      ),
    ).toEqual([]);
  });

  it('names an object that breaks its schema', () => {
    const [problem] = schemaProblems(
      deployment({ replicas: 'two', selector: {}, template: {} }),
    );
    expect(problem).toMatch(/^Deployment\/sentinel: .*replicas/);
  });

  it('refuses an API version Kubernetes 1.30 does not serve', () => {
    expect(
      schemaProblems({
        apiVersion: 'extensions/v1beta1',
        kind: 'Ingress',
        metadata: { name: 'sentinel' },
      }),
    ).toEqual([
      'Ingress/sentinel: extensions/v1beta1 is not served by Kubernetes 1.30',
    ]);
  });

  it('validates the custom resources Sentinel ships (Argo CD)', () => {
    const [problem] = schemaProblems({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'sentinel-dev' },
      spec: { project: 'sentinel', source: { repoURL: 42 } },
    });
    expect(problem).toMatch(/^Application\/sentinel-dev: /);
  });
});
