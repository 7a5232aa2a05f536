import { Content } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { sentinelTranslationRef } from '../../translation';
import { PlanList } from '../PlanList';

/**
 * Every plan waiting for a person, across services; the list shows only the plans the user may
 * read, and each plan's buttons say whether this user may decide it.
 */
export const ApprovalsSection = () => {
  const { t } = useTranslationRef(sentinelTranslationRef);
  return (
    <Content>
      <PlanList
        status="pending_approval"
        title={t('approvals.title')}
        emptyText={t('approvals.empty')}
      />
    </Content>
  );
};
