import { ResponseErrorPanel } from '@backstage/core-components';
import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import Typography from '@material-ui/core/Typography';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import { sentinelApiRef } from '../../api';
import { sentinelTranslationRef } from '../../translation';
import { RolloutCard } from './RolloutCard';

const IN_FLIGHT = 'pending,progressing,paused,promoting,aborting';

/**
 * The service's rollouts in flight: read again when the backend announces a change
 * (`reloadKey`), and every few seconds while any runs, for its analysis metrics.
 */
export const RolloutList = ({
  entityRef,
  reloadKey = 0,
}: {
  entityRef: string;
  reloadKey?: number;
}) => {
  const sentinel = useApi(sentinelApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const { value, error, retry } = useAsyncRetry(
    () => sentinel.listRollouts({ entityRef, phase: IN_FLIGHT, limit: 20 }),
    [sentinel, entityRef, reloadKey],
  );
  const rollouts = value?.items ?? [];
  useInterval(retry, rollouts.length > 0 ? 3_000 : null);

  if (error) return <ResponseErrorPanel error={error} />;
  if (rollouts.length === 0) return null;
  return (
    <div style={{ display: 'grid', gap: 12 }}>
      <Typography variant="h5" component="h2">
        {t('rollouts.title')}
      </Typography>
      {rollouts.map(r => (
        <RolloutCard key={r.id} rollout={r} onChanged={retry} />
      ))}
    </div>
  );
};
