import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import Button from '@material-ui/core/Button';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { sentinelApiRef } from '../../api';
import { sentinelTranslationRef } from '../../translation';
import { PlanActions } from '../PlanActions';
import { PlanDetails } from '../PlanDetails';

/** One plan, unfolded, above the list: where a workload's "last change" link leads. */
export const FocusedPlan = ({
  planId,
  reloadKey,
  onClose,
}: {
  planId: string;
  reloadKey: number;
  onClose: () => void;
}) => {
  const sentinel = useApi(sentinelApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => sentinel.getPlan(planId),
    [sentinel, planId, reloadKey],
  );
  if (error) return <ResponseErrorPanel error={error} />;
  if (loading && !value) return <Progress />;
  if (!value) return null;
  const summary = value.decisions
    .map(d => `${d.verb} ${d.target.namespace}/${d.target.name}`)
    .join(', ');
  return (
    <InfoCard
      title={t('focusedPlan.title', { id: value.id, status: value.status })}
      subheader={t('focusedPlan.subheader', {
        decisions: summary,
        by: value.submittedBy,
        at: new Date(value.createdAt).toLocaleString(),
      })}
      action={<Button onClick={onClose}>{t('common.close')}</Button>}
    >
      <PlanActions plan={value} onChanged={retry} />
      <PlanDetails plan={value} />
    </InfoCard>
  );
};
