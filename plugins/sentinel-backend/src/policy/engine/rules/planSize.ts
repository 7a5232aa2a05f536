import type { RuleChecker } from './types';

/** At most `max` decisions in one plan. */
export const planSize: RuleChecker<'plan_size'> = (
  rule,
  _facts,
  evaluation,
  findings,
) => {
  const size = evaluation.decisions.length;
  if (size > rule.max) {
    findings.push({
      outcome: 'deny',
      rule: rule.id,
      message: `The plan has ${size} decisions; rule ${rule.id} allows at most ${rule.max} per plan. Split it into plans of at most ${rule.max} decisions.`,
    });
  }
};
