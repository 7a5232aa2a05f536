import {
  identityApiRef,
  useApi,
  useTranslationRef,
} from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  planApprovePermission,
  type ApiPlan,
} from '@internal/backstage-plugin-sentinel-common';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { sentinelApiRef } from '../../api';
import { sentinelTranslationRef } from '../../translation';
import { PermittedActions } from '../common/PermittedActions';
import { decisionBlockers } from './decisionBlockers';

type Choice = 'approve' | 'reject';

/**
 * Approve and reject buttons of a plan that waits for a person. Whether they are enabled is
 * the permission framework's decision on this plan (an operator decides the plans of their
 * own services) and the four-eyes rule; a disabled button says why.
 */
export const PlanActions = ({
  plan,
  onChanged,
}: {
  plan: ApiPlan;
  onChanged: () => void;
}) => {
  const sentinel = useApi(sentinelApiRef);
  const identity = useApi(identityApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const { value: me } = useAsync(
    async () => (await identity.getBackstageIdentity()).userEntityRef,
    [identity],
  );
  const permission = usePermission({
    permission: planApprovePermission,
    resourceRef: plan.id,
  });
  const [choice, setChoice] = useState<Choice>();
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  if (plan.status !== 'pending_approval') return null;
  if (!permission.loading && !permission.allowed) {
    return (
      <PermittedActions
        allowed={false}
        loading={false}
        whoMay={t('planActions.whoMay')}
      >
        {null}
      </PermittedActions>
    );
  }
  const blockers = decisionBlockers(
    {
      plan,
      me,
      allowed: permission.allowed,
      loading: permission.loading,
    },
    t,
  );
  const why = blockers.approve ?? blockers.reject;

  const close = () => {
    setChoice(undefined);
    setComment('');
    setError(undefined);
  };
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      if (choice === 'approve') {
        await sentinel.approvePlan(plan.id, comment || undefined);
      } else {
        await sentinel.rejectPlan(plan.id, comment);
      }
      close();
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const button = (which: Choice, label: string, ariaLabel: string) => (
    <Tooltip
      title={blockers[which] ?? ''}
      disableHoverListener={!blockers[which]}
    >
      {/* A disabled button gets no hover events; the span shows the tooltip. */}
      <span>
        <Button
          size="small"
          variant={which === 'approve' ? 'contained' : 'outlined'}
          color="primary"
          disabled={!!blockers[which]}
          onClick={() => setChoice(which)}
          aria-label={ariaLabel}
        >
          {label}
        </Button>
      </span>
    </Tooltip>
  );

  return (
    <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
      {button(
        'approve',
        t('planActions.approve'),
        t('planActions.approveAria', { id: plan.id }),
      )}
      {button(
        'reject',
        t('planActions.reject'),
        t('planActions.rejectAria', { id: plan.id }),
      )}
      {why && !permission.loading && (
        <Typography variant="caption" color="textSecondary">
          {why}
        </Typography>
      )}
      <Dialog open={!!choice} onClose={close} fullWidth maxWidth="sm">
        <DialogTitle>
          {choice === 'approve'
            ? t('planActions.approveTitle')
            : t('planActions.rejectTitle')}
        </DialogTitle>
        <DialogContent>
          <DialogContentText>
            {choice === 'approve'
              ? t('planActions.approveText', {
                  decisions: String(plan.decisions.length),
                  approvals: String(plan.approvalsRequired),
                })
              : t('planActions.rejectText')}
          </DialogContentText>
          <TextField
            id={`plan-${plan.id}-comment`}
            fullWidth
            multiline
            minRows={2}
            label={
              choice === 'reject'
                ? t('common.whyRequired')
                : t('planActions.comment')
            }
            value={comment}
            onChange={e => setComment(e.target.value)}
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
            disabled={busy || (choice === 'reject' && !comment.trim())}
            onClick={submit}
          >
            {choice === 'approve'
              ? t('planActions.approve')
              : t('planActions.reject')}
          </Button>
        </DialogActions>
      </Dialog>
    </div>
  );
};
