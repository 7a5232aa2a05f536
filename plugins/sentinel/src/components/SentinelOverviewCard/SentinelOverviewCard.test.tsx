import type { Entity } from '@backstage/catalog-model';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { sentinelApiRef } from '../../api';
import { SentinelOverviewCard } from './SentinelOverviewCard';

const quiet = {
  listPlans: async () => ({ items: [], nextCursor: null }),
  listWorkloads: async () => ({ items: [], nextCursor: null }),
  freezeStatus: async () => ({
    frozen: false,
    window: null,
    nextWindow: null,
    override: null,
  }),
} as any;

const payments: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    annotations: {
      'sentinel.io/workloads':
        'demo/payments/Deployment/payments-api, demo/payments/StatefulSet/ledger',
    },
  },
  spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
};

function renderCard(config?: object) {
  return renderInTestApp(
    <EntityProvider entity={payments}>
      <SentinelOverviewCard />
    </EntityProvider>,
    { apis: [[sentinelApiRef, quiet]] as const, ...(config && { config }) },
  );
}

describe('SentinelOverviewCard', () => {
  it("links each of the service's workloads to its canary and rollback dashboards in Grafana", async () => {
    await renderCard({
      sentinel: { grafana: { baseUrl: 'https://example.com/grafana' } },
    });
    expect(await screen.findByText('Dashboards')).toBeInTheDocument();
    const hrefs = screen
      .getAllByRole('link', { name: /Canary analysis|Rollbacks of/ })
      // Backstage's Link says that an external link opens a new window.
      .map(link => [
        link.textContent?.replace(', Opens in a new window', ''),
        link.getAttribute('href'),
      ]);
    expect(hrefs).toEqual([
      [
        'Canary analysis of payments-api',
        'https://example.com/grafana/d/sentinel-canary?var-cluster=demo&var-workload=payments-api',
      ],
      [
        'Rollbacks of payments-api',
        'https://example.com/grafana/d/sentinel-rollbacks?var-cluster=demo&var-workload=payments-api',
      ],
      [
        'Canary analysis of ledger',
        'https://example.com/grafana/d/sentinel-canary?var-cluster=demo&var-workload=ledger',
      ],
      [
        'Rollbacks of ledger',
        'https://example.com/grafana/d/sentinel-rollbacks?var-cluster=demo&var-workload=ledger',
      ],
    ]);
  });

  it('shows no dashboards without sentinel.grafana.baseUrl', async () => {
    await renderCard();
    expect(await screen.findByText('Not frozen')).toBeInTheDocument();
    expect(screen.queryByText('Dashboards')).not.toBeInTheDocument();
    expect(
      screen.queryByRole('link', { name: /Canary analysis|Rollbacks of/ }),
    ).not.toBeInTheDocument();
  });
});
