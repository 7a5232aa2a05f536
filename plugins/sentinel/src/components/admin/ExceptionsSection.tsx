import {
  Content,
  Progress,
  ResponseErrorPanel,
  Table,
  type TableColumn,
} from '@backstage/core-components';
import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import {
  policyUpdatePermission,
  type ApiPolicyDocument,
} from '@internal/backstage-plugin-sentinel-common';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { sentinelApiRef } from '../../api';
import { sentinelTranslationRef } from '../../translation';
import { describeScope } from './common/describeScope';
import { errorMessage } from './common/errorMessage';
import { GuardedButton } from './common/GuardedButton';

type PolicyException = NonNullable<ApiPolicyDocument['exceptions']>[number];

const EMPTY_FORM = {
  id: '',
  rules: '',
  ticket: '',
  reason: '',
  cluster: '',
  namespace: '',
  entityRef: '',
  expiresAt: '',
};

/** The form as an exception of the policy document. */
export function toException(form: typeof EMPTY_FORM): PolicyException {
  const text = (key: keyof typeof EMPTY_FORM) => form[key].trim();
  return {
    id: text('id'),
    rules: text('rules')
      .split(',')
      .map(r => r.trim())
      .filter(Boolean),
    ticket: text('ticket'),
    ...(text('reason') && { reason: text('reason') }),
    scope: Object.fromEntries(
      (['cluster', 'namespace', 'entityRef'] as const)
        .filter(k => text(k))
        .map(k => [k, text(k)]),
    ),
    expiresAt: form.expiresAt ? new Date(form.expiresAt).toISOString() : '',
  };
}

/**
 * Exceptions of the policy document: rules lifted for a scope until they expire. Adding or
 * removing one saves a new version of the document (the version read, so nothing is lost).
 */
export const ExceptionsSection = () => {
  const sentinel = useApi(sentinelApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => sentinel.getPolicy(),
    [sentinel],
  );
  const [form, setForm] = useState(EMPTY_FORM);
  const [outcome, setOutcome] = useState<{ ok: boolean; message: string }>();

  if (error) return <ResponseErrorPanel error={error} />;
  if (loading && !value) return <Progress />;
  if (!value) return null;
  const exceptions = value.exceptions ?? [];

  const save = async (
    next: PolicyException[],
    message: (version: number) => string,
  ) => {
    try {
      const saved = await sentinel.replacePolicy({
        ...value,
        exceptions: next,
      });
      setOutcome({ ok: true, message: message(saved.version ?? 0) });
      retry();
      return true;
    } catch (e) {
      setOutcome({ ok: false, message: errorMessage(e) });
      return false;
    }
  };
  const add = async () => {
    const exception = toException(form);
    const ok = await save([...exceptions, exception], version =>
      t('exceptions.added', { id: exception.id, version: String(version) }),
    );
    if (ok) setForm(EMPTY_FORM);
  };
  const remove = (id: string) =>
    save(
      exceptions.filter(e => e.id !== id),
      version => t('exceptions.removed', { id, version: String(version) }),
    );

  const now = new Date();
  const columns: TableColumn<PolicyException>[] = [
    { title: t('exceptions.id'), field: 'id' },
    {
      title: t('freezes.scope'),
      render: e => describeScope(e.scope, t('common.everything')),
    },
    { title: t('exceptions.rules'), render: e => e.rules.join(', ') },
    { title: t('exceptions.ticket'), field: 'ticket' },
    { title: t('freezes.reason'), render: e => e.reason ?? '' },
    {
      title: t('exceptions.expires'),
      render: e =>
        `${new Date(e.expiresAt).toLocaleString()}${
          new Date(e.expiresAt) <= now ? ` (${t('exceptions.expired')})` : ''
        }`,
    },
    {
      title: '',
      render: e => (
        <GuardedButton
          size="small"
          permission={policyUpdatePermission}
          deniedReason={t('policy.saveDisabledPermission')}
          onClick={() => remove(e.id)}
          aria-label={`${t('common.delete')} ${e.id}`}
        >
          {t('common.delete')}
        </GuardedButton>
      ),
    },
  ];
  const input = (
    key: keyof typeof EMPTY_FORM,
    label: string,
    extra: Record<string, unknown> = {},
  ) => (
    <TextField
      id={`exception-${key}`}
      label={label}
      value={form[key]}
      onChange={e => setForm(f => ({ ...f, [key]: e.target.value }))}
      {...extra}
    />
  );

  return (
    <Content>
      <Typography paragraph>{t('exceptions.help')}</Typography>
      {outcome && (
        <Alert severity={outcome.ok ? 'success' : 'error'} role="alert">
          {outcome.message}
        </Alert>
      )}
      <Table<PolicyException>
        title={t('exceptions.title')}
        options={{ paging: false, search: false, padding: 'dense' }}
        columns={columns}
        data={exceptions.map(e => ({ ...e }))}
        emptyContent={
          <div style={{ padding: 16 }}>{t('exceptions.empty')}</div>
        }
      />
      <div
        style={{
          display: 'flex',
          gap: 16,
          flexWrap: 'wrap',
          alignItems: 'baseline',
          marginTop: 16,
        }}
      >
        {input('id', t('exceptions.id'), { required: true })}
        {input('rules', t('exceptions.rules'), {
          required: true,
          helperText: t('exceptions.rulesHelp'),
        })}
        {input('ticket', t('exceptions.ticket'), { required: true })}
        {input('reason', t('freezes.reason'))}
        {input('cluster', t('freezes.cluster'))}
        {input('namespace', t('freezes.namespace'))}
        {input('entityRef', t('freezes.entityRef'))}
        {input('expiresAt', t('exceptions.expires'), {
          type: 'datetime-local',
          required: true,
          InputLabelProps: { shrink: true },
          helperText: t('exceptions.expiresHelp'),
        })}
        <GuardedButton
          variant="contained"
          color="primary"
          permission={policyUpdatePermission}
          deniedReason={t('policy.saveDisabledPermission')}
          disabled={
            !form.id.trim() || !form.rules.trim() || !form.ticket.trim()
          }
          onClick={add}
        >
          {t('exceptions.add')}
        </GuardedButton>
      </div>
    </Content>
  );
};
