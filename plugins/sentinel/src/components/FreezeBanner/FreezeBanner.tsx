import { WarningPanel } from '@backstage/core-components';
import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import type {
  ApiFreezeStatus,
  WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { sentinelApiRef } from '../../api';
import { sentinelTranslationRef } from '../../translation';
import { BreakGlassButton } from './BreakGlassButton';

function when(iso: string): string {
  return new Date(iso).toLocaleString();
}

/**
 * Says when a change freeze covers any of the service's workloads (the namespaces they run
 * in), and when the next one starts. Renders nothing while loading or when nothing is frozen
 * or planned: the tab's other content is what matters then.
 */
export const FreezeBanner = ({ workloads }: { workloads: WorkloadRef[] }) => {
  const sentinel = useApi(sentinelApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const places = [
    ...new Map(
      workloads.map(w => [`${w.cluster}/${w.namespace}`, w] as const),
    ).values(),
  ];
  const { value, retry } = useAsyncRetry(
    () =>
      Promise.all(
        places.map(w =>
          sentinel.freezeStatus({ cluster: w.cluster, namespace: w.namespace }),
        ),
      ),
    [sentinel, places.map(p => `${p.cluster}/${p.namespace}`).join(',')],
  );
  const statuses: ApiFreezeStatus[] = value ?? [];
  const frozen = statuses.find(s => s.frozen && s.window);
  if (frozen?.window) {
    const w = frozen.window;
    return (
      <WarningPanel
        severity="warning"
        defaultExpanded
        title={t('freezeBanner.frozenTitle', {
          until: when(w.activeUntil),
          name: w.name,
        })}
        message={
          w.allowRollback === false
            ? t('freezeBanner.frozenRollbacksFrozen', { reason: w.reason })
            : t('freezeBanner.frozenRollbacksAllowed', { reason: w.reason })
        }
      >
        <BreakGlassButton
          places={places
            .filter((_, i) => statuses[i]?.frozen)
            .map(p => ({ cluster: p.cluster, namespace: p.namespace }))}
          onDone={retry}
        />
      </WarningPanel>
    );
  }
  const next = statuses
    .map(s => s.nextWindow)
    .filter(w => w !== null)
    .sort((a, b) => Date.parse(a!.activeFrom) - Date.parse(b!.activeFrom))[0];
  if (next) {
    return (
      <WarningPanel
        severity="info"
        title={t('freezeBanner.nextTitle', {
          name: next.name,
          from: when(next.activeFrom),
          until: when(next.activeUntil),
        })}
        message={next.reason}
      />
    );
  }
  return null;
};
