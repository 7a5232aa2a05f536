import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import {
  freezeManagePermission,
  type ApiFreezeWindowInput,
} from '@internal/backstage-plugin-sentinel-common';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Radio from '@material-ui/core/Radio';
import RadioGroup from '@material-ui/core/RadioGroup';
import Switch from '@material-ui/core/Switch';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import { sentinelApiRef } from '../../../api';
import { sentinelTranslationRef } from '../../../translation';
import { errorMessage } from '../common/errorMessage';
import { GuardedButton } from '../common/GuardedButton';

interface FormState {
  name: string;
  reason: string;
  kind: 'once' | 'recurring';
  start: string;
  end: string;
  cron: string;
  durationMinutes: string;
  timezone: string;
  cluster: string;
  namespace: string;
  entityRef: string;
  allowRollback: boolean;
}

const EMPTY: FormState = {
  name: '',
  reason: '',
  kind: 'once',
  start: '',
  end: '',
  cron: '0 16 * * 5',
  durationMinutes: '3840',
  timezone: new Intl.DateTimeFormat().resolvedOptions().timeZone,
  cluster: '',
  namespace: '',
  entityRef: '',
  allowRollback: true,
};

/** The form as the API's input: local date-times become instants, empty scope fields drop. */
export function toWindowInput(form: FormState): ApiFreezeWindowInput {
  const scope = Object.fromEntries(
    (['cluster', 'namespace', 'entityRef'] as const)
      .filter(k => form[k].trim())
      .map(k => [k, form[k].trim()]),
  );
  const instant = (local: string) =>
    local ? new Date(local).toISOString() : local;
  return {
    name: form.name.trim(),
    reason: form.reason.trim(),
    scope,
    allowRollback: form.allowRollback,
    ...(form.kind === 'once'
      ? { start: instant(form.start), end: instant(form.end) }
      : {
          recurrence: {
            cron: form.cron.trim(),
            durationMinutes: Number(form.durationMinutes),
            timezone: form.timezone.trim(),
          },
        }),
  } as ApiFreezeWindowInput;
}

/** "New freeze window": a one-off or recurring window with a scope; the server checks it. */
export const FreezeWindowForm = ({ onCreated }: { onCreated: () => void }) => {
  const sentinel = useApi(sentinelApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState(EMPTY);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set =
    (key: keyof FormState) =>
    (e: { target: { value: string; checked?: boolean } }) =>
      setForm(f => ({
        ...f,
        [key]: key === 'allowRollback' ? e.target.checked : e.target.value,
      }));

  const close = () => {
    setOpen(false);
    setError(undefined);
  };
  const create = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await sentinel.createFreezeWindow(toWindowInput(form));
      setForm(EMPTY);
      close();
      onCreated();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const field = (
    key: keyof FormState,
    label: string,
    extra: Record<string, unknown> = {},
  ) => (
    <TextField
      id={`freeze-${key}`}
      label={label}
      value={form[key] as string}
      onChange={set(key)}
      fullWidth
      margin="dense"
      {...extra}
    />
  );

  return (
    <>
      <GuardedButton
        variant="contained"
        color="primary"
        permission={freezeManagePermission}
        deniedReason={t('freezes.manageDisabled')}
        onClick={() => setOpen(true)}
      >
        {t('freezes.newWindow')}
      </GuardedButton>
      <Dialog open={open} onClose={close} fullWidth maxWidth="sm">
        <DialogTitle>{t('freezes.newWindow')}</DialogTitle>
        <DialogContent>
          {field('name', t('freezes.name'), { required: true })}
          {field('reason', t('freezes.reason'), { required: true })}
          <RadioGroup
            row
            aria-label={t('freezes.when')}
            value={form.kind}
            onChange={set('kind')}
          >
            <FormControlLabel
              value="once"
              control={<Radio color="primary" />}
              label={t('freezes.oneOff')}
            />
            <FormControlLabel
              value="recurring"
              control={<Radio color="primary" />}
              label={t('freezes.recurring')}
            />
          </RadioGroup>
          {form.kind === 'once' ? (
            <div style={{ display: 'flex', gap: 16 }}>
              {field('start', t('freezes.start'), {
                type: 'datetime-local',
                InputLabelProps: { shrink: true },
              })}
              {field('end', t('freezes.end'), {
                type: 'datetime-local',
                InputLabelProps: { shrink: true },
              })}
            </div>
          ) : (
            <>
              {field('cron', t('freezes.cron'), {
                helperText: t('freezes.cronHelp'),
              })}
              <div style={{ display: 'flex', gap: 16 }}>
                {field('durationMinutes', t('freezes.durationMinutes'), {
                  type: 'number',
                })}
                {field('timezone', t('freezes.timezone'))}
              </div>
            </>
          )}
          <Typography variant="caption" color="textSecondary">
            {t('freezes.scopeHelp')}
          </Typography>
          <div style={{ display: 'flex', gap: 16 }}>
            {field('cluster', t('freezes.cluster'))}
            {field('namespace', t('freezes.namespace'))}
          </div>
          {field('entityRef', t('freezes.entityRef'))}
          <FormControlLabel
            control={
              <Switch
                color="primary"
                checked={form.allowRollback}
                onChange={set('allowRollback')}
              />
            }
            label={t('freezes.allowRollback')}
          />
          {error && (
            <Alert severity="error" role="alert">
              {error}
            </Alert>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={close}>{t('common.cancel')}</Button>
          <Button
            color="primary"
            variant="contained"
            disabled={busy || !form.name.trim() || !form.reason.trim()}
            onClick={create}
          >
            {t('common.create')}
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
};
