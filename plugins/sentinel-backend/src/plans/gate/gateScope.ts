import {
  stringifyWorkloadRef,
  type PlanTarget,
  type PolicyRule,
} from '@internal/backstage-plugin-sentinel-common';
import { scopeMatches } from '../../policy/engine/scope';

/** The schema's default window of rate_limit and blast_radius rules. */
const DEFAULT_WINDOW_MINUTES = 60;

/** Which changes the gate must count for a decision, and which locks make the count safe. */
export interface GateScope {
  /**
   * One key per group of changes a limit counts in (the workload, its namespace, its
   * cluster, a global rule's scope). Two gates whose counts could affect each other share a
   * key, so they run one after the other; others run side by side. Empty when no limit
   * counts this decision (one change per workload in flight is the database's to enforce).
   */
  lockKeys: string[];
  /** The applied changes the engine needs; undefined when no counting rule applies. */
  ledger:
    | {
        since: Date;
        cluster?: string;
        namespace?: string;
        workload?: PlanTarget;
      }
    | undefined;
}

/**
 * The locks and the ledger query for the decision on `target`, from the rate limits and
 * blast radius rules that apply to it. Pure.
 */
export function gateScope(
  rules: readonly PolicyRule[],
  decision: {
    target: PlanTarget;
    entityRef: string | null;
    labels: Readonly<Record<string, string>> | undefined;
  },
  now: Date,
): GateScope {
  const { target } = decision;
  const workload = stringifyWorkloadRef(target);
  const namespaceKey = `${target.cluster}/${target.namespace}`;
  const keys = new Set<string>();
  let windowMinutes = 0;
  // How widely the ledger must be read: 0 workload, 1 namespace, 2 cluster, 3 everywhere.
  let breadth = 0;
  const facts = {
    cluster: target.cluster,
    namespace: target.namespace,
    entityRef: decision.entityRef,
    labels: decision.labels,
  };
  for (const rule of rules) {
    if (rule.kind !== 'rate_limit' && rule.kind !== 'blast_radius') continue;
    if (!scopeMatches(rule.scope, facts)) continue;
    windowMinutes = Math.max(
      windowMinutes,
      rule.windowMinutes ?? DEFAULT_WINDOW_MINUTES,
    );
    if (rule.kind === 'rate_limit' && rule.per === 'workload') {
      keys.add(`workload:${workload}`);
    } else if (rule.per === 'namespace') {
      keys.add(`namespace:${namespaceKey}`);
      breadth = Math.max(breadth, 1);
    } else if (rule.kind === 'blast_radius') {
      keys.add(`cluster:${target.cluster}`);
      breadth = Math.max(breadth, 2);
    } else {
      // A global rate limit counts every change in its scope, wherever it lands.
      keys.add(`rule:${rule.id}`);
      breadth = 3;
    }
  }
  if (windowMinutes === 0) return { lockKeys: [...keys], ledger: undefined };
  const since = new Date(now.getTime() - windowMinutes * 60_000);
  const ledger = [
    { since, workload: target },
    { since, cluster: target.cluster, namespace: target.namespace },
    { since, cluster: target.cluster },
    { since },
  ][breadth];
  return { lockKeys: [...keys], ledger };
}
