/**
 * The pure policy engine: (plan, policy document, context, now) → a verdict per decision.
 *
 * No I/O and no clock: everything comes in through the arguments, and the same arguments
 * always give the same verdicts.
 *
 * Speed (see bench/policy.ts): what the decisions of one evaluation share is computed once
 * per evaluation and lazily (active freeze windows and overrides, live exceptions, counts of
 * recent changes per window and group). What depends only on an input array is memoised on
 * that array (weakly, so it goes with it): the rules bucketed by scope, the recent changes
 * parsed and sorted, the managed workloads per namespace and cluster (see indexes/). A
 * caller that passes the same arrays again (the policy document it caches, a snapshot of the
 * inventory) skips that work; arrays must be replaced rather than changed in place, although
 * the engine does notice rules changed in place and changes appended.
 *
 * This module is the loop; each rule kind is checked in rules/, freezes in freezes.ts,
 * exceptions in exceptions.ts.
 */
import type {
  PolicyDocument,
  PolicyRule,
  Verdict,
} from '@internal/backstage-plugin-sentinel-common';
import type { PolicyPlanInput } from '../PolicyEngine';
import type {
  EvaluatePolicy,
  PolicyContext,
  PolicyEvaluation,
  RuleUsage,
} from '../types';
import { activeFreezes, checkFreezes, type ActiveFreezes } from './freezes';
import { liveExceptions, waivedRules, type LiveException } from './exceptions';
import {
  decisionFacts,
  type DecisionFacts,
  type Finding,
  type Outcome,
} from './facts';
import { ChangeWindows } from './indexes/changeWindows';
import {
  candidateRules,
  indexRules,
  type RuleIndex,
} from './indexes/ruleIndex';
import { checkRule, type Evaluation, type RuleOf, type Scratch } from './rules';
import { labelsMatch } from './scope';

const SEVERITY: Record<Outcome, number> = {
  deny: 0,
  require_approval: 1,
  allow: 2,
};

function bySeverity(a: Finding, b: Finding): number {
  return SEVERITY[a.outcome] - SEVERITY[b.outcome];
}

/** Everything one evaluation shares between its decisions. */
class PlanEvaluation implements Evaluation {
  readonly decisions: DecisionFacts[];
  readonly changes: ChangeWindows;
  private readonly rules: PolicyRule[];
  private readonly ruleIndex: RuleIndex;
  private readonly exceptions: LiveException[];
  private readonly freezes: ActiveFreezes;
  private readonly isoCache = new Map<number, string>();
  private readonly scratches = new Map<Scratch<unknown>, unknown>();
  private readonly usage = new Map<string, RuleUsage>();

  /** Bound, to be handed on: windows, freezes and messages ask for the same few instants. */
  readonly iso = (ms: number): string => {
    let text = this.isoCache.get(ms);
    if (text === undefined) {
      text = new Date(ms).toISOString();
      this.isoCache.set(ms, text);
    }
    return text;
  };

  constructor(
    plan: PolicyPlanInput,
    policy: PolicyDocument,
    readonly context: PolicyContext,
    now: Date,
  ) {
    const nowMs = now.getTime();
    this.rules = policy.rules;
    this.ruleIndex = indexRules(policy.rules);
    this.decisions = decisionFacts(plan, context);
    this.exceptions = liveExceptions(policy.exceptions, nowMs);
    this.freezes = activeFreezes(context, now);
    this.changes = new ChangeWindows(context.recentChanges, nowMs, this.iso);
  }

  used(rule: RuleOf<'rate_limit' | 'blast_radius'>, ratio: number): void {
    const known = this.usage.get(rule.id);
    if (!known) {
      this.usage.set(rule.id, {
        rule: rule.id,
        kind: rule.kind,
        per: rule.per,
        ratio,
      });
    } else if (ratio > known.ratio) {
      known.ratio = ratio;
    }
  }

  scratch<T>(key: Scratch<T>): T {
    let state = this.scratches.get(key) as T | undefined;
    if (state === undefined) {
      state = key.create();
      this.scratches.set(key, state);
    }
    return state;
  }

  run(): PolicyEvaluation {
    let outcome: Outcome = 'allow';
    const decisions = this.decisions.map(facts => {
      const findings = this.findings(facts);
      const verdict = verdictOf(findings);
      if (SEVERITY[verdict.outcome] < SEVERITY[outcome]) {
        outcome = verdict.outcome;
      }
      const deniedBy = findings
        .filter(f => f.outcome === 'deny')
        .map(f => f.rule);
      return {
        index: facts.index,
        verdict,
        ...(deniedBy.length > 0 && { deniedBy }),
      };
    });
    return { outcome, decisions, usage: [...this.usage.values()] };
  }

  private findings(facts: DecisionFacts): Finding[] {
    const findings: Finding[] = [];
    const waived = waivedRules(this.exceptions, facts, findings);

    const rules = this.rules;
    for (const i of candidateRules(this.ruleIndex, facts)) {
      const rule = rules[i];
      if (waived?.has(rule.id) || !labelsMatch(rule.scope, facts)) {
        continue;
      }
      checkRule(rule, facts, this, findings);
    }

    checkFreezes(this.freezes, facts, this.iso, findings);
    return findings;
  }
}

/** The strictest finding decides; the reasons name every finding, blocking ones first. */
function verdictOf(findings: Finding[]): Verdict {
  let outcome: Outcome = 'allow';
  for (const finding of findings) {
    if (SEVERITY[finding.outcome] < SEVERITY[outcome]) {
      outcome = finding.outcome;
    }
  }
  if (findings.length === 0) {
    return {
      outcome,
      reasons: [{ rule: 'policy', message: 'Allowed: no rule objects.' }],
    };
  }
  // Blocking reasons first; otherwise in the order rules were checked (stable sort).
  if (findings.length > 1) {
    findings.sort(bySeverity);
  }
  return {
    outcome,
    reasons: findings.map(({ rule, message, approvers }) => ({
      rule,
      message,
      ...(approvers !== undefined && { approvers }),
    })),
  };
}

/** The pure engine: (plan, policy, context, now) → verdicts. No I/O, no clock. */
export const evaluatePolicy: EvaluatePolicy = (plan, policy, context, now) =>
  new PlanEvaluation(plan, policy, context, now).run();
