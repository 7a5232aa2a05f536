import { InfoCard } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { ApiPolicyVersion } from '@internal/backstage-plugin-sentinel-common';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import { sentinelTranslationRef } from '../../../translation';
import { DiffView } from './DiffView';
import { policyToYaml } from './policyDraft';

/** Every saved version, who saved it and when, and the diff between any two. */
export const PolicyHistory = ({
  versions,
}: {
  /** Newest first. */
  versions: ApiPolicyVersion[];
}) => {
  const { t } = useTranslationRef(sentinelTranslationRef);
  const [picked, setPicked] = useState<{ from?: number; to?: number }>({});
  const to = picked.to ?? versions[0]?.version;
  const from = picked.from ?? versions[1]?.version;
  const documentOf = (version?: number) =>
    versions.find(v => v.version === version)?.document;

  const select = (which: 'from' | 'to', label: string, value?: number) => (
    <TextField
      id={`policy-history-${which}`}
      select
      label={label}
      value={value ?? ''}
      onChange={e =>
        setPicked(p => ({ ...p, [which]: Number(e.target.value) }))
      }
      style={{ minWidth: 280 }}
    >
      {versions.map(v => (
        <MenuItem key={v.version} value={v.version}>
          {`v${v.version} · ${v.changedBy} · ${new Date(
            v.changedAt,
          ).toLocaleString()}`}
        </MenuItem>
      ))}
    </TextField>
  );

  const before = documentOf(from);
  const after = documentOf(to);
  return (
    <InfoCard title={t('policy.historyTitle')}>
      {versions.length < 2 ? (
        <Typography>{t('policy.historyEmpty')}</Typography>
      ) : (
        <>
          <div style={{ display: 'flex', gap: 16, flexWrap: 'wrap' }}>
            {select('from', t('policy.historyFrom'), from)}
            {select('to', t('policy.historyTo'), to)}
          </div>
          {before && after && policyToYaml(before) === policyToYaml(after) && (
            <Typography>{t('policy.noDifference')}</Typography>
          )}
          {before && after && policyToYaml(before) !== policyToYaml(after) && (
            <DiffView
              before={policyToYaml(before)}
              after={policyToYaml(after)}
            />
          )}
        </>
      )}
    </InfoCard>
  );
};
