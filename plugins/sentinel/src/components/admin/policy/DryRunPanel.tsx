import { InfoCard } from '@backstage/core-components';
import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import type {
  ApiPlanSubmission,
  ApiPolicyDocument,
  ApiPolicyEvaluation,
} from '@internal/backstage-plugin-sentinel-common';
import Button from '@material-ui/core/Button';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import { sentinelApiRef } from '../../../api';
import { sentinelTranslationRef } from '../../../translation';
import { errorMessage } from '../common/errorMessage';
import { parseYaml } from './policyDraft';

const SAMPLE_PLAN = `source: InfraMind
decisions:
  - verb: scale
    target: { cluster: demo, namespace: shop, kind: Deployment, name: cart }
    params: { replicas: 5 }
    confidence: 0.9
    rationale: p95 latency above target for 30 minutes
`;

const SEVERITY = {
  allow: 'success',
  require_approval: 'warning',
  deny: 'error',
} as const;

/** A sample plan evaluated against the draft document (not the one in force). */
export const DryRunPanel = ({
  draft,
}: {
  /** The editor's document; undefined while it has problems. */
  draft?: ApiPolicyDocument;
}) => {
  const sentinel = useApi(sentinelApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const [text, setText] = useState(SAMPLE_PLAN);
  const [result, setResult] = useState<
    | { plan: ApiPlanSubmission; evaluation: ApiPolicyEvaluation }
    | { error: string }
  >();
  const [busy, setBusy] = useState(false);

  const run = async () => {
    const plan = parseYaml(text);
    if (plan.problems.length > 0) {
      setResult({ error: plan.problems.join('\n') });
      return;
    }
    setBusy(true);
    try {
      const submission = plan.value as ApiPlanSubmission;
      setResult({
        plan: submission,
        evaluation: await sentinel.dryRunPolicy(draft!, submission),
      });
    } catch (e) {
      setResult({ error: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <InfoCard title={t('policy.dryRunTitle')}>
      <Typography variant="body2" paragraph>
        {t('policy.dryRunHelp')}
      </Typography>
      <TextField
        fullWidth
        multiline
        minRows={6}
        variant="outlined"
        value={text}
        onChange={e => setText(e.target.value)}
        inputProps={{
          'aria-label': t('policy.dryRunAria'),
          spellCheck: false,
          style: { fontFamily: 'monospace', fontSize: 13 },
        }}
      />
      <div style={{ margin: '8px 0' }}>
        <Button
          variant="outlined"
          color="primary"
          disabled={busy || !draft}
          onClick={run}
        >
          {t('policy.dryRun')}
        </Button>
      </div>
      <div role="status">
        {result && 'error' in result && (
          <Alert severity="error" style={{ whiteSpace: 'pre-wrap' }}>
            {result.error}
          </Alert>
        )}
        {result && 'evaluation' in result && (
          <Alert severity={SEVERITY[result.evaluation.outcome]}>
            <strong>
              {t('policy.dryRunOutcome', {
                outcome: result.evaluation.outcome,
              })}
            </strong>
            <ul style={{ margin: 0, paddingLeft: 20 }}>
              {result.evaluation.decisions.map(d => {
                const decision = result.plan.decisions[d.index];
                return (
                  <li key={d.index}>
                    {`#${d.index} ${decision?.verb ?? ''} ${
                      decision?.target.namespace ?? ''
                    }/${decision?.target.name ?? ''}: ${d.verdict.outcome}`}
                    {d.verdict.reasons.length === 0
                      ? ` (${t('policy.dryRunNoReasons')})`
                      : d.verdict.reasons.map(r => (
                          <div key={r.rule}>{`${r.rule}: ${r.message}`}</div>
                        ))}
                  </li>
                );
              })}
            </ul>
          </Alert>
        )}
      </div>
    </InfoCard>
  );
};
