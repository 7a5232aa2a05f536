import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { sentinelApiRef } from '../../api';
import { PlanList } from './PlanList';

const plan = {
  id: 'p-1',
  source: 'InfraMind',
  mode: 'enforce',
  status: 'rejected',
  statusReason:
    'rejected by policy: decision 0: Asks for 40 replicas; rule replica-bounds allows at most 20.',
  createdAt: '2026-11-26T10:00:00.000Z',
  updatedAt: '2026-11-26T10:00:01.000Z',
  submittedBy: 'external:inframind',
  rollbackOf: null,
  decisions: [
    {
      index: 0,
      verb: 'scale',
      target: {
        cluster: 'demo',
        namespace: 'shop',
        kind: 'Deployment',
        name: 'cart',
      },
      params: { replicas: 40 },
    },
  ],
  timeline: [],
};

function render(listPlans: () => Promise<unknown>) {
  const calls: unknown[] = [];
  const api = {
    listPlans: async (query: unknown) => {
      calls.push(query);
      return listPlans();
    },
  } as any;
  return {
    calls,
    rendered: renderInTestApp(<PlanList entityRef="component:default/cart" />, {
      apis: [[sentinelApiRef, api]],
    }),
  };
}

describe('PlanList', () => {
  it("shows the service's plans with their status and the reason", async () => {
    const { calls } = render(async () => ({ items: [plan], nextCursor: null }));
    expect(await screen.findByText('scale shop/cart')).toBeInTheDocument();
    expect(screen.getByText('rejected')).toBeInTheDocument();
    expect(
      screen.getByText(/rule replica-bounds allows at most 20/),
    ).toBeInTheDocument();
    expect(calls).toEqual([{ entityRef: 'component:default/cart', limit: 20 }]);
  });

  it('says so when there are no plans yet', async () => {
    render(async () => ({ items: [], nextCursor: null }));
    expect(
      await screen.findByText(/No action plans for this service yet/),
    ).toBeInTheDocument();
  });

  it('shows the error when the backend refuses', async () => {
    render(async () => {
      throw new Error('sentinel.plan.read is not allowed');
    });
    expect(
      (await screen.findAllByText(/sentinel.plan.read is not allowed/)).length,
    ).toBeGreaterThan(0);
  });
});
