import type { WorkloadState } from './ClusterDriver';
import {
  applyChange,
  isChangeApplied,
  matchesSnapshot,
  unknownContainers,
} from './changes';

const cart: WorkloadState = {
  ref: { cluster: 'demo', namespace: 'shop', kind: 'Deployment', name: 'cart' },
  resourceVersion: '7',
  replicas: 2,
  containers: [
    {
      name: 'app',
      image: 'shop/cart:1.0.0',
      resources: { requests: { cpu: '100m' }, limits: { memory: '256Mi' } },
    },
    { name: 'sidecar', image: 'envoy:1.30', resources: {} },
  ],
};

describe('workload changes', () => {
  it('merges resources into the named container only', () => {
    const after = applyChange(cart, {
      verb: 'set_resources',
      containers: { app: { requests: { memory: '128Mi' } } },
    });
    expect(after.containers[0].resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: '256Mi' },
    });
    expect(after.containers[1]).toEqual(cart.containers[1]);
  });

  it.each([
    [{ verb: 'scale' as const, replicas: 2 }, true],
    [{ verb: 'scale' as const, replicas: 3 }, false],
    [
      {
        verb: 'rollout' as const,
        containers: { app: { image: 'shop/cart:1.0.0' } },
      },
      true,
    ],
    [
      {
        verb: 'rollout' as const,
        containers: { app: { image: 'shop/cart:1.1.0' } },
      },
      false,
    ],
    [{ verb: 'restart' as const, at: '2026-11-26T10:00:00Z' }, false],
  ])('tells whether %j is already applied: %s', (change, applied) => {
    expect(isChangeApplied(cart, change)).toBe(applied);
  });

  it('compares snapshots without their resourceVersion', () => {
    expect(matchesSnapshot({ ...cart, resourceVersion: '9' }, cart)).toBe(true);
    expect(matchesSnapshot({ ...cart, replicas: 3 }, cart)).toBe(false);
  });

  it('names containers a change refers to that do not exist', () => {
    expect(
      unknownContainers(cart, {
        verb: 'rollout',
        containers: { app: { image: 'a:1' }, worker: { image: 'b:1' } },
      }),
    ).toEqual(['worker']);
  });
});
