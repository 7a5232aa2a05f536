import { Content } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { sentinelTranslationRef } from '../../translation';
import { useSentinelChanges } from '../../hooks/useSentinelChanges';
import { PlanList } from '../PlanList';

/**
 * Every plan waiting for a person, across services; the list shows only the plans the user may
 * read, and each plan's buttons say whether this user may decide it.
 */
export const ApprovalsSection = () => {
  const { t } = useTranslationRef(sentinelTranslationRef);
  const changes = useSentinelChanges(change => change.kind === 'plan');
  return (
    <Content>
      <PlanList
        status="pending_approval"
        reloadKey={changes}
        title={t('approvals.title')}
        emptyText={t('approvals.empty')}
      />
    </Content>
  );
};
