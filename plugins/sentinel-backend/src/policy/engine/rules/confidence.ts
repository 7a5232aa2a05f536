import type { RuleChecker } from './types';

/** A decision whose confidence is below the minimum, or unknown, needs a person's approval. */
export const confidence: RuleChecker<'confidence'> = (
  rule,
  facts,
  _evaluation,
  findings,
) => {
  const given = facts.decision.confidence;
  if (typeof given !== 'number' || Number.isNaN(given)) {
    findings.push({
      outcome: 'require_approval',
      rule: rule.id,
      message: `The optimizer gave no confidence; rule ${rule.id} lets decisions through without a person's approval only at confidence ${rule.minimum} or more. Approve or reject it.`,
    });
  } else if (given < rule.minimum) {
    findings.push({
      outcome: 'require_approval',
      rule: rule.id,
      message: `Confidence ${given} is below ${rule.minimum}, the minimum of rule ${rule.id} for changes without a person's approval. Approve or reject it.`,
    });
  }
};
