import type { ApiPlan } from '@internal/backstage-plugin-sentinel-common';
import { lastChanges } from './lastChanges';

const target = (name: string) => ({
  cluster: 'demo',
  namespace: 'shop',
  kind: 'Deployment',
  name,
});
const plan = (id: string, decisions: [string, string][]) =>
  ({
    id,
    decisions: decisions.map(([name, status]) => ({
      target: target(name),
      status,
    })),
  } as unknown as ApiPlan);

describe('lastChanges', () => {
  it('takes the newest plan that reached the cluster for each workload', () => {
    const changes = lastChanges([
      plan('p-3', [['cart', 'simulated']]),
      plan('p-2', [
        ['cart', 'rolled_back'],
        ['checkout', 'skipped'],
      ]),
      plan('p-1', [
        ['cart', 'succeeded'],
        ['checkout', 'succeeded'],
      ]),
    ]);
    expect(changes.get('demo/shop/Deployment/cart')?.id).toBe('p-2');
    expect(changes.get('demo/shop/Deployment/checkout')?.id).toBe('p-1');
    expect(changes.size).toBe(2);
  });
});
