export { GrafanaLinks, useWorkloadDashboards } from './GrafanaLinks';
