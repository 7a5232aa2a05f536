import type { Entity } from '@backstage/catalog-model';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { sentinelApiRef } from '../../api';
import { SentinelEntityContent } from './SentinelEntityContent';

const workload = (kind: string, name: string, ready: number) => ({
  cluster: 'demo',
  namespace: 'shop',
  kind,
  name,
  entityRef: 'component:default/cart',
  replicas: { desired: 2, ready },
  containers: [{ name: 'app', image: `shop/${name}:1.4.2`, resources: {} }],
  health: null,
  lastPlanId: null,
  rollout: null,
});

const noPlans = {
  listPlans: async () => ({ items: [], nextCursor: null }),
  listWorkloads: async () => ({
    items: [
      workload('Deployment', 'cart', 2),
      workload('StatefulSet', 'cart-db', 1),
    ],
    nextCursor: null,
  }),
  freezeStatus: async () => ({
    frozen: false,
    window: null,
    nextWindow: null,
    override: null,
  }),
} as any;
const apis = [[sentinelApiRef, noPlans]] as const;

function service(annotations: Record<string, string> = {}): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'cart', annotations },
    spec: { type: 'service', owner: 'team-shop', lifecycle: 'production' },
  };
}

describe('SentinelEntityContent', () => {
  it("lists the service's managed workloads as the cluster reports them", async () => {
    await renderInTestApp(
      <EntityProvider
        entity={service({
          'sentinel.io/workloads':
            'demo/shop/Deployment/cart, demo/shop/StatefulSet/cart-db',
        })}
      >
        <SentinelEntityContent />
      </EntityProvider>,
      { apis },
    );

    expect(await screen.findByText('Managed workloads')).toBeInTheDocument();
    expect(await screen.findByText('cart-db')).toBeInTheDocument();
    expect(screen.getByText('StatefulSet')).toBeInTheDocument();
    // Live: ready / desired replicas and images, not just the annotation's names.
    expect(screen.getByText('1 / 2')).toBeInTheDocument();
    expect(screen.getByText('shop/cart:1.4.2')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Roll back cart' }),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/No action plans for this service yet/),
    ).toBeInTheDocument();
  });

  it('explains how to put an unmanaged service under Sentinel', async () => {
    await renderInTestApp(
      <EntityProvider entity={service()}>
        <SentinelEntityContent />
      </EntityProvider>,
      { apis },
    );

    expect(
      await screen.findByText('Sentinel does not manage this service yet'),
    ).toBeInTheDocument();
    expect(screen.queryByText('Managed workloads')).not.toBeInTheDocument();
  });

  it('warns about workload references it cannot use', async () => {
    await renderInTestApp(
      <EntityProvider
        entity={service({
          'sentinel.io/workloads':
            'demo/shop/Deployment/cart, demo/shop/DaemonSet/agent',
        })}
      >
        <SentinelEntityContent />
      </EntityProvider>,
      { apis },
    );

    expect(
      await screen.findByText(
        /Sentinel ignores 1 of this service's workload references/,
      ),
    ).toBeInTheDocument();
    expect(await screen.findByText('Managed workloads')).toBeInTheDocument();
  });
});
