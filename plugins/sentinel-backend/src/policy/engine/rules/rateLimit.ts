import { DEFAULT_WINDOW_MINUTES, MINUTE_MS } from '../indexes/changeWindows';
import { plural } from '../messages';
import { scopeMatches } from '../scope';
import type { RuleChecker } from './types';

/**
 * At most `max` changes per workload, per namespace or in total within the window: those
 * applied recently, plus this plan's earlier decisions there, plus this one.
 */
export const rateLimit: RuleChecker<'rate_limit'> = (
  rule,
  facts,
  evaluation,
  findings,
) => {
  const windowMinutes = rule.windowMinutes ?? DEFAULT_WINDOW_MINUTES;
  const windowMs = windowMinutes * MINUTE_MS;
  const { changes, decisions } = evaluation;
  let times: string[];
  let earlier = 0;
  let where: string;
  if (rule.per === 'workload') {
    const workload = facts.workload;
    times = changes.times(workload, facts.namespaceKey, windowMs, workload);
    for (let j = 0; j < facts.index; j++) {
      if (decisions[j].workload === workload) earlier += 1;
    }
    where = `to ${workload}`;
  } else if (rule.per === 'namespace') {
    times = changes.times(facts.namespaceKey, facts.namespaceKey, windowMs);
    for (let j = 0; j < facts.index; j++) {
      if (decisions[j].namespaceKey === facts.namespaceKey) earlier += 1;
    }
    where = `in namespace ${facts.namespace} of cluster ${facts.cluster}`;
  } else {
    // Recent changes carry no entity, so only the cluster and namespace of the rule's scope
    // narrow them; entityRef and labels cannot, and such changes count (the safe side).
    times = changes.times(
      rule,
      undefined,
      windowMs,
      undefined,
      rule.scope?.cluster,
      rule.scope?.namespace,
    );
    for (let j = 0; j < facts.index; j++) {
      if (scopeMatches(rule.scope, decisions[j])) earlier += 1;
    }
    where = rule.scope ? `in the scope of rule ${rule.id}` : 'in total';
  }
  const count = times.length + earlier;
  evaluation.used(rule, (count + 1) / rule.max);
  if (count + 1 <= rule.max) {
    return;
  }
  const mustLeave = count + 1 - rule.max;
  const advice =
    mustLeave <= times.length
      ? `Resubmit at or after ${evaluation.iso(
          Date.parse(times[mustLeave - 1]) + windowMs,
        )}, when enough of them are older than ${windowMinutes} minutes.`
      : `This plan alone has ${
          earlier + 1
        } such changes; split it into smaller plans.`;
  findings.push({
    outcome: 'deny',
    rule: rule.id,
    message: `This would be change ${count + 1} ${where} within ${plural(
      windowMinutes,
      'minute',
    )} (${times.length} applied, ${earlier} earlier in this plan); rule ${
      rule.id
    } allows at most ${rule.max}. ${advice}`,
  });
};
