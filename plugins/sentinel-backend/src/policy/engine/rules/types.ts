/** The one signature every rule checker has, and what it sees of the evaluation. */
import type { PolicyRule } from '@internal/backstage-plugin-sentinel-common';
import type { PolicyContext } from '../../types';
import type { DecisionFacts, Finding } from '../facts';
import type { ChangeWindows } from '../indexes/changeWindows';

export type RuleKind = PolicyRule['kind'];
export type RuleOf<K extends RuleKind> = Extract<PolicyRule, { kind: K }>;

/** The key of a checker's per-evaluation state, and how to create it. */
export interface Scratch<T> {
  create(): T;
}

/** What a rule checker sees of the evaluation it runs in. */
export interface Evaluation {
  readonly context: PolicyContext;
  /** Every decision of the plan, in plan order (rules count this plan's earlier ones). */
  readonly decisions: readonly DecisionFacts[];
  /** The recent changes, in windows ending at now. */
  readonly changes: ChangeWindows;
  /** The ISO form of an instant, cached for the evaluation. */
  iso(ms: number): string;
  /** Notes a limit's use (see RuleUsage); the evaluation keeps the largest per rule. */
  used(rule: RuleOf<'rate_limit' | 'blast_radius'>, ratio: number): void;
  /** This evaluation's instance of a checker's state, created on first use. */
  scratch<T>(key: Scratch<T>): T;
}

/**
 * Checks one rule against one decision in its scope, adding to `findings` what it objects
 * to (nothing if the decision complies). Pushed rather than returned, so that a compliant
 * decision allocates nothing.
 */
export type RuleChecker<K extends RuleKind> = (
  rule: RuleOf<K>,
  facts: DecisionFacts,
  evaluation: Evaluation,
  findings: Finding[],
) => void;
