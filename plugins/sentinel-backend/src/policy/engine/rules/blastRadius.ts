import { changesIn, inCluster } from '../indexes/changeIndex';
import { DEFAULT_WINDOW_MINUTES, MINUTE_MS } from '../indexes/changeWindows';
import { managedIn } from '../indexes/managedIndex';
import { plural, roundTo } from '../messages';
import type { RuleChecker, Scratch } from './types';

interface RecentlyChanged {
  workloads: Set<string>;
  /** How many of them are not (or no longer) managed. */
  unmanaged: number;
  /** [changed, total] up to and including each decision, by index. */
  upTo: Map<number, [changed: number, total: number]>;
}

/** Workloads changed recently, by group (cluster or `cluster/namespace`), then window. */
const changedByGroup: Scratch<Map<string, Map<number, RecentlyChanged>>> = {
  create: () => new Map(),
};

/**
 * At most `maxPercent` of the managed workloads of a namespace or cluster changed within the
 * window, counting this plan's targets there up to and including this decision.
 */
export const blastRadius: RuleChecker<'blast_radius'> = (
  rule,
  facts,
  evaluation,
  findings,
) => {
  const windowMinutes = rule.windowMinutes ?? DEFAULT_WINDOW_MINUTES;
  const windowMs = windowMinutes * MINUTE_MS;
  const perNamespace = rule.per === 'namespace';
  const group = perNamespace ? facts.namespaceKey : facts.cluster;
  const managed = managedIn(evaluation.context.managedWorkloads, group);
  const changedCache = evaluation.scratch(changedByGroup);
  let byWindow = changedCache.get(group);
  if (!byWindow) {
    byWindow = new Map();
    changedCache.set(group, byWindow);
  }
  let recent = byWindow.get(windowMs);
  if (!recent) {
    const changes = evaluation.changes.recent();
    const workloads = new Set<string>();
    const pool = perNamespace ? changesIn(changes, group) : changes.all;
    const [from, to] = evaluation.changes.range(pool, windowMs);
    for (let i = from; i < to; i++) {
      if (perNamespace || inCluster(pool[i], group)) {
        workloads.add(pool[i].workload);
      }
    }
    // Workloads changed but not (or no longer) managed still count as workloads there.
    let unmanagedRecently = 0;
    for (const workload of workloads) {
      if (!managed.has(workload)) unmanagedRecently += 1;
    }
    recent = { workloads, unmanaged: unmanagedRecently, upTo: new Map() };
    byWindow.set(windowMs, recent);
  }
  let counts = recent.upTo.get(facts.index);
  if (!counts) {
    // This plan's targets there, up to and including this decision.
    const recentlyChanged = recent.workloads;
    let unmanaged = recent.unmanaged;
    let changedNow = recentlyChanged.size;
    const added: string[] = [];
    for (let j = 0; j <= facts.index; j++) {
      const other = evaluation.decisions[j];
      if (
        (perNamespace ? other.namespaceKey : other.cluster) === group &&
        !recentlyChanged.has(other.workload) &&
        !added.includes(other.workload)
      ) {
        added.push(other.workload);
        changedNow += 1;
        if (!managed.has(other.workload)) unmanaged += 1;
      }
    }
    counts = [changedNow, managed.size + unmanaged];
    recent.upTo.set(facts.index, counts);
  }
  const [changed, total] = counts;
  // One workload may always change: otherwise a namespace of one or two workloads could never
  // change at all (like a rolling update's maxUnavailable, rounded but never to zero).
  const allowed = Math.max(1, Math.floor((rule.maxPercent * total) / 100));
  evaluation.used(rule, changed / allowed);
  if (changed <= allowed) {
    return;
  }
  const where = perNamespace
    ? `namespace ${facts.namespace} of cluster ${facts.cluster}`
    : `cluster ${facts.cluster}`;
  findings.push({
    outcome: 'deny',
    rule: rule.id,
    message: `This would make ${changed} of the ${plural(
      total,
      'managed workload',
    )} in ${where} changed within ${plural(windowMinutes, 'minute')} (${roundTo(
      (changed * 100) / total,
      1,
    )}%); rule ${rule.id} allows at most ${
      rule.maxPercent
    }% (${allowed}). Spread the changes over time or split the plan.`,
  });
};
