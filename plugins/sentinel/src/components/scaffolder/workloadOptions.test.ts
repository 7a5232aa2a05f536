import { workloadOptions } from './workloadOptions';

const workload = (name: string, entityRef: string | null) =>
  ({
    cluster: 'demo',
    namespace: 'shop',
    kind: 'Deployment',
    name,
    entityRef,
    replicas: { desired: 3, ready: 2 },
    containers: [{ name: 'app', image: `shop/${name}:1.0.0`, resources: {} }],
    health: null,
    lastPlanId: null,
    rollout: null,
  } as any);

describe('workloadOptions', () => {
  it('offers each workload by its reference, with its live state and who manages it', () => {
    expect(
      workloadOptions([
        workload('cart', 'component:default/cart'),
        workload('checkout', null),
      ]),
    ).toEqual([
      {
        ref: 'demo/shop/Deployment/cart',
        detail:
          '2/3 ready · shop/cart:1.0.0 · managed by component:default/cart',
        managedBy: 'component:default/cart',
      },
      {
        ref: 'demo/shop/Deployment/checkout',
        detail: '2/3 ready · shop/checkout:1.0.0 · not under Sentinel yet',
        managedBy: null,
      },
    ]);
  });
});
