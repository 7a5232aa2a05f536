import { sentence } from '../messages';
import type { RuleChecker } from './types';

/** Decisions in scope (of the rule's verbs, if it names any) need a person's approval. */
export const requireApproval: RuleChecker<'require_approval'> = (
  rule,
  facts,
  _evaluation,
  findings,
) => {
  if (!rule.verbs || rule.verbs.includes(facts.decision.verb)) {
    findings.push({
      outcome: 'require_approval',
      rule: rule.id,
      message: `Needs ${
        (rule.approvers ?? 1) > 1
          ? `${rule.approvers} distinct people's approval`
          : "a person's approval"
      } (rule ${rule.id}): ${sentence(rule.reason)}`,
      ...(rule.approvers !== undefined && { approvers: rule.approvers }),
    });
  }
};
