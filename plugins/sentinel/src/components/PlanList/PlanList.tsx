import {
  Progress,
  ResponseErrorPanel,
  Table,
  type TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  PLAN_STATUSES,
  type ApiPlan,
  type PlanStatus,
} from '@internal/backstage-plugin-sentinel-common';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { sentinelApiRef } from '../../api';
import { PlanActions } from '../PlanActions';
import { PlanDetails } from '../PlanDetails';

function describeDecisions(plan: ApiPlan): string {
  return plan.decisions
    .map(d => `${d.verb} ${d.target.namespace}/${d.target.name}`)
    .join(', ');
}

/** The latest action plans touching one catalog entity's workloads; pending ones to decide. */
export const PlanList = ({
  entityRef,
  reloadKey = 0,
}: {
  entityRef: string;
  /** Changing it reloads the list (something outside it submitted a plan). */
  reloadKey?: number;
}) => {
  const sentinel = useApi(sentinelApiRef);
  const [status, setStatus] = useState<PlanStatus | ''>('');
  const { value, loading, error, retry } = useAsyncRetry(
    () =>
      sentinel.listPlans({
        entityRef,
        limit: 20,
        ...(status && { status }),
      }),
    [sentinel, entityRef, status, reloadKey],
  );

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
    {
      title: 'Decide',
      render: plan => <PlanActions plan={plan} onChanged={retry} />,
    },
  ];

  const filter = (
    <TextField
      select
      label="Status"
      value={status}
      onChange={e => setStatus(e.target.value as PlanStatus | '')}
      style={{ minWidth: 180 }}
      inputProps={{ 'aria-label': 'Filter plans by status' }}
    >
      <MenuItem value="">any</MenuItem>
      {PLAN_STATUSES.map(s => (
        <MenuItem key={s} value={s}>
          {s}
        </MenuItem>
      ))}
    </TextField>
  );

  if (error) {
    return <ResponseErrorPanel error={error} />;
  }
  return (
    <div>
      {filter}
      {loading && !value ? (
        <Progress />
      ) : (
        <Table<ApiPlan>
          title="Action plans"
          options={{ paging: false, search: false, padding: 'dense' }}
          columns={columns}
          data={(value?.items ?? []).map(plan => ({ ...plan }))}
          detailPanel={({ rowData }) => <PlanDetails plan={rowData} />}
          emptyContent={
            <div style={{ padding: 16 }}>
              {status
                ? `No ${status} plans for this service.`
                : 'No action plans for this service yet. Plans an optimizer submits for these workloads will show here, with their policy verdicts, approvals and rollbacks.'}
            </div>
          }
        />
      )}
    </div>
  );
};
