import type { LoggerService } from '@backstage/backend-plugin-api';
import { toError } from '@backstage/errors';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { SentNoticeStore } from './SentNoticeStore';
import type { WorkloadOwnership } from '../inventory/WorkloadCatalogIndex';
import { freezeOccurrences } from '../policy/engine/freezeOccurrences';
import type { PolicyService } from '../policy/PolicyService';
import { freezeStartNotices } from './notices';

/**
 * How far back a check looks for intervals that started: missed checks (a restart, a busy
 * scheduler) lose nothing within it, and the sent-notice log keeps each one to a single send.
 */
export const FREEZE_START_LOOKBACK_MS = 15 * 60_000;

/**
 * Tells the owners of the catalog entities whose workloads a freeze window covers that one of
 * its intervals started: every interval that began within the lookback and is still in force,
 * once per owner group, whichever replica checks and however often (SentNoticeStore). Run
 * every minute by the scheduler. Returns how many notifications it sent.
 */
export async function notifyFreezeStarts(options: {
  policies: Pick<PolicyService, 'state'>;
  ownership: WorkloadOwnership;
  sent: SentNoticeStore;
  notifications: NotificationService;
  logger: LoggerService;
  now: Date;
  lookbackMs?: number;
}): Promise<number> {
  const { now, sent } = options;
  const from = new Date(
    now.getTime() - (options.lookbackMs ?? FREEZE_START_LOOKBACK_MS),
  );
  const { calendar } = await options.policies.state();
  const started = freezeOccurrences(
    calendar,
    from,
    new Date(now.getTime() + 1),
  ).filter(o => o.start >= from && o.start <= now && o.end > now);
  let count = 0;
  if (started.length) {
    const catalog = await options.ownership.snapshot();
    for (const { key, expiresAt, notice } of freezeStartNotices(
      started,
      catalog,
    )) {
      if (!(await sent.claim(key, now, expiresAt))) continue;
      try {
        await options.notifications.send(notice);
        count += 1;
      } catch (error) {
        await sent.release(key);
        options.logger.warn(
          `Sentinel could not send notification ${key}; the next check tries again`,
          toError(error),
        );
      }
    }
  }
  await sent.prune(now);
  return count;
}
