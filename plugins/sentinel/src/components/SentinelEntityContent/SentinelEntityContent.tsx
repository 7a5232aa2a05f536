import {
  CodeSnippet,
  Content,
  EmptyState,
  InfoCard,
  WarningPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { FocusedPlan } from '../PlanList/FocusedPlan';
import { FreezeBanner } from '../FreezeBanner';
import { GrafanaLinks, useWorkloadDashboards } from '../GrafanaLinks';
import { PlanList } from '../PlanList';
import { RolloutList } from '../RolloutList';
import { WorkloadList } from '../WorkloadList';
import {
  parseWorkloadsAnnotation,
  SENTINEL_WORKLOADS_ANNOTATION,
} from '@internal/backstage-plugin-sentinel-common';
import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { forEntity, useSentinelChanges } from '../../hooks/useSentinelChanges';
import { sentinelTranslationRef } from '../../translation';

const annotationExample = `metadata:
  annotations:
    ${SENTINEL_WORKLOADS_ANNOTATION}: demo/shop/Deployment/cart`;

/** The Sentinel tab of a service's catalog page. */
export const SentinelEntityContent = () => {
  const { entity } = useEntity();
  const { t } = useTranslationRef(sentinelTranslationRef);
  // A rollback from the workloads list is a new plan: the plan list reloads.
  const [plansVersion, setPlansVersion] = useState(0);
  const entityRef = stringifyEntityRef(entity);
  // Plans and rollouts of this service changed (Backstage signals; polling without them).
  const changes = useSentinelChanges(forEntity(entityRef));
  // ?plan=<id>: a workload's last change, unfolded above the list.
  const [search, setSearch] = useSearchParams();
  const focusedPlan = search.get('plan');
  const { refs, errors } = parseWorkloadsAnnotation(
    entity.metadata.annotations?.[SENTINEL_WORKLOADS_ANNOTATION],
  );
  const dashboards = useWorkloadDashboards(refs);

  return (
    <Content>
      {errors.length > 0 && (
        <WarningPanel
          title={t('entityTab.ignoredReferences', {
            count: errors.length,
          })}
          message={errors.join('\n')}
        />
      )}
      <div style={{ display: 'grid', gap: 24 }}>
        {refs.length === 0 ? (
          <EmptyState
            missing="field"
            title={t('entityTab.unmanagedTitle')}
            description={t('entityTab.unmanagedDescription', {
              annotation: SENTINEL_WORKLOADS_ANNOTATION,
            })}
            action={<CodeSnippet language="yaml" text={annotationExample} />}
          />
        ) : (
          <>
            <FreezeBanner workloads={refs} />
            <WorkloadList
              entityRef={entityRef}
              reloadKey={changes}
              onChanged={() => setPlansVersion(v => v + 1)}
            />
            <RolloutList entityRef={entityRef} reloadKey={changes} />
            {dashboards.length > 0 && (
              <InfoCard title={t('grafana.title')}>
                <GrafanaLinks dashboards={dashboards} />
              </InfoCard>
            )}
            {focusedPlan && (
              <FocusedPlan
                planId={focusedPlan}
                reloadKey={changes}
                onClose={() => setSearch({})}
              />
            )}
            <PlanList
              entityRef={entityRef}
              reloadKey={plansVersion + changes}
            />
          </>
        )}
      </div>
    </Content>
  );
};
