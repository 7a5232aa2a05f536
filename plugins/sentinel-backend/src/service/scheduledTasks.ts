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
import type { RolloutStore } from '../rollouts/store/RolloutStore';
import type { createFleetGauges } from './fleetGauges';

/**
 * Sentinel's periodic work, on the scheduler (one replica at a time, by its lock): approvals
 * that waited too long expire, owners hear of freezes starting on their services; and, on
 * every replica, the gauges of work in flight are read.
 */
export async function scheduleTasks(deps: {
  scheduler: SchedulerService;
  plans: PlanStore;
  policies: PolicyService;
  ownership: WorkloadOwnership;
  sentNotices: SentNoticeStore;
  notifications: NotificationService;
  metrics: PipelineMetrics;
  rollouts: RolloutStore;
  fleetGauges: ReturnType<typeof createFleetGauges>;
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
  // On every replica (local): each reports what the database says, so none goes stale.
  await scheduler.scheduleTask({
    id: 'sentinel-fleet-gauges',
    scope: 'local',
    frequency: { seconds: 15 },
    timeout: { seconds: 30 },
    fn: async () => {
      const now = new Date();
      const [active, duePlans, dueRollouts, rollouts] = await Promise.all([
        deps.plans.countActive(),
        deps.plans.queue.countDue(now),
        deps.rollouts.queue.countDue(now),
        deps.rollouts.inFlight(),
      ]);
      deps.metrics.setQueueDepth(active);
      deps.fleetGauges.update({
        due: { plans: duePlans, rollouts: dueRollouts },
        rollouts,
      });
    },
  });
}
