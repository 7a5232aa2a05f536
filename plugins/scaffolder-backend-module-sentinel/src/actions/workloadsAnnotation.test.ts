import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createWorkloadsAnnotationAction } from './workloadsAnnotation';

describe('sentinel:workloads:annotation', () => {
  const action = createWorkloadsAnnotationAction();

  it('writes the annotation Sentinel reads, defaulting the kind to Deployment', async () => {
    const ctx = createMockActionContext({
      input: {
        workloads: [
          { cluster: 'demo', namespace: 'shop', name: 'cart' },
          {
            cluster: 'demo',
            namespace: 'shop',
            kind: 'StatefulSet',
            name: 'cart-db',
          },
        ],
      },
    });
    await action.handler(ctx as any);
    expect(ctx.output).toHaveBeenCalledWith('annotations', {
      'sentinel.io/workloads':
        'demo/shop/Deployment/cart, demo/shop/StatefulSet/cart-db',
    });
  });

  it('names the workload Kubernetes would refuse', async () => {
    const ctx = createMockActionContext({
      input: {
        workloads: [
          {
            cluster: 'demo',
            namespace: 'shop',
            kind: 'Deployment',
            name: 'cart',
          },
          {
            cluster: 'demo',
            namespace: 'Shop_EU',
            kind: 'Deployment',
            name: 'cart',
          },
        ],
      },
    });
    await expect(action.handler(ctx as any)).rejects.toThrow(
      'workloads[1]: "demo/Shop_EU/Deployment/cart": namespace "Shop_EU" is not a DNS-1123 label',
    );
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it('refuses the same workload twice', async () => {
    const ctx = createMockActionContext({
      input: {
        workloads: [
          {
            cluster: 'demo',
            namespace: 'shop',
            kind: 'Deployment',
            name: 'cart',
          },
          {
            cluster: 'demo',
            namespace: 'shop',
            kind: 'Deployment',
            name: 'cart',
          },
        ],
      },
    });
    await expect(action.handler(ctx as any)).rejects.toThrow(
      'workloads: demo/shop/Deployment/cart is listed twice',
    );
  });
});
