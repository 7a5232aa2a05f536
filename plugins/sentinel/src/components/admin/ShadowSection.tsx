import {
  Content,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { policyUpdatePermission } from '@internal/backstage-plugin-sentinel-common';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Switch from '@material-ui/core/Switch';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { sentinelApiRef } from '../../api';
import { sentinelTranslationRef } from '../../translation';
import { PlanList } from '../PlanList';
import { errorMessage } from './common/errorMessage';

/** Shadow mode on or off (stored in the policy document), and the plans it simulated. */
export const ShadowSection = () => {
  const sentinel = useApi(sentinelApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const mayChange = usePermission({ permission: policyUpdatePermission });
  const { value, loading, error, retry } = useAsyncRetry(
    () => sentinel.getPolicy(),
    [sentinel],
  );
  const [outcome, setOutcome] = useState<{ ok: boolean; message: string }>();
  const [busy, setBusy] = useState(false);

  if (error) return <ResponseErrorPanel error={error} />;
  if (loading && !value) return <Progress />;
  if (!value) return null;
  const on = value.shadowMode === true;

  const toggle = async () => {
    setBusy(true);
    try {
      const saved = await sentinel.replacePolicy({ ...value, shadowMode: !on });
      setOutcome({
        ok: true,
        message: t('shadow.changed', {
          state: saved.shadowMode ? t('shadow.stateOn') : t('shadow.stateOff'),
          version: String(saved.version),
        }),
      });
      retry();
    } catch (e) {
      setOutcome({ ok: false, message: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Content>
      <InfoCard title={t('shadow.title')}>
        <Typography paragraph>{t('shadow.help')}</Typography>
        <Alert severity={on ? 'info' : 'success'}>
          {on ? t('shadow.on') : t('shadow.off')}
        </Alert>
        <FormControlLabel
          control={
            <Switch
              color="primary"
              checked={on}
              disabled={busy || mayChange.loading || !mayChange.allowed}
              onChange={toggle}
            />
          }
          label={t('shadow.switchLabel')}
        />
        {!mayChange.loading && !mayChange.allowed && (
          <Typography variant="caption" color="textSecondary" component="p">
            {t('policy.saveDisabledPermission')}
          </Typography>
        )}
        <Typography variant="caption" color="textSecondary" component="p">
          {t('shadow.forcedByConfig')}
        </Typography>
        {outcome && (
          <Alert severity={outcome.ok ? 'success' : 'error'} role="alert">
            {outcome.message}
          </Alert>
        )}
      </InfoCard>
      <div style={{ marginTop: 24 }}>
        <PlanList
          status="simulated"
          title={t('shadow.recent')}
          reloadKey={value.version}
        />
      </div>
    </Content>
  );
};
