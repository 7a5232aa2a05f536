import { scopeMatches } from './scope';

describe('scopeMatches', () => {
  const cart = {
    cluster: 'prod',
    namespace: 'shop',
    entityRef: 'component:default/cart',
    labels: { tier: 'critical', team: 'checkout' },
  };

  it.each([
    ['no scope', undefined, true],
    ['an empty scope', {}, true],
    [
      'the same cluster and namespace',
      { cluster: 'prod', namespace: 'shop' },
      true,
    ],
    ['another cluster', { cluster: 'staging' }, false],
    ['another namespace', { cluster: 'prod', namespace: 'ads' }, false],
    ['the same entity', { entityRef: 'component:default/cart' }, true],
    ['another entity', { entityRef: 'component:default/search' }, false],
    ['a subset of the labels', { labels: { tier: 'critical' } }, true],
    ['a label with another value', { labels: { tier: 'low' } }, false],
    ['a label the entity lacks', { labels: { region: 'eu' } }, false],
  ])('%s', (_name, scope, expected) => {
    expect(scopeMatches(scope, cart)).toBe(expected);
  });

  it('matches a target without an entity only by place', () => {
    const target = { cluster: 'prod', namespace: 'shop' };
    expect(scopeMatches({ namespace: 'shop' }, target)).toBe(true);
    expect(scopeMatches({ entityRef: 'component:default/cart' }, target)).toBe(
      false,
    );
    expect(scopeMatches({ labels: { tier: 'critical' } }, target)).toBe(false);
  });
});
