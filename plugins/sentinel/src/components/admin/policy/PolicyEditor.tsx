import { InfoCard } from '@backstage/core-components';
import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import {
  policyUpdatePermission,
  type ApiPolicyDocument,
  type ApiPolicyVersion,
} from '@internal/backstage-plugin-sentinel-common';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useEffect, useMemo, useState } from 'react';
import { sentinelApiRef } from '../../../api';
import { sentinelTranslationRef } from '../../../translation';
import { errorMessage, isConflict } from '../common/errorMessage';
import { GuardedButton } from '../common/GuardedButton';
import { DiffView } from './DiffView';
import { parsePolicyDraft, policyToYaml } from './policyDraft';

/**
 * The policy document as YAML, checked as the admin types (the server's own schema), saved
 * with the version it was read at: a newer version saved meanwhile is shown as a diff and the
 * draft is kept.
 */
export const PolicyEditor = ({
  loaded,
  latest,
  onSaved,
  onDraft,
}: {
  loaded: ApiPolicyDocument;
  latest?: ApiPolicyVersion;
  onSaved: (saved: ApiPolicyDocument) => void;
  /** The edited document as it is typed; null while it has problems. */
  onDraft: (draft: ApiPolicyDocument | null) => void;
}) => {
  const sentinel = useApi(sentinelApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const [base, setBase] = useState(loaded);
  const [text, setText] = useState(() => policyToYaml(loaded));
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<
    | { kind: 'saved'; version: number }
    | { kind: 'error'; message: string }
    | { kind: 'conflict'; newest: ApiPolicyVersion }
  >();
  const draft = useMemo(() => parsePolicyDraft(text), [text]);
  const unchanged = text === policyToYaml(base);

  // The page's dry run follows the draft, parsed once per edit.
  useEffect(() => {
    onDraft((draft.value as ApiPolicyDocument | undefined) ?? null);
  }, [draft, onDraft]);

  const save = async () => {
    if (!draft.value) return;
    setBusy(true);
    try {
      const saved = await sentinel.replacePolicy({
        ...(draft.value as ApiPolicyDocument),
        version: base.version,
      });
      setBase(saved);
      setText(policyToYaml(saved));
      setOutcome({ kind: 'saved', version: saved.version ?? 0 });
      onSaved(saved);
    } catch (e) {
      if (isConflict(e)) {
        const [newest] = (await sentinel.policyHistory(1)).items;
        // The draft stays; the next save replaces the version now in force.
        setBase(newest.document);
        setOutcome({ kind: 'conflict', newest });
      } else {
        setOutcome({ kind: 'error', message: errorMessage(e) });
      }
    } finally {
      setBusy(false);
    }
  };

  const when = latest
    ? t('policy.version', {
        version: String(latest.version),
        by: latest.changedBy,
        at: new Date(latest.changedAt).toLocaleString(),
      })
    : '';

  return (
    <InfoCard title={t('policy.editorTitle')} subheader={when}>
      <Typography variant="body2" paragraph>
        {t('policy.editorHelp')}
      </Typography>
      <TextField
        fullWidth
        multiline
        minRows={16}
        maxRows={40}
        variant="outlined"
        value={text}
        onChange={e => setText(e.target.value)}
        inputProps={{
          'aria-label': t('policy.editorAria'),
          spellCheck: false,
          style: { fontFamily: 'monospace', fontSize: 13 },
        }}
      />
      <div role="status" style={{ margin: '8px 0' }}>
        {draft.problems.length > 0 ? (
          <Alert severity="error">
            <strong>{t('policy.problems')}</strong>
            <ul style={{ margin: 0, paddingLeft: 20 }}>
              {draft.problems.map(p => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </Alert>
        ) : (
          <Typography variant="caption" color="textSecondary">
            {unchanged ? t('policy.unchanged') : t('policy.valid')}
          </Typography>
        )}
      </div>
      {outcome?.kind === 'saved' && (
        <Alert severity="success">
          {t('policy.saved', { version: String(outcome.version) })}
        </Alert>
      )}
      {outcome?.kind === 'error' && (
        <Alert severity="error" role="alert">
          {outcome.message}
        </Alert>
      )}
      {outcome?.kind === 'conflict' && (
        <Alert severity="warning" role="alert">
          {t('policy.conflict', {
            version: String(outcome.newest.version),
            by: outcome.newest.changedBy,
            at: new Date(outcome.newest.changedAt).toLocaleString(),
          })}
          <DiffView
            before={policyToYaml(outcome.newest.document)}
            after={text}
          />
        </Alert>
      )}
      <div style={{ marginTop: 8 }}>
        <GuardedButton
          variant="contained"
          color="primary"
          permission={policyUpdatePermission}
          deniedReason={t('policy.saveDisabledPermission')}
          blockedReason={
            draft.problems.length > 0
              ? t('policy.saveDisabledProblems')
              : undefined
          }
          disabled={busy || unchanged}
          onClick={save}
        >
          {t('common.save')}
        </GuardedButton>
      </div>
    </InfoCard>
  );
};
