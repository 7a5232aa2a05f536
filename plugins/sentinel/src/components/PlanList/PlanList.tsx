import {
  Progress,
  ResponseErrorPanel,
  Table,
  type TableColumn,
} from '@backstage/core-components';
import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
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
import { sentinelTranslationRef } from '../../translation';
import { PlanActions } from '../PlanActions';
import { PlanDetails } from '../PlanDetails';

function describeDecisions(plan: ApiPlan): string {
  return plan.decisions
    .map(d => `${d.verb} ${d.target.namespace}/${d.target.name}`)
    .join(', ');
}

/**
 * The latest action plans touching one catalog entity's workloads (or every service's, on the
 * admin page), pending ones to decide.
 */
export const PlanList = ({
  entityRef,
  reloadKey = 0,
  status: initialStatus = '',
  title,
  emptyText,
}: {
  /** Only this service's plans; every plan the user may read when left out. */
  entityRef?: string;
  /** Changing it reloads the list (something outside it submitted a plan). */
  reloadKey?: number;
  /** The status filter to start with. */
  status?: PlanStatus | '';
  title?: string;
  /** What the list says when it has no plan and no filter is chosen. */
  emptyText?: string;
}) => {
  const sentinel = useApi(sentinelApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const [status, setStatus] = useState<PlanStatus | ''>(initialStatus);
  const { value, loading, error, retry } = useAsyncRetry(
    () =>
      sentinel.listPlans({
        ...(entityRef && { entityRef }),
        limit: 20,
        ...(status && { status }),
      }),
    [sentinel, entityRef, status, reloadKey],
  );

  const columns: TableColumn<ApiPlan>[] = [
    {
      title: t('plans.submitted'),
      field: 'createdAt',
      render: plan => new Date(plan.createdAt).toLocaleString(),
    },
    ...(entityRef
      ? []
      : [
          {
            title: t('plans.service'),
            render: (plan: ApiPlan) =>
              [...new Set(plan.decisions.map(d => d.entityRef))].join(', '),
          },
        ]),
    { title: t('plans.source'), field: 'source' },
    { title: t('plans.decisions'), render: describeDecisions },
    { title: t('plans.status'), field: 'status' },
    { title: t('plans.why'), field: 'statusReason' },
    {
      title: t('plans.decide'),
      render: plan => <PlanActions plan={plan} onChanged={retry} />,
    },
  ];

  const filter = (
    <TextField
      select
      label={t('plans.filterLabel')}
      value={status}
      onChange={e => setStatus(e.target.value as PlanStatus | '')}
      style={{ minWidth: 180 }}
      inputProps={{ 'aria-label': t('plans.filterAria') }}
    >
      <MenuItem value="">{t('common.any')}</MenuItem>
      {PLAN_STATUSES.map(s => (
        <MenuItem key={s} value={s}>
          {s}
        </MenuItem>
      ))}
    </TextField>
  );

  const emptyMessage = () => {
    if (emptyText && status === initialStatus) return emptyText;
    if (status) return t('plans.emptyFiltered', { status });
    return entityRef ? t('plans.emptyForService') : t('plans.emptyAll');
  };

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
          title={title ?? t('plans.title')}
          options={{ paging: false, search: false, padding: 'dense' }}
          columns={columns}
          data={(value?.items ?? []).map(plan => ({ ...plan }))}
          detailPanel={({ rowData }) => <PlanDetails plan={rowData} />}
          emptyContent={<div style={{ padding: 16 }}>{emptyMessage()}</div>}
        />
      )}
    </div>
  );
};
