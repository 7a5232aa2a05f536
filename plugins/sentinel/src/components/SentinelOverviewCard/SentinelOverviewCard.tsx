import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  parseWorkloadsAnnotation,
  SENTINEL_WORKLOADS_ANNOTATION,
  sentinelTabPath,
} from '@internal/backstage-plugin-sentinel-common';
import useAsync from 'react-use/esm/useAsync';
import { sentinelApiRef } from '../../api';
import { sentinelTranslationRef } from '../../translation';
import { forEntity, useSentinelChanges } from '../../hooks/useSentinelChanges';
import { GrafanaLinks, useWorkloadDashboards } from '../GrafanaLinks';
import { overview } from './overview';

/** Sentinel at a glance on a service's Overview tab: freeze, rollouts, approvals, last change. */
export const SentinelOverviewCard = () => {
  const { entity } = useEntity();
  const sentinel = useApi(sentinelApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const entityRef = stringifyEntityRef(entity);
  const { refs } = parseWorkloadsAnnotation(
    entity.metadata.annotations?.[SENTINEL_WORKLOADS_ANNOTATION],
  );
  const dashboards = useWorkloadDashboards(refs);
  const places = [...new Set(refs.map(r => `${r.cluster}/${r.namespace}`))];
  const changes = useSentinelChanges(forEntity(entityRef));
  const { value, loading, error } = useAsync(async () => {
    const [freezes, pending, workloads, succeeded] = await Promise.all([
      Promise.all(
        places.map(p => {
          const [cluster, namespace] = p.split('/');
          return sentinel.freezeStatus({ cluster, namespace });
        }),
      ),
      sentinel.listPlans({ entityRef, status: 'pending_approval', limit: 50 }),
      sentinel.listWorkloads({ entityRef, limit: 100 }),
      sentinel.listPlans({ entityRef, status: 'succeeded', limit: 1 }),
    ]);
    return {
      freezes,
      pending: pending.items,
      workloads: workloads.items,
      lastChange: succeeded.items[0],
      now: new Date(),
    };
  }, [sentinel, entityRef, places.join(','), changes]);
  // Worded at render: a change of language needs no new requests.
  const summary = value && overview(value, t);

  const tab = sentinelTabPath(entityRef);
  return (
    <InfoCard
      title={t('overview.title')}
      deepLink={{ title: t('overview.openTab'), link: tab }}
    >
      {loading && !value && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {summary && (
        <dl style={{ margin: 0 }}>
          <dt>
            <strong>{t('overview.freeze')}</strong>
          </dt>
          <dd>{summary.freeze}</dd>
          <dt>
            <strong>{t('overview.rollouts')}</strong>
          </dt>
          <dd>{summary.rollouts}</dd>
          <dt>
            <strong>{t('overview.approvals')}</strong>
          </dt>
          <dd>
            {value?.pending.length === 0 ? (
              summary.approvals
            ) : (
              <Link to={tab}>{summary.approvals}</Link>
            )}
          </dd>
          <dt>
            <strong>{t('overview.lastChange')}</strong>
          </dt>
          <dd>{summary.lastChange}</dd>
          {dashboards.length > 0 && (
            <>
              <dt>
                <strong>{t('overview.dashboards')}</strong>
              </dt>
              <dd>
                <GrafanaLinks dashboards={dashboards} />
              </dd>
            </>
          )}
        </dl>
      )}
    </InfoCard>
  );
};
