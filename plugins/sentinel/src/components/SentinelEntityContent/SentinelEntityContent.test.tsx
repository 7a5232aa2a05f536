import type { Entity } from '@backstage/catalog-model';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { signalApiRef } from '@backstage/plugin-signals-react';
import type { SentinelChangeMessage } from '@internal/backstage-plugin-sentinel-common';
import { act, screen } from '@testing-library/react';
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

const rollout = {
  id: 'r-1',
  planId: 'p-1',
  target: {
    cluster: 'demo',
    namespace: 'shop',
    kind: 'Deployment',
    name: 'cart',
  },
  strategy: 'canary',
  phase: 'progressing',
  phaseReason: 'step 2 of 4 (25 %): analyzing',
  candidate: { workload: 'cart-canary', image: 'shop/cart:1.5.0' },
  steps: [{ weight: 10 }, { weight: 25 }, { weight: 50 }, { weight: 100 }],
  currentStep: 1,
  weight: 25,
  health: { score: 97, verdict: 'pass' },
  updatedAt: '2026-11-28T10:00:00Z',
};
const interval = (value: number) => ({
  step: 1,
  at: '2026-11-28T10:00:00Z',
  score: 100,
  verdict: 'pass',
  reason: '',
  metrics: [{ name: 'error-rate', value, threshold: 0.05, verdict: 'pass' }],
});

const noPlans = {
  listPlans: async () => ({ items: [], nextCursor: null }),
  listRollouts: async () => ({ items: [rollout], nextCursor: null }),
  getRollout: async () => ({
    ...rollout,
    timeline: [],
    analyses: [interval(0.01), interval(0.02)],
  }),
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

/** Backstage's SignalApi in memory: what the signals plugin does over its WebSocket. */
function signalsInMemory() {
  const listeners = new Set<(m: SentinelChangeMessage) => void>();
  return {
    subscribe: (_channel: string, onMessage: any) => {
      listeners.add(onMessage);
      return { unsubscribe: () => listeners.delete(onMessage) };
    },
    publish: (m: SentinelChangeMessage) => listeners.forEach(l => l(m)),
  };
}

describe('SentinelEntityContent', () => {
  it("reloads the service's plans when the backend announces a change to them, and only then", async () => {
    const signals = signalsInMemory();
    let plans: any[] = [];
    const listPlans = jest.fn(async () => ({ items: plans, nextCursor: null }));
    await renderInTestApp(
      <EntityProvider
        entity={service({
          'sentinel.io/workloads': 'demo/shop/Deployment/cart',
        })}
      >
        <SentinelEntityContent />
      </EntityProvider>,
      {
        apis: [
          [sentinelApiRef, { ...noPlans, listPlans }],
          [signalApiRef, signals],
        ] as const,
      },
    );
    expect(
      await screen.findByText(/No action plans for this service yet/),
    ).toBeInTheDocument();
    const loads = listPlans.mock.calls.length;

    plans = [
      {
        id: 'p-9',
        source: 'InfraMind',
        status: 'pending_approval',
        statusReason: 'confidence 0.5 is below 0.7',
        createdAt: '2026-12-04T10:00:00Z',
        submittedBy: 'service:external:inframind',
        approvals: [],
        approvalsRequired: 1,
        decisions: [
          {
            verb: 'scale',
            target: rollout.target,
            entityRef: 'component:default/cart',
          },
        ],
      },
    ];
    // Another service's change: nothing to reload.
    act(() =>
      signals.publish({
        kind: 'plan',
        id: 'p-8',
        entityRefs: ['component:default/payments-api'],
      }),
    );
    await new Promise(r => setTimeout(r, 50));
    expect(listPlans.mock.calls.length).toBe(loads);

    act(() =>
      signals.publish({
        kind: 'plan',
        id: 'p-9',
        entityRefs: ['component:default/cart'],
        status: 'pending_approval',
      }),
    );
    expect(
      await screen.findByText('confidence 0.5 is below 0.7'),
    ).toBeInTheDocument();
  });

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
    // The canary in flight: where it is, its health, each metric over time, its controls.
    expect(await screen.findByText('Rollouts in flight')).toBeInTheDocument();
    expect(screen.getByText(/Step 2 of 4/)).toBeInTheDocument();
    expect(screen.getByText('25 % to the candidate')).toBeInTheDocument();
    expect(
      await screen.findByRole('img', { name: 'error-rate over 2 intervals' }),
    ).toBeInTheDocument();
    for (const action of ['pause', 'promote', 'abort']) {
      expect(
        screen.getByRole('button', { name: `${action} rollout of cart` }),
      ).toBeInTheDocument();
    }
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

  it('links each workload to its Grafana dashboards when sentinel.grafana.baseUrl is set, and not otherwise', async () => {
    const entity = service({
      'sentinel.io/workloads':
        'demo/shop/Deployment/cart, prod-eu/shop/StatefulSet/cart-db',
    });
    const { unmount } = await renderInTestApp(
      <EntityProvider entity={entity}>
        <SentinelEntityContent />
      </EntityProvider>,
      {
        apis,
        config: {
          sentinel: { grafana: { baseUrl: 'https://grafana.example.com/' } },
        },
      },
    );
    expect(await screen.findByText('Grafana dashboards')).toBeInTheDocument();
    const href = (name: string) =>
      // Backstage's Link adds ", Opens in a new window" to an external link's name.
      screen
        .getByRole('link', { name: new RegExp(`^${name},`) })
        .getAttribute('href');
    expect(href('Canary analysis of cart')).toBe(
      'https://grafana.example.com/d/sentinel-canary?var-cluster=demo&var-workload=cart',
    );
    expect(href('Rollbacks of cart')).toBe(
      'https://grafana.example.com/d/sentinel-rollbacks?var-cluster=demo&var-workload=cart',
    );
    // One link per workload, each in its own cluster.
    expect(href('Canary analysis of cart-db')).toBe(
      'https://grafana.example.com/d/sentinel-canary?var-cluster=prod-eu&var-workload=cart-db',
    );
    expect(href('Rollbacks of cart-db')).toBe(
      'https://grafana.example.com/d/sentinel-rollbacks?var-cluster=prod-eu&var-workload=cart-db',
    );
    unmount();

    await renderInTestApp(
      <EntityProvider entity={entity}>
        <SentinelEntityContent />
      </EntityProvider>,
      { apis },
    );
    expect(await screen.findByText('Managed workloads')).toBeInTheDocument();
    expect(screen.queryByText('Grafana dashboards')).not.toBeInTheDocument();
    expect(
      screen.queryByRole('link', { name: /Canary analysis|Rollbacks of/ }),
    ).not.toBeInTheDocument();
  });
});
