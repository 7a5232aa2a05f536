import type {
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { WorkloadOwnership } from '../inventory/WorkloadCatalogIndex';
import { notifyFreezeStarts } from '../live/freezeStarts';
import type { SentNoticeStore } from '../live/SentNoticeStore';
import { expireApprovals } from '../plans/approvalTimeouts';
import type { PipelineMetrics } from '../plans/metrics';
import type { PlanStore } from '../plans/store/PlanStore';
import type { PolicyService } from '../policy/PolicyService';

/**
 * Sentinel's periodic work, on the scheduler (one replica at a time, by its lock): approvals
 * that waited too long expire, and owners hear of freezes starting on their services.
 */
export async function scheduleTasks(deps: {
  scheduler: SchedulerService;
  plans: PlanStore;
  policies: PolicyService;
  ownership: WorkloadOwnership;
  sentNotices: SentNoticeStore;
  notifications: NotificationService;
  metrics: PipelineMetrics;
  approvalTimeoutMs: number;
  logger: LoggerService;
}): Promise<void> {
  const { scheduler } = deps;
  await scheduler.scheduleTask({
    id: 'sentinel-approval-timeouts',
    frequency: { minutes: 1 },
    timeout: { minutes: 1 },
    fn: async () => {
      await expireApprovals({
        store: deps.plans,
        timeoutMs: deps.approvalTimeoutMs,
        now: new Date(),
        metrics: deps.metrics,
      });
    },
  });
  await scheduler.scheduleTask({
    id: 'sentinel-freeze-notices',
    frequency: { minutes: 1 },
    timeout: { minutes: 1 },
    fn: async () => {
      await notifyFreezeStarts({
        policies: deps.policies,
        ownership: deps.ownership,
        sent: deps.sentNotices,
        notifications: deps.notifications,
        logger: deps.logger,
        now: new Date(),
      });
    },
  });
}
