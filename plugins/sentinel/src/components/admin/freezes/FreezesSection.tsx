import {
  Content,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Grid from '@material-ui/core/Grid';
import { useMemo } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { sentinelApiRef } from '../../../api';
import { startOfWeek } from './calendarDays';
import { FreezeCalendar } from './FreezeCalendar';
import { FreezeWindowForm } from './FreezeWindowForm';
import { FreezeWindowList } from './FreezeWindowList';
import { OverridesPanel } from './OverridesPanel';

const DAY_MS = 86_400_000;

/** The admin page's freeze section: calendar, windows, break-glass overrides. */
export const FreezesSection = () => {
  const sentinel = useApi(sentinelApiRef);
  const now = useMemo(() => new Date(), []);
  const first = useMemo(() => startOfWeek(now), [now]);
  const { value, loading, error, retry } = useAsyncRetry(async () => {
    const [windows, calendar, overrides] = await Promise.all([
      sentinel.listFreezeWindows(),
      sentinel.freezeCalendar({
        from: first.toISOString(),
        // 28 days and one more hour, so a daylight-saving change never cuts off the last day.
        to: new Date(first.getTime() + 28 * DAY_MS + 3_600_000).toISOString(),
      }),
      sentinel.listFreezeOverrides(),
    ]);
    return { windows: windows.items, calendar, overrides: overrides.items };
  }, [sentinel, first]);

  if (error) return <ResponseErrorPanel error={error} />;
  if (loading && !value) return <Progress />;
  if (!value) return null;
  return (
    <Content>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <FreezeCalendar calendar={value.calendar} first={first} now={now} />
        </Grid>
        <Grid item xs={12}>
          <FreezeWindowForm onCreated={retry} />
        </Grid>
        <Grid item xs={12}>
          <FreezeWindowList windows={value.windows} onChanged={retry} />
        </Grid>
        <Grid item xs={12}>
          <OverridesPanel overrides={value.overrides} onChanged={retry} />
        </Grid>
      </Grid>
    </Content>
  );
};
