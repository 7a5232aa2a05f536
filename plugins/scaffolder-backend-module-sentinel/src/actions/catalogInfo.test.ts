import { annotateCatalogInfo, unifiedDiff } from './catalogInfo';

const file = `# The cart service
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: cart
  annotations:
    github.com/project-slug: acme/cart # keep me
spec:
  type: service
  owner: team-shop
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: cart-api
spec:
  type: openapi
`;

describe('annotateCatalogInfo', () => {
  it('sets the annotations on the named entity, keeping every other line and comment', () => {
    const after = annotateCatalogInfo(
      file,
      {
        'sentinel.io/workloads': 'demo/shop/Deployment/cart',
        'sentinel.io/rollback-policy': undefined,
      },
      'component:default/cart',
    );
    expect(after).toContain('# The cart service');
    expect(after).toContain('github.com/project-slug: acme/cart # keep me');
    expect(after).toContain('sentinel.io/workloads: demo/shop/Deployment/cart');
    expect(after).not.toContain('rollback-policy');
    expect(after).toContain('name: cart-api');
    const diff = unifiedDiff('catalog-info.yaml', file, after);
    expect(
      diff.split('\n').filter(l => l.startsWith('+ ') || l.startsWith('+  ')),
    ).toEqual(['+    sentinel.io/workloads: demo/shop/Deployment/cart']);
  });

  it('updates an annotation already there, and adds the annotations map when missing', () => {
    const once = annotateCatalogInfo(
      file,
      { 'sentinel.io/rollout-strategy': 'canary' },
      'api:default/cart-api',
    );
    const twice = annotateCatalogInfo(
      once,
      { 'sentinel.io/rollout-strategy': 'bluegreen' },
      'api:cart-api',
    );
    expect(twice.match(/rollout-strategy/g)).toHaveLength(1);
    expect(twice).toContain('sentinel.io/rollout-strategy: bluegreen');
  });

  it('names what is wrong with the file', () => {
    expect(() =>
      annotateCatalogInfo(file, {}, 'component:default/checkout'),
    ).toThrow('catalog-info.yaml has no entity component:default/checkout');
    expect(() => annotateCatalogInfo('metadata: [', {})).toThrow(
      /^catalog-info.yaml is not valid YAML: /,
    );
  });
});
