import {
  Link,
  Progress,
  ResponseErrorPanel,
  Table,
  type TableColumn,
} from '@backstage/core-components';
import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import type {
  ApiPlan,
  ApiWorkload,
} from '@internal/backstage-plugin-sentinel-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { sentinelApiRef } from '../../api';
import { sentinelTranslationRef } from '../../translation';
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
  const { t } = useTranslationRef(sentinelTranslationRef);
  const { value, loading, error, retry } = useAsyncRetry(async () => {
    const [workloads, plans] = await Promise.all([
      sentinel.listWorkloads({ entityRef, limit: 100 }),
      sentinel.listPlans({ entityRef, limit: 50 }),
    ]);
    // The server names each workload's last change; the recent plans describe it.
    const recent = new Map<string, ApiPlan>(plans.items.map(p => [p.id, p]));
    return { items: workloads.items, recent };
  }, [sentinel, entityRef, reloadKey]);

  const columns: TableColumn<ApiWorkload>[] = [
    {
      title: t('workloads.place'),
      render: w => `${w.cluster}/${w.namespace}`,
    },
    { title: t('workloads.kind'), field: 'kind' },
    { title: t('workloads.name'), field: 'name' },
    {
      title: t('workloads.replicas'),
      render: w => `${w.replicas.ready} / ${w.replicas.desired}`,
    },
    {
      title: t('workloads.images'),
      render: w => w.containers.map(c => c.image).join(', '),
    },
    {
      title: t('workloads.rollout'),
      render: w =>
        w.rollout
          ? t('workloads.rolloutCell', {
              phase: w.rollout.phase,
              weight: String(w.rollout.weight),
            })
          : '—',
    },
    {
      title: t('workloads.health'),
      render: w =>
        w.health ? `${Math.round(w.health.score)} (${w.health.verdict})` : '—',
    },
    {
      title: t('workloads.lastChange'),
      render: w => {
        if (!w.lastPlanId) return '—';
        const plan = value?.recent.get(w.lastPlanId);
        const label = plan
          ? `${[...new Set(plan.decisions.map(d => d.verb))].join(
              ', ',
            )}, ${new Date(plan.createdAt).toLocaleString()} (${plan.status})`
          : w.lastPlanId;
        return (
          <Link
            to={`?plan=${w.lastPlanId}`}
            aria-label={t('workloads.lastChangeAria', { name: w.name })}
          >
            {label}
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
      title={t('workloads.title')}
      options={{ paging: false, search: false, padding: 'dense' }}
      columns={columns}
      data={(value?.items ?? []).map(w => ({ ...w }))}
      emptyContent={<div style={{ padding: 16 }}>{t('workloads.empty')}</div>}
    />
  );
};
