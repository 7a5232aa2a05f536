import {
  Content,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import {
  rbacManagePermission,
  type ApiRoleBindings,
} from '@internal/backstage-plugin-sentinel-common';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useEffect, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { sentinelApiRef } from '../../api';
import { sentinelTranslationRef } from '../../translation';
import { errorMessage, isConflict } from './common/errorMessage';
import { GuardedButton } from './common/GuardedButton';

const ROLES = ['viewer', 'operator', 'admin', 'system'] as const;
type Role = (typeof ROLES)[number];

const refsOf = (text: string) =>
  text
    .split(/[\n,]/)
    .map(r => r.trim())
    .filter(Boolean);

/** Who holds viewer, operator, admin and system; saved with the version read. */
export const AccessSection = () => {
  const sentinel = useApi(sentinelApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => sentinel.getRoleBindings(),
    [sentinel],
  );
  const [draft, setDraft] = useState<Record<Role, string>>();
  const [defaultRole, setDefaultRole] = useState<Role | ''>('');
  const [comment, setComment] = useState('');
  const [outcome, setOutcome] = useState<{ ok: boolean; message: string }>();

  useEffect(() => {
    if (!value) return;
    setDraft(
      Object.fromEntries(
        ROLES.map(r => [r, value.roles[r].join('\n')]),
      ) as Record<Role, string>,
    );
    setDefaultRole(value.defaultRole ?? '');
  }, [value]);

  if (error) return <ResponseErrorPanel error={error} />;
  if (!value || !draft) return loading ? <Progress /> : null;

  const save = async () => {
    try {
      const saved: ApiRoleBindings = await sentinel.putRoleBindings({
        version: value.version,
        roles: Object.fromEntries(
          ROLES.map(r => [r, refsOf(draft[r])]),
        ) as ApiRoleBindings['roles'],
        defaultRole: defaultRole || null,
        ...(comment.trim() && { comment: comment.trim() }),
      });
      setOutcome({
        ok: true,
        message: t('access.saved', { version: String(saved.version) }),
      });
      setComment('');
      retry();
    } catch (e) {
      setOutcome({
        ok: false,
        message: isConflict(e) ? t('access.conflict') : errorMessage(e),
      });
    }
  };

  return (
    <Content>
      <InfoCard
        title={t('access.title')}
        subheader={t('access.version', {
          version: String(value.version),
          by: value.updatedBy,
          at: new Date(value.updatedAt).toLocaleString(),
        })}
      >
        <Typography paragraph>{t('access.help')}</Typography>
        {ROLES.map(role => (
          <TextField
            key={role}
            id={`role-${role}`}
            label={role}
            fullWidth
            multiline
            minRows={2}
            margin="normal"
            variant="outlined"
            value={draft[role]}
            onChange={e => setDraft(d => ({ ...d!, [role]: e.target.value }))}
            inputProps={{
              'aria-label': t('access.holdersAria', { role }),
              spellCheck: false,
            }}
          />
        ))}
        <TextField
          id="access-default-role"
          select
          label={t('access.defaultRole')}
          value={defaultRole}
          onChange={e => setDefaultRole(e.target.value as Role | '')}
          style={{ minWidth: 240 }}
          margin="normal"
        >
          <MenuItem value="">{t('access.defaultNone')}</MenuItem>
          {ROLES.map(r => (
            <MenuItem key={r} value={r}>
              {r}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          id="access-comment"
          label={t('access.comment')}
          fullWidth
          margin="normal"
          value={comment}
          onChange={e => setComment(e.target.value)}
        />
        {outcome && (
          <Alert severity={outcome.ok ? 'success' : 'error'} role="alert">
            {outcome.message}
          </Alert>
        )}
        <div style={{ marginTop: 8, display: 'flex', gap: 8 }}>
          <GuardedButton
            variant="contained"
            color="primary"
            permission={rbacManagePermission}
            deniedReason={t('common.noPermission', {
              permission: 'sentinel.rbac.manage',
            })}
            onClick={save}
          >
            {t('common.save')}
          </GuardedButton>
        </div>
      </InfoCard>
    </Content>
  );
};
