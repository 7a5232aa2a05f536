import {
  Link,
  Progress,
  ResponseErrorPanel,
  Table,
  type TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import type {
  ApiWorkload,
  WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { sentinelApiRef } from '../../api';
import { lastChanges, workloadKey } from './lastChanges';
import { RollbackButton } from './RollbackButton';

/** The service's managed workloads as the clusters report them now. */
export const WorkloadList = ({
  entityRef,
  onChanged,
  reloadKey = 0,
}: {
  entityRef: string;
  /** Changing it reloads the list (the backend announced a change). */
  reloadKey?: number;
  /** Something was done (a rollback plan submitted): plans may want to reload. */
  onChanged?: () => void;
}) => {
  const sentinel = useApi(sentinelApiRef);
  const { value, loading, error, retry } = useAsyncRetry(async () => {
    const [workloads, plans] = await Promise.all([
      sentinel.listWorkloads({ entityRef, limit: 100 }),
      sentinel.listPlans({ entityRef, limit: 50 }),
    ]);
    return { items: workloads.items, changes: lastChanges(plans.items) };
  }, [sentinel, entityRef, reloadKey]);

  const columns: TableColumn<ApiWorkload>[] = [
    {
      title: 'Cluster / namespace',
      render: w => `${w.cluster}/${w.namespace}`,
    },
    { title: 'Kind', field: 'kind' },
    { title: 'Name', field: 'name' },
    {
      title: 'Replicas (ready / desired)',
      render: w => `${w.replicas.ready} / ${w.replicas.desired}`,
    },
    {
      title: 'Images',
      render: w => w.containers.map(c => c.image).join(', '),
    },
    {
      title: 'Rollout',
      render: w =>
        w.rollout
          ? `${w.rollout.phase}, ${w.rollout.weight} % to the candidate`
          : '—',
    },
    {
      title: 'Health',
      render: w =>
        w.health ? `${Math.round(w.health.score)} (${w.health.verdict})` : '—',
    },
    {
      title: 'Last change',
      render: w => {
        const plan = value?.changes.get(workloadKey(w as WorkloadRef));
        if (!plan) return '—';
        const verbs = [...new Set(plan.decisions.map(d => d.verb))].join(', ');
        return (
          <Link to={`?plan=${plan.id}`} aria-label={`Last change of ${w.name}`}>
            {`${verbs}, ${new Date(plan.createdAt).toLocaleString()} (${
              plan.status
            })`}
          </Link>
        );
      },
    },
    {
      title: '',
      render: w => (
        <RollbackButton
          workload={w}
          onRolledBack={() => {
            retry();
            onChanged?.();
          }}
        />
      ),
    },
  ];

  if (error) return <ResponseErrorPanel error={error} />;
  if (loading && !value) return <Progress />;
  return (
    <Table<ApiWorkload>
      title="Managed workloads"
      options={{ paging: false, search: false, padding: 'dense' }}
      columns={columns}
      data={(value?.items ?? []).map(w => ({ ...w }))}
      emptyContent={
        <div style={{ padding: 16 }}>
          None of this service's workloads is in a configured cluster yet, or
          the clusters have not been read since Sentinel started.
        </div>
      }
    />
  );
};
