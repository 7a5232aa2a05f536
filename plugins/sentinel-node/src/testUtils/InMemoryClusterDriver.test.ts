import { ConflictError } from '@backstage/errors';
import type { WorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import { InMemoryClusterDriver } from './InMemoryClusterDriver';

const cart: WorkloadRef = {
  cluster: 'demo',
  namespace: 'shop',
  kind: 'Deployment',
  name: 'cart',
};

function driverWithCart() {
  return new InMemoryClusterDriver('demo', [
    {
      ref: cart,
      replicas: 2,
      containers: [
        {
          name: 'app',
          image: 'shop/cart:1.0.0',
          resources: { requests: { cpu: '100m', memory: '128Mi' } },
        },
      ],
    },
  ]);
}

describe('InMemoryClusterDriver', () => {
  it('applies a change and restores the snapshot taken before it exactly', async () => {
    const driver = driverWithCart();
    const before = (await driver.getWorkload(cart))!;

    const after = await driver.apply(
      cart,
      {
        verb: 'set_resources',
        containers: { app: { requests: { cpu: '250m' } } },
      },
      { expectedResourceVersion: before.resourceVersion },
    );
    expect(after.containers[0].resources.requests).toEqual({
      cpu: '250m',
      memory: '128Mi',
    });

    const restored = await driver.restore(before, {
      expected: after,
    });
    expect({ ...restored, resourceVersion: undefined }).toEqual({
      ...before,
      resourceVersion: undefined,
    });
  });

  it('refuses to overwrite a change made by someone else since the read', async () => {
    const driver = driverWithCart();
    const read = (await driver.getWorkload(cart))!;
    driver.put({ ...read, replicas: 7 }); // e.g. `kubectl scale` in between

    await expect(
      driver.apply(
        cart,
        { verb: 'scale', replicas: 3 },
        {
          expectedResourceVersion: read.resourceVersion,
        },
      ),
    ).rejects.toThrow(ConflictError);
    expect((await driver.getWorkload(cart))!.replicas).toBe(7);
  });

  it('refuses a rollback over drift unless forced', async () => {
    const driver = driverWithCart();
    const before = (await driver.getWorkload(cart))!;
    const after = await driver.apply(
      cart,
      { verb: 'scale', replicas: 5 },
      {
        expectedResourceVersion: before.resourceVersion,
      },
    );
    driver.put({ ...after, replicas: 9 });

    await expect(
      driver.restore(before, {
        expected: after,
      }),
    ).rejects.toThrow(
      /changed since Sentinel's change; refusing to overwrite it without force/,
    );

    const forced = await driver.restore(before, {
      expected: after,
      force: true,
    });
    expect(forced.replicas).toBe(2);
  });
});
