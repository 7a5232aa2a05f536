import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  rollbackCreatePermission,
  stringifyWorkloadRef,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import { sentinelApiRef } from '../../api';
import { sentinelTranslationRef } from '../../translation';
import { PermittedActions } from '../common/PermittedActions';

/**
 * Rolls a workload back to its state before Sentinel's last change, after a confirmation
 * with a reason. Enabled by the permission framework's decision on this workload.
 */
export const RollbackButton = ({
  workload,
  onRolledBack,
}: {
  workload: WorkloadRef;
  onRolledBack: () => void;
}) => {
  const sentinel = useApi(sentinelApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const ref = stringifyWorkloadRef(workload);
  const { allowed, loading } = usePermission({
    permission: rollbackCreatePermission,
    resourceRef: ref,
  });
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const whoMay = t('rollback.whoMay');

  const close = () => {
    setOpen(false);
    setReason('');
    setError(undefined);
  };
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await sentinel.rollbackWorkload(workload, reason);
      close();
      onRolledBack();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PermittedActions allowed={allowed} loading={loading} whoMay={whoMay}>
        <Button
          size="small"
          variant="outlined"
          disabled={loading}
          onClick={() => setOpen(true)}
          aria-label={t('rollback.buttonAria', { name: workload.name })}
        >
          {t('rollback.button')}
        </Button>
      </PermittedActions>
      <Dialog open={open} onClose={close} fullWidth maxWidth="sm">
        <DialogTitle>{t('rollback.title', { ref })}</DialogTitle>
        <DialogContent>
          <DialogContentText>{t('rollback.text')}</DialogContentText>
          <TextField
            id={`rollback-${ref}-reason`}
            fullWidth
            label={t('common.whyRequired')}
            value={reason}
            onChange={e => setReason(e.target.value)}
            inputProps={{ maxLength: 2000 }}
          />
          {error && (
            <Typography color="error" role="alert" style={{ marginTop: 8 }}>
              {error}
            </Typography>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={close}>{t('common.cancel')}</Button>
          <Button
            color="primary"
            variant="contained"
            disabled={busy || !reason.trim()}
            onClick={submit}
          >
            {t('rollback.button')}
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
};
