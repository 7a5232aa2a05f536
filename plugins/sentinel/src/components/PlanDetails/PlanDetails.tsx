import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { ApiPlan } from '@internal/backstage-plugin-sentinel-common';
import Box from '@material-ui/core/Box';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import { sentinelTranslationRef } from '../../translation';

type Decision = ApiPlan['decisions'][number];

const json = (value: unknown) =>
  value === null || value === undefined ? '—' : JSON.stringify(value);

/** One decision: what it changes, from what to what, and why policy said what it said. */
const DecisionView = ({ decision }: { decision: Decision }) => {
  const { t } = useTranslationRef(sentinelTranslationRef);
  const { target } = decision;
  return (
    <Box mb={2}>
      <Typography variant="subtitle2">
        {decision.index + 1}. {decision.verb} {target.cluster}/
        {target.namespace}/{target.kind}/{target.name}: {decision.status}
      </Typography>
      <Typography variant="body2" component="div">
        {t('planDetails.params', {
          params: <code>{json(decision.params)}</code>,
        })}
      </Typography>
      {(decision.before || decision.after) && (
        <Typography variant="body2" component="div">
          {t('planDetails.beforeAfter', {
            before: <code>{json(decision.before)}</code>,
            after: <code>{json(decision.after)}</code>,
          })}
        </Typography>
      )}
      {decision.rationale && (
        <Typography variant="body2">
          {t('planDetails.why', { rationale: decision.rationale })}
        </Typography>
      )}
      {decision.verdict && (
        <Box mt={0.5}>
          <Typography variant="body2">
            {t('planDetails.policy', {
              outcome: <strong>{decision.verdict.outcome}</strong>,
            })}
          </Typography>
          <List
            dense
            disablePadding
            aria-label={t('planDetails.verdictAria', {
              number: String(decision.index + 1),
            })}
          >
            {decision.verdict.reasons.map(reason => (
              <ListItem key={`${reason.rule}-${reason.message}`} disableGutters>
                <ListItemText
                  primary={reason.message}
                  secondary={t('planDetails.rule', { rule: reason.rule })}
                />
              </ListItem>
            ))}
          </List>
        </Box>
      )}
      {decision.error && (
        <Typography variant="body2" color="error">
          {decision.error}
        </Typography>
      )}
    </Box>
  );
};

/** A plan unfolded: its decisions with their verdicts, who approved, and its timeline. */
export const PlanDetails = ({ plan }: { plan: ApiPlan }) => {
  const { t } = useTranslationRef(sentinelTranslationRef);
  return (
    <Box p={2}>
      <Typography variant="h6" component="h3">
        {t('planDetails.decisions')}
      </Typography>
      {plan.decisions.map(d => (
        <DecisionView key={d.index} decision={d} />
      ))}
      <Typography variant="h6" component="h3">
        {t('planDetails.approvals', {
          approved: String(plan.approvals.length),
          required: String(plan.approvalsRequired),
        })}
      </Typography>
      {plan.approvals.length === 0 ? (
        <Typography variant="body2">{t('planDetails.noApprovals')}</Typography>
      ) : (
        <List dense aria-label={t('planDetails.approvalsAria')}>
          {plan.approvals.map(a => (
            <ListItem key={a.by} disableGutters>
              <ListItemText
                primary={`${a.by}${a.comment ? `: ${a.comment}` : ''}`}
                secondary={new Date(a.at).toLocaleString()}
              />
            </ListItem>
          ))}
        </List>
      )}
      <Typography variant="h6" component="h3">
        {t('planDetails.timeline')}
      </Typography>
      <List dense aria-label={t('planDetails.timelineAria')}>
        {plan.timeline.map((event, i) => (
          <ListItem key={i} disableGutters>
            <ListItemText
              primary={`${event.status}: ${event.message}`}
              secondary={`${new Date(event.at).toLocaleString()} · ${
                event.actor
              }`}
            />
          </ListItem>
        ))}
      </List>
    </Box>
  );
};
