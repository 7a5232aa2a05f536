import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
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
import { PermittedActions } from '../common/PermittedActions';
import { decisionBlockers } from './decisionBlockers';

type Choice = 'approve' | 'reject';

const WHO_MAY =
  'Only an admin, or an operator whose group owns every service this plan changes, may decide it.';

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
      <PermittedActions allowed={false} loading={false} whoMay={WHO_MAY}>
        {null}
      </PermittedActions>
    );
  }
  const blockers = decisionBlockers({
    plan,
    me,
    allowed: permission.allowed,
    loading: permission.loading,
  });
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

  const button = (which: Choice, label: string) => (
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
          aria-label={`${label} plan ${plan.id}`}
        >
          {label}
        </Button>
      </span>
    </Tooltip>
  );

  return (
    <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
      {button('approve', 'Approve')}
      {button('reject', 'Reject')}
      {why && !permission.loading && (
        <Typography variant="caption" color="textSecondary">
          {why}
        </Typography>
      )}
      <Dialog open={!!choice} onClose={close} fullWidth maxWidth="sm">
        <DialogTitle>
          {choice === 'approve' ? 'Approve this plan' : 'Reject this plan'}
        </DialogTitle>
        <DialogContent>
          <DialogContentText>
            {choice === 'approve'
              ? `Sentinel applies the plan's ${plan.decisions.length} decision(s) once ${plan.approvalsRequired} distinct people have approved it, checking every guardrail again at the moment of apply.`
              : 'The plan ends rejected and nothing is applied. Say why, for the optimizer and the audit trail.'}
          </DialogContentText>
          <TextField
            id={`plan-${plan.id}-comment`}
            fullWidth
            multiline
            minRows={2}
            label={
              choice === 'reject' ? 'Why (required)' : 'Comment (optional)'
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
          <Button onClick={close}>Cancel</Button>
          <Button
            color="primary"
            variant="contained"
            disabled={busy || (choice === 'reject' && !comment.trim())}
            onClick={submit}
          >
            {choice === 'approve' ? 'Approve' : 'Reject'}
          </Button>
        </DialogActions>
      </Dialog>
    </div>
  );
};
