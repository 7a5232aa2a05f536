import type { WorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import { RolloutRefusal, supportsProgressiveRollouts } from '../candidates';
import { InMemoryClusterDriver } from './InMemoryClusterDriver';
import { InMemoryProgressiveClusterDriver } from './InMemoryProgressiveClusterDriver';

const cart: WorkloadRef = {
  cluster: 'demo',
  namespace: 'shop',
  kind: 'Deployment',
  name: 'cart',
};
const canary = { ...cart, name: 'cart-canary' };

function driverWithCart() {
  return new InMemoryProgressiveClusterDriver('demo', [
    {
      ref: cart,
      replicas: 4,
      containers: [{ name: 'app', image: 'shop/cart:1.0.0', resources: {} }],
    },
  ]);
}

describe('InMemoryProgressiveClusterDriver', () => {
  it('is a driver that runs progressive rollouts; the plain in-memory one is not', () => {
    expect(supportsProgressiveRollouts(driverWithCart())).toBe(true);
    expect(supportsProgressiveRollouts(new InMemoryClusterDriver('demo'))).toBe(
      false,
    );
  });

  it('creates a candidate beside the stable workload with the new images, resizes and removes it', async () => {
    const driver = driverWithCart();
    const spec = {
      name: 'cart-canary',
      rolloutId: 'r1',
      containers: { app: { image: 'shop/cart:2.0.0' } },
      replicas: 1,
    };
    await driver.candidates.ensureCandidate(cart, spec);
    await driver.candidates.ensureCandidate(cart, { ...spec, replicas: 2 });

    expect(await driver.getWorkload(canary)).toMatchObject({
      replicas: 2,
      containers: [{ name: 'app', image: 'shop/cart:2.0.0' }],
    });
    expect((await driver.getWorkload(cart))!.replicas).toBe(4);
    expect(await driver.candidates.podTemplateHash(canary)).not.toBe(
      await driver.candidates.podTemplateHash(cart),
    );

    await driver.candidates.removeCandidate(canary);
    await driver.candidates.removeCandidate(canary);
    expect(await driver.getWorkload(canary)).toBeUndefined();
  });

  it('never takes over or removes a workload that is not its candidate', async () => {
    const driver = driverWithCart();
    driver.put({ ref: canary, replicas: 1, containers: [] });
    await expect(
      driver.candidates.ensureCandidate(cart, {
        name: 'cart-canary',
        rolloutId: 'r1',
        containers: {},
        replicas: 1,
      }),
    ).rejects.toBeInstanceOf(RolloutRefusal);
    await driver.candidates.removeCandidate(canary);
    expect(await driver.getWorkload(canary)).toBeDefined();
  });

  it('reports health and rollout status as a test sets them, healthy and complete by default', async () => {
    const driver = driverWithCart();
    expect(await driver.candidates.healthSignals(cart)).toMatchObject({
      readyRatio: 1,
      crashLoopBackOff: false,
    });
    expect(await driver.rolloutStatus(cart)).toEqual({ state: 'complete' });

    driver.setHealth(cart, { crashLoopBackOff: true, restarts: 3 });
    driver.setRolloutStatus(cart, { state: 'failed', reason: 'stuck' });

    expect(await driver.candidates.healthSignals(cart)).toMatchObject({
      crashLoopBackOff: true,
      restarts: 3,
    });
    expect(await driver.rolloutStatus(cart)).toEqual({
      state: 'failed',
      reason: 'stuck',
    });
    expect(await driver.candidates.healthSignals(canary)).toBeUndefined();
  });

  it('finds the Service in front of a workload without its pin, and switches its selector', async () => {
    const driver = driverWithCart();
    driver.putService(cart, {
      name: 'cart',
      selector: { app: 'cart', 'pod-template-hash': 'abc' },
    });
    expect(await driver.candidates.findService(cart)).toEqual({
      name: 'cart',
      selector: { app: 'cart' },
    });
    await driver.candidates.setServiceSelector('shop', {
      name: 'cart',
      selector: { app: 'cart', 'pod-template-hash': 'green' },
    });
    expect(driver.service(cart)!.selector).toEqual({
      app: 'cart',
      'pod-template-hash': 'green',
    });
  });
});
