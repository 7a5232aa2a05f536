import { Content, EmptyState, Progress } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { policyReadPermission } from '@internal/backstage-plugin-sentinel-common';
import type { ReactNode } from 'react';
import { sentinelTranslationRef } from '../../translation';

/** The admin page is for whoever may read policies; anyone else is told why it is empty. */
export const AdminGate = ({ children }: { children: ReactNode }) => {
  const { t } = useTranslationRef(sentinelTranslationRef);
  const { loading, allowed } = usePermission({
    permission: policyReadPermission,
  });
  if (loading) return <Progress />;
  if (!allowed) {
    return (
      <Content>
        <EmptyState
          missing="data"
          title={t('admin.title')}
          description={t('admin.forbidden')}
        />
      </Content>
    );
  }
  return <>{children}</>;
};
