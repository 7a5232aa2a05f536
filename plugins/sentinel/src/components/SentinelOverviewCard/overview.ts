import type {
  ApiFreezeStatus,
  ApiPlan,
  ApiWorkload,
} from '@internal/backstage-plugin-sentinel-common';

/** The four facts of the overview card, in words. Pure. */
export function overview(input: {
  freezes: readonly ApiFreezeStatus[];
  pending: readonly ApiPlan[];
  workloads: readonly ApiWorkload[];
  lastChange: ApiPlan | undefined;
  now: Date;
}): {
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
      ? `Frozen until ${new Date(frozen.activeUntil).toLocaleString()}: ${
          frozen.name
        }`
      : 'Not frozen',
    rollouts:
      rolling.length === 0
        ? 'No rollout in flight'
        : rolling
            .map(w => `${w.name}: ${w.rollout!.phase}, ${w.rollout!.weight} %`)
            .join('; '),
    approvals:
      input.pending.length === 0
        ? 'No plan waits for approval'
        : `${input.pending.length} plan${
            input.pending.length === 1 ? '' : 's'
          } wait${input.pending.length === 1 ? 's' : ''} for approval`,
    lastChange: last
      ? `${last.decisions
          .map(d => `${d.verb} ${d.target.name}`)
          .join(', ')}, ${new Date(last.updatedAt).toLocaleString()}`
      : 'No change applied yet',
  };
}
