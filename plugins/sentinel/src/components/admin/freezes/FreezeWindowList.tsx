import { Table, type TableColumn } from '@backstage/core-components';
import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import {
  freezeManagePermission,
  type ApiFreezeWindow,
} from '@internal/backstage-plugin-sentinel-common';
import { useState } from 'react';
import { sentinelApiRef } from '../../../api';
import { sentinelTranslationRef } from '../../../translation';
import { describeScope } from '../common/describeScope';
import { errorMessage } from '../common/errorMessage';
import { GuardedButton } from '../common/GuardedButton';
import Alert from '@material-ui/lab/Alert';

function describeWhen(w: ApiFreezeWindow): string {
  if (w.recurrence) {
    const { cron, durationMinutes, timezone } = w.recurrence;
    return `${cron} (${timezone}) for ${durationMinutes} min`;
  }
  return `${new Date(w.start!).toLocaleString()} – ${new Date(
    w.end!,
  ).toLocaleString()}`;
}

/** Every freeze window, with a delete button for those who may manage freezes. */
export const FreezeWindowList = ({
  windows,
  onChanged,
}: {
  windows: ApiFreezeWindow[];
  onChanged: () => void;
}) => {
  const sentinel = useApi(sentinelApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const [error, setError] = useState<string>();

  const remove = async (w: ApiFreezeWindow) => {
    // eslint-disable-next-line no-alert -- a plain confirmation is enough for a delete
    if (!window.confirm(t('freezes.deleteConfirm', { name: w.name }))) return;
    try {
      await sentinel.deleteFreezeWindow(w.id);
      setError(undefined);
      onChanged();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const columns: TableColumn<ApiFreezeWindow>[] = [
    { title: t('freezes.name'), field: 'name' },
    {
      title: t('freezes.scope'),
      render: w => describeScope(w.scope, t('common.everything')),
    },
    { title: t('freezes.when'), render: describeWhen },
    {
      title: t('freezes.rollbacks'),
      render: w =>
        w.allowRollback === false
          ? t('freezes.rollbacksFrozen')
          : t('freezes.rollbacksAllowed'),
    },
    { title: t('freezes.reason'), field: 'reason' },
    { title: t('freezes.createdBy'), field: 'createdBy' },
    {
      title: '',
      render: w => (
        <GuardedButton
          size="small"
          permission={freezeManagePermission}
          deniedReason={t('freezes.manageDisabled')}
          onClick={() => remove(w)}
          aria-label={`${t('common.delete')} ${w.name}`}
        >
          {t('common.delete')}
        </GuardedButton>
      ),
    },
  ];

  return (
    <>
      {error && (
        <Alert severity="error" role="alert">
          {error}
        </Alert>
      )}
      <Table<ApiFreezeWindow>
        title={t('freezes.listTitle')}
        options={{ paging: false, search: false, padding: 'dense' }}
        columns={columns}
        data={windows.map(w => ({ ...w }))}
        emptyContent={<div style={{ padding: 16 }}>{t('freezes.empty')}</div>}
      />
    </>
  );
};
