import { InfoCard } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { ApiFreezeCalendar } from '@internal/backstage-plugin-sentinel-common';
import { makeStyles } from '@material-ui/core/styles';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { sentinelTranslationRef } from '../../../translation';
import { describeScope } from '../common/describeScope';
import { calendarDays } from './calendarDays';

const useStyles = makeStyles(theme => ({
  grid: {
    display: 'grid',
    gridTemplateColumns: 'repeat(7, minmax(0, 1fr))',
    gap: theme.spacing(0.5),
  },
  weekday: {
    textAlign: 'center',
    color: theme.palette.text.secondary,
  },
  day: {
    minHeight: 72,
    padding: theme.spacing(0.5),
    border: `1px solid ${theme.palette.divider}`,
    borderRadius: 4,
  },
  today: { borderColor: theme.palette.primary.main, borderWidth: 2 },
  frozen: {
    display: 'block',
    marginTop: 2,
    padding: '0 4px',
    borderRadius: 3,
    fontSize: 11,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    color: theme.palette.warning.contrastText,
    background: theme.palette.warning.main,
  },
}));

type Occurrence = ApiFreezeCalendar['items'][number];

const time = (iso: string) =>
  new Date(iso).toLocaleString(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });

/** Four weeks from this Monday, each day showing the freezes that cover part of it. */
export const FreezeCalendar = ({
  calendar,
  first,
  now,
}: {
  calendar: ApiFreezeCalendar;
  /** The first day shown (a Monday, local midnight). */
  first: Date;
  now: Date;
}) => {
  const classes = useStyles();
  const { t } = useTranslationRef(sentinelTranslationRef);
  const days = calendarDays<Occurrence>(calendar.items, first, 28, now);
  return (
    <InfoCard title={t('freezes.calendarTitle')}>
      <div
        className={classes.grid}
        role="grid"
        aria-label={t('freezes.calendarAria')}
      >
        {days.slice(0, 7).map(d => (
          <Typography
            key={`h${d.date.getDay()}`}
            variant="caption"
            className={classes.weekday}
          >
            {d.date.toLocaleDateString(undefined, { weekday: 'short' })}
          </Typography>
        ))}
        {days.map(day => (
          <div
            key={day.date.toISOString()}
            role="gridcell"
            aria-label={`${day.date.toDateString()}: ${
              day.occurrences.map(o => o.name).join(', ') || '-'
            }`}
            className={`${classes.day} ${day.today ? classes.today : ''}`}
          >
            <Typography variant="caption">{day.date.getDate()}</Typography>
            {day.occurrences.map(o => (
              <Tooltip
                key={`${o.windowId}${o.start}`}
                title={`${o.name}: ${time(o.start)} – ${time(
                  o.end,
                )} · ${describeScope(o.scope, t('common.everything'))} · ${
                  o.reason
                }`}
              >
                <span className={classes.frozen}>{o.name}</span>
              </Tooltip>
            ))}
          </div>
        ))}
      </div>
    </InfoCard>
  );
};
