import { InfoCard } from '@backstage/core-components';
import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import {
  freezeManagePermission,
  type ApiFreezeOverride,
} from '@internal/backstage-plugin-sentinel-common';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import { sentinelApiRef } from '../../../api';
import { sentinelTranslationRef } from '../../../translation';
import { describeScope } from '../common/describeScope';
import { errorMessage } from '../common/errorMessage';
import { GuardedButton } from '../common/GuardedButton';

/** Break-glass overrides in force, and a form to lift freezes in a scope for a while. */
export const OverridesPanel = ({
  overrides,
  onChanged,
}: {
  overrides: ApiFreezeOverride[];
  onChanged: () => void;
}) => {
  const sentinel = useApi(sentinelApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const [form, setForm] = useState({
    cluster: '',
    namespace: '',
    reason: '',
    minutes: '60',
  });
  const [error, setError] = useState<string>();
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm(f => ({ ...f, [key]: e.target.value }));

  const breakGlass = async () => {
    try {
      await sentinel.breakGlass({
        scope: {
          ...(form.cluster.trim() && { cluster: form.cluster.trim() }),
          ...(form.namespace.trim() && { namespace: form.namespace.trim() }),
        },
        reason: form.reason.trim(),
        durationMinutes: Number(form.minutes),
      });
      setError(undefined);
      setForm(f => ({ ...f, reason: '' }));
      onChanged();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <InfoCard title={t('freezes.overridesTitle')}>
      {overrides.length === 0 ? (
        <Typography>{t('freezes.overridesEmpty')}</Typography>
      ) : (
        <ul>
          {overrides.map(o => (
            <li key={o.id}>
              {`${describeScope(o.scope, t('common.everything'))}, ${t(
                'freezes.overrideUntil',
                { at: new Date(o.expiresAt).toLocaleString() },
              )}: ${o.reason} (${o.createdBy})`}
            </li>
          ))}
        </ul>
      )}
      <div
        style={{
          display: 'flex',
          gap: 16,
          alignItems: 'baseline',
          flexWrap: 'wrap',
        }}
      >
        <TextField
          id="override-cluster"
          label={t('freezes.cluster')}
          value={form.cluster}
          onChange={set('cluster')}
        />
        <TextField
          id="override-namespace"
          label={t('freezes.namespace')}
          value={form.namespace}
          onChange={set('namespace')}
        />
        <TextField
          id="override-reason"
          label={t('freezes.reason')}
          value={form.reason}
          onChange={set('reason')}
          required
          style={{ minWidth: 240 }}
        />
        <TextField
          id="override-minutes"
          label={t('freezes.overrideMinutes')}
          helperText={t('freezes.overrideMinutesHelp')}
          type="number"
          value={form.minutes}
          onChange={set('minutes')}
          inputProps={{ min: 1, max: 240 }}
        />
        <GuardedButton
          variant="outlined"
          color="secondary"
          permission={freezeManagePermission}
          deniedReason={t('freezes.manageDisabled')}
          disabled={!form.reason.trim()}
          onClick={breakGlass}
        >
          {t('freezes.breakGlass')}
        </GuardedButton>
      </div>
      {error && (
        <Alert severity="error" role="alert">
          {error}
        </Alert>
      )}
    </InfoCard>
  );
};
