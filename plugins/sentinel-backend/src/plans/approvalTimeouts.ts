import type { PlanStore } from './store/PlanStore';
import type { PipelineMetrics } from './metrics';

/**
 * Rejects plans that waited for approval longer than `timeoutMs`, saying so on their
 * timeline; nothing of them was applied. Run periodically by one replica at a time (the
 * scheduler). Returns how many it rejected.
 */
export async function expireApprovals(options: {
  store: PlanStore;
  timeoutMs: number;
  now: Date;
  metrics?: PipelineMetrics;
}): Promise<number> {
  const { store, timeoutMs, now } = options;
  const stale = await store.listStalePendingApproval(
    new Date(now.getTime() - timeoutMs),
  );
  const hours = Math.round(timeoutMs / 360_000) / 10;
  let rejected = 0;
  for (const id of stale) {
    const moved = await store.transition(id, {
      from: ['pending_approval'],
      to: 'rejected',
      actor: 'sentinel',
      message: `no approval within ${hours} h; nothing was applied`,
      at: now,
    });
    if (moved) {
      rejected += 1;
      // Waited at least the timeout; a replica that was down meanwhile makes it longer, but
      // the plan's submission time is not at hand here and the bucket is the same.
      options.metrics?.finished({
        status: 'rejected',
        mode: 'enforce',
        seconds: timeoutMs / 1000,
        path: 'approval',
      });
      options.metrics?.approvalAnswered('expired', timeoutMs / 1000);
    }
  }
  return rejected;
}
