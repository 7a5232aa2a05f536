/**
 * The checker of each policy rule kind. The map is exhaustive: a rule kind added to the
 * schema without a checker here does not compile.
 */
import type { PolicyRule } from '@internal/backstage-plugin-sentinel-common';
import type { DecisionFacts, Finding } from '../facts';
import { allowedVerbs } from './allowedVerbs';
import { blastRadius } from './blastRadius';
import { confidence } from './confidence';
import { planSize } from './planSize';
import { rateLimit } from './rateLimit';
import { replicaBounds } from './replicaBounds';
import { requireApproval } from './requireApproval';
import { resourceBounds } from './resourceBounds';
import type { Evaluation, RuleChecker, RuleKind } from './types';

export type {
  Evaluation,
  RuleChecker,
  RuleKind,
  RuleOf,
  Scratch,
} from './types';

export const ruleCheckers: { [K in RuleKind]: RuleChecker<K> } = {
  allowed_verbs: allowedVerbs,
  replica_bounds: replicaBounds,
  resource_bounds: resourceBounds,
  rate_limit: rateLimit,
  blast_radius: blastRadius,
  plan_size: planSize,
  confidence,
  require_approval: requireApproval,
};

type AnyRuleChecker = (
  rule: PolicyRule,
  facts: DecisionFacts,
  evaluation: Evaluation,
  findings: Finding[],
) => void;

/** By kind, in a Map so that a kind such as `constructor` finds nothing inherited. */
const checkerOf = new Map(
  Object.entries(ruleCheckers) as [string, AnyRuleChecker][],
);

/**
 * A rollback restores a state that was allowed once, so that rollback always works: only
 * allowed_verbs, a require_approval naming `rollback`, and freeze windows that forbid
 * rollbacks (see freezes.ts) can hold it.
 */
function holdsRollbacks(rule: PolicyRule): boolean {
  return (
    rule.kind === 'allowed_verbs' ||
    (rule.kind === 'require_approval' && !!rule.verbs?.includes('rollback'))
  );
}

/** Checks one rule whose scope matches the decision, adding what it finds to `findings`. */
export function checkRule(
  rule: PolicyRule,
  facts: DecisionFacts,
  evaluation: Evaluation,
  findings: Finding[],
): void {
  if (facts.decision.verb === 'rollback' && !holdsRollbacks(rule)) {
    return;
  }
  const check = checkerOf.get(rule.kind);
  if (check) {
    check(rule, facts, evaluation, findings);
    return;
  }
  // A rule kind this engine does not know (a newer document): say so rather than silently
  // allowing.
  const { id, kind } = rule as { id: string; kind: string };
  findings.push({
    outcome: 'require_approval',
    rule: id,
    message: `Rule ${id} is of a kind this Sentinel does not know (${kind}); a person must approve the decision.`,
  });
}
