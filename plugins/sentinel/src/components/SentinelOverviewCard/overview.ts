import type {
  ApiFreezeStatus,
  ApiPlan,
  ApiWorkload,
} from '@internal/backstage-plugin-sentinel-common';
import type { SentinelTranslate } from '../../translation';

/** The four facts of the overview card, in the words of `t`. Pure. */
export function overview(
  input: {
    freezes: readonly ApiFreezeStatus[];
    pending: readonly ApiPlan[];
    workloads: readonly ApiWorkload[];
    lastChange: ApiPlan | undefined;
    now: Date;
  },
  t: SentinelTranslate,
): {
  freeze: string;
  rollouts: string;
  approvals: string;
  lastChange: string;
} {
  const frozen = input.freezes.find(s => s.frozen && s.window)?.window;
  const rolling = input.workloads.filter(w => w.rollout);
  const last = input.lastChange;
  return {
    freeze: frozen
      ? t('overview.frozen', {
          until: new Date(frozen.activeUntil).toLocaleString(),
          name: frozen.name,
        })
      : t('overview.notFrozen'),
    rollouts:
      rolling.length === 0
        ? t('overview.noRollouts')
        : rolling
            .map(w => `${w.name}: ${w.rollout!.phase}, ${w.rollout!.weight} %`)
            .join('; '),
    approvals:
      input.pending.length === 0
        ? t('overview.noApprovals')
        : t('overview.waiting', { count: input.pending.length }),
    lastChange: last
      ? `${last.decisions
          .map(d => `${d.verb} ${d.target.name}`)
          .join(', ')}, ${new Date(last.updatedAt).toLocaleString()}`
      : t('overview.noChange'),
  };
}
