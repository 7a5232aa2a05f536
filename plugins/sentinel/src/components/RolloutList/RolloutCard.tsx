import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  rolloutManagePermission,
  type ApiRollout,
  type RolloutAction,
} from '@internal/backstage-plugin-sentinel-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import LinearProgress from '@material-ui/core/LinearProgress';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { sentinelApiRef } from '../../api';
import { sentinelTranslationRef } from '../../translation';
import { PermittedActions } from '../common/PermittedActions';
import { metricSeries, sparkline } from './metricSeries';

/** Which actions a rollout in this phase takes (the server decides again). */
const ACTIONS: Record<string, RolloutAction[]> = {
  pending: ['abort'],
  progressing: ['pause', 'promote', 'abort'],
  paused: ['resume', 'promote', 'abort'],
  promoting: ['abort'],
};

/** One rollout in flight: where it is, how healthy, its metrics over time, and the controls. */
export const RolloutCard = ({
  rollout,
  onChanged,
}: {
  rollout: ApiRollout;
  onChanged: () => void;
}) => {
  const sentinel = useApi(sentinelApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const { allowed, loading } = usePermission({
    permission: rolloutManagePermission,
    resourceRef: rollout.planId,
  });
  const [error, setError] = useState<string>();
  const { value: detail } = useAsync(
    () => sentinel.getRollout(rollout.id),
    [sentinel, rollout.id, rollout.updatedAt],
  );
  const whoMay = t('rollouts.whoMay');

  const act = async (action: RolloutAction) => {
    setError(undefined);
    try {
      await sentinel.actOnRollout(rollout.id, action);
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const { target } = rollout;
  const heading = {
    target: `${target.namespace}/${target.name}`,
    image: rollout.candidate.image ?? '',
    phase: <strong>{rollout.phase}</strong>,
  };
  return (
    <Paper variant="outlined" style={{ padding: 16 }}>
      <Typography variant="subtitle1">
        {rollout.strategy === 'canary'
          ? t('rollouts.canary', heading)
          : t('rollouts.blueGreen', heading)}
      </Typography>
      <Typography variant="body2" color="textSecondary">
        {t('rollouts.step', {
          step: String(Math.min(rollout.currentStep + 1, rollout.steps.length)),
          steps: String(rollout.steps.length),
          reason: rollout.phaseReason,
        })}
      </Typography>
      <Box display="flex" alignItems="center" my={1} style={{ gap: 8 }}>
        <Box flexGrow={1}>
          <LinearProgress
            variant="determinate"
            value={rollout.weight}
            aria-label={t('rollouts.weightAria', {
              weight: String(rollout.weight),
            })}
          />
        </Box>
        <Typography variant="body2">
          {t('rollouts.weight', { weight: String(rollout.weight) })}
        </Typography>
      </Box>
      <Typography variant="body2">
        {rollout.health
          ? t('rollouts.health', {
              score: String(Math.round(rollout.health.score)),
              verdict: rollout.health.verdict,
            })
          : t('rollouts.healthNone')}
      </Typography>
      {detail?.analyses && detail.analyses.length > 0 && (
        <Box display="flex" flexWrap="wrap" style={{ gap: 16 }} my={1}>
          {metricSeries(detail.analyses).map(series => (
            <Box key={series.name}>
              <Typography variant="caption">
                {series.name} ({series.lastVerdict})
              </Typography>
              <svg
                width={160}
                height={36}
                role="img"
                aria-label={t('rollouts.seriesAria', {
                  metric: series.name,
                  intervals: String(series.values.length),
                })}
              >
                <polyline
                  fill="none"
                  stroke="currentColor"
                  strokeWidth={1.5}
                  points={sparkline(series.values, 160, 32)}
                />
              </svg>
            </Box>
          ))}
        </Box>
      )}
      <Box display="flex" style={{ gap: 8 }} mt={1}>
        {(ACTIONS[rollout.phase] ?? []).length > 0 && (
          <PermittedActions allowed={allowed} loading={loading} whoMay={whoMay}>
            {(ACTIONS[rollout.phase] ?? []).map(action => (
              <Button
                key={action}
                size="small"
                variant={action === 'abort' ? 'outlined' : 'contained'}
                color={action === 'abort' ? 'secondary' : 'primary'}
                disabled={loading}
                onClick={() => act(action)}
                aria-label={t(`rollouts.actionAria.${action}`, {
                  name: target.name,
                })}
              >
                {t(`rollouts.actions.${action}`)}
              </Button>
            ))}
          </PermittedActions>
        )}
      </Box>
      {error && (
        <Typography color="error" role="alert">
          {error}
        </Typography>
      )}
    </Paper>
  );
};
