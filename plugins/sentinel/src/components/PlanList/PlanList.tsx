import {
  Progress,
  ResponseErrorPanel,
  Table,
  type TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import type { ApiPlan } from '@internal/backstage-plugin-sentinel-common';
import useAsync from 'react-use/esm/useAsync';
import { sentinelApiRef } from '../../api';

function describeDecisions(plan: ApiPlan): string {
  return plan.decisions
    .map(d => `${d.verb} ${d.target.namespace}/${d.target.name}`)
    .join(', ');
}

const columns: TableColumn<ApiPlan>[] = [
  {
    title: 'Submitted',
    field: 'createdAt',
    render: plan => new Date(plan.createdAt).toLocaleString(),
  },
  { title: 'Source', field: 'source' },
  { title: 'Decisions', render: describeDecisions },
  { title: 'Status', field: 'status' },
  { title: 'Why', field: 'statusReason' },
];

/** The latest action plans touching one catalog entity's workloads. */
export const PlanList = ({ entityRef }: { entityRef: string }) => {
  const sentinel = useApi(sentinelApiRef);
  const { value, loading, error } = useAsync(
    () => sentinel.listPlans({ entityRef, limit: 20 }),
    [sentinel, entityRef],
  );

  if (loading) {
    return <Progress />;
  }
  if (error) {
    return <ResponseErrorPanel error={error} />;
  }
  return (
    <Table<ApiPlan>
      title="Action plans"
      options={{ paging: false, search: false, padding: 'dense' }}
      columns={columns}
      data={(value?.items ?? []).map(plan => ({ ...plan }))}
      emptyContent={
        <div style={{ padding: 16 }}>
          No action plans for this service yet. Plans an optimizer submits for
          these workloads will show here, with their policy verdicts, approvals
          and rollbacks.
        </div>
      }
    />
  );
};
