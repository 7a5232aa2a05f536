import type { WorkloadRef } from '@internal/backstage-plugin-sentinel-common';

/** The dashboards Sentinel ships for Grafana (docs/observability.md), by their uid. */
export const GRAFANA_DASHBOARDS = {
  canary: 'sentinel-canary',
  rollbacks: 'sentinel-rollbacks',
} as const;

export type GrafanaDashboard = keyof typeof GRAFANA_DASHBOARDS;

/** The dashboards of one workload, filtered to it. */
export interface WorkloadDashboards {
  workload: WorkloadRef;
  hrefs: Record<GrafanaDashboard, string>;
}

/**
 * A Grafana dashboard filtered to one workload through its `cluster` and `workload` variables.
 * One link per workload rather than a multi-value `var-workload`: a service's workloads may
 * run in different clusters, and a multi-value variable only works on dashboards that declare
 * it so. Pure.
 */
export function dashboardUrl(
  baseUrl: string,
  dashboard: GrafanaDashboard,
  workload: WorkloadRef,
): string {
  const query = [
    ['var-cluster', workload.cluster],
    ['var-workload', workload.name],
  ]
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
    .join('&');
  return `${baseUrl.replace(/\/+$/, '')}/d/${
    GRAFANA_DASHBOARDS[dashboard]
  }?${query}`;
}

/**
 * The canary and rollback dashboards of each workload, when `sentinel.grafana.baseUrl` is
 * set; none otherwise. Pure.
 */
export function workloadDashboards(
  baseUrl: string | undefined,
  workloads: readonly WorkloadRef[],
): WorkloadDashboards[] {
  if (!baseUrl?.trim()) return [];
  return workloads.map(workload => ({
    workload,
    hrefs: {
      canary: dashboardUrl(baseUrl.trim(), 'canary', workload),
      rollbacks: dashboardUrl(baseUrl.trim(), 'rollbacks', workload),
    },
  }));
}
