import { Link } from '@backstage/core-components';
import {
  configApiRef,
  useApi,
  useTranslationRef,
} from '@backstage/frontend-plugin-api';
import {
  stringifyWorkloadRef,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import { sentinelTranslationRef } from '../../translation';
import { workloadDashboards, type WorkloadDashboards } from './grafanaLinks';

/** The Grafana dashboards of the workloads, from app-config's `sentinel.grafana.baseUrl`. */
export function useWorkloadDashboards(workloads: readonly WorkloadRef[]) {
  const baseUrl = useApi(configApiRef).getOptionalString(
    'sentinel.grafana.baseUrl',
  );
  return workloadDashboards(baseUrl, workloads);
}

/** Links to each workload's canary and rollback dashboards in Grafana, one line per workload. */
export const GrafanaLinks = ({
  dashboards,
}: {
  dashboards: readonly WorkloadDashboards[];
}) => {
  const { t } = useTranslationRef(sentinelTranslationRef);
  return (
    <ul style={{ margin: 0, paddingLeft: 20 }}>
      {dashboards.map(({ workload, hrefs }) => (
        <li key={stringifyWorkloadRef(workload)}>
          <Link to={hrefs.canary}>
            {t('grafana.canary', { workload: workload.name })}
          </Link>
          {' · '}
          <Link to={hrefs.rollbacks}>
            {t('grafana.rollbacks', { workload: workload.name })}
          </Link>
        </li>
      ))}
    </ul>
  );
};
