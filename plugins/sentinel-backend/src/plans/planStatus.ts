import type {
  PlanStatus,
  Verdict,
} from '@internal/backstage-plugin-sentinel-common';

/**
 * Where a plan goes once every decision has a verdict: all or nothing, so one denied decision
 * rejects the whole plan, naming it. Pure.
 */
export function statusAfterVerdicts(verdicts: readonly Verdict[]): {
  status: Extract<PlanStatus, 'rejected' | 'pending_approval' | 'approved'>;
  message: string;
} {
  const denied = verdicts
    .map((v, index) => ({ v, index }))
    .filter(({ v }) => v.outcome === 'deny');
  if (denied.length > 0) {
    const why = denied
      .map(
        ({ v, index }) =>
          `decision ${index}: ${v.reasons.map(r => r.message).join(' ')}`,
      )
      .join('; ');
    return { status: 'rejected', message: `rejected by policy: ${why}` };
  }
  const waiting = verdicts
    .map((v, index) => ({ v, index }))
    .filter(({ v }) => v.outcome === 'require_approval');
  if (waiting.length > 0) {
    return {
      status: 'pending_approval',
      message: `waiting for approval of decision(s) ${waiting
        .map(w => w.index)
        .join(', ')}: ${waiting
        .flatMap(w => w.v.reasons.map(r => r.message))
        .join(' ')}`,
    };
  }
  return { status: 'approved', message: 'allowed by policy' };
}
