import {
  Content,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import type { ApiPolicyDocument } from '@internal/backstage-plugin-sentinel-common';
import Grid from '@material-ui/core/Grid';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { sentinelApiRef } from '../../../api';
import { DryRunPanel } from './DryRunPanel';
import { PolicyEditor } from './PolicyEditor';
import { PolicyHistory } from './PolicyHistory';

/** The admin page's policy section: editor, dry run against the draft, history. */
export const PolicySection = () => {
  const sentinel = useApi(sentinelApiRef);
  const { value, loading, error, retry } = useAsyncRetry(async () => {
    const [policy, history] = await Promise.all([
      sentinel.getPolicy(),
      sentinel.policyHistory(50),
    ]);
    return { policy, history: history.items };
  }, [sentinel]);
  // Undefined until the editor reports its draft; null while the draft has problems.
  const [draft, setDraft] = useState<ApiPolicyDocument | null>();

  if (error) return <ResponseErrorPanel error={error} />;
  if (loading && !value) return <Progress />;
  if (!value) return null;
  return (
    <Content>
      <Grid container spacing={3}>
        <Grid item xs={12} lg={7}>
          <PolicyEditor
            loaded={value.policy}
            latest={value.history[0]}
            onSaved={retry}
            onDraft={setDraft}
          />
        </Grid>
        <Grid item xs={12} lg={5}>
          <DryRunPanel
            draft={draft === undefined ? value.policy : draft ?? undefined}
          />
        </Grid>
        <Grid item xs={12}>
          <PolicyHistory versions={value.history} />
        </Grid>
      </Grid>
    </Content>
  );
};
