import type { RuleChecker } from './types';

/** Decisions may only use the rule's verbs. */
export const allowedVerbs: RuleChecker<'allowed_verbs'> = (
  rule,
  facts,
  _evaluation,
  findings,
) => {
  const verb = facts.decision.verb;
  if (!rule.verbs.includes(verb)) {
    findings.push({
      outcome: 'deny',
      rule: rule.id,
      message: `Verb ${verb} is not allowed here; rule ${
        rule.id
      } allows only ${rule.verbs.join(
        ', ',
      )}. Use one of those, or ask a Sentinel admin to change the rule.`,
    });
  }
};
