import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { freezeManagePermission } from '@internal/backstage-plugin-sentinel-common';
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

/**
 * Break glass for the frozen namespaces of a service: admins only (the button is not shown to
 * anyone else), with a reason and a duration of at most four hours, on record in the audit
 * trail.
 */
export const BreakGlassButton = ({
  places,
  onDone,
}: {
  places: { cluster: string; namespace: string }[];
  onDone: () => void;
}) => {
  const sentinel = useApi(sentinelApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const { allowed } = usePermission({ permission: freezeManagePermission });
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [minutes, setMinutes] = useState('60');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  if (!allowed) return null;

  const duration = Number(minutes);
  const valid =
    reason.trim().length > 0 &&
    Number.isInteger(duration) &&
    duration >= 1 &&
    duration <= 240;
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      for (const { cluster, namespace } of places) {
        await sentinel.breakGlass({
          scope: { cluster, namespace },
          reason,
          durationMinutes: duration,
        });
      }
      setOpen(false);
      onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Button size="small" variant="outlined" onClick={() => setOpen(true)}>
        {t('freezeBanner.breakGlass')}
      </Button>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        fullWidth
        maxWidth="sm"
      >
        <DialogTitle>{t('freezeBanner.dialogTitle')}</DialogTitle>
        <DialogContent>
          <DialogContentText>
            {t('freezeBanner.dialogText', {
              places: places.map(p => `${p.cluster}/${p.namespace}`).join(', '),
            })}
          </DialogContentText>
          <TextField
            id="break-glass-reason"
            fullWidth
            label={t('common.whyRequired')}
            value={reason}
            onChange={e => setReason(e.target.value)}
            inputProps={{ maxLength: 1000 }}
          />
          <TextField
            id="break-glass-minutes"
            label={t('freezeBanner.minutes')}
            type="number"
            value={minutes}
            onChange={e => setMinutes(e.target.value)}
            inputProps={{ min: 1, max: 240 }}
            style={{ marginTop: 16 }}
          />
          {error && (
            <Typography color="error" role="alert" style={{ marginTop: 8 }}>
              {error}
            </Typography>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>{t('common.cancel')}</Button>
          <Button
            color="primary"
            variant="contained"
            disabled={busy || !valid}
            onClick={submit}
          >
            {t('freezeBanner.breakGlass')}
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
};
