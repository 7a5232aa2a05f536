import { dashboardUrl, workloadDashboards } from './grafanaLinks';

const cart = {
  cluster: 'demo',
  namespace: 'shop',
  kind: 'Deployment' as const,
  name: 'cart',
};

describe('Grafana dashboard links', () => {
  it('filters a dashboard to the workload, encoding what a URL cannot carry as is', () => {
    expect(
      dashboardUrl('https://grafana.example.com', 'canary', {
        ...cart,
        cluster: 'eu/west & co',
      }),
    ).toBe(
      'https://grafana.example.com/d/sentinel-canary?var-cluster=eu%2Fwest%20%26%20co&var-workload=cart',
    );
    // A base URL with a sub-path and a trailing slash.
    expect(
      dashboardUrl('https://example.com/grafana//', 'rollbacks', cart),
    ).toBe(
      'https://example.com/grafana/d/sentinel-rollbacks?var-cluster=demo&var-workload=cart',
    );
  });

  it('makes no links when Grafana is not configured', () => {
    expect(workloadDashboards(undefined, [cart])).toEqual([]);
    expect(workloadDashboards('  ', [cart])).toEqual([]);
    expect(workloadDashboards('https://g', [cart])).toHaveLength(1);
  });
});
