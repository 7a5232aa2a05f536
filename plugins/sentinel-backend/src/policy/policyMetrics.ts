import { metrics } from '@opentelemetry/api';
import type {
  PolicyRule,
  Verdict,
} from '@internal/backstage-plugin-sentinel-common';
import type { PolicyEvaluation } from './types';

/**
 * Every combination of `dimensions` as label sets: counters start at 0 for each, so that
 * `rate()` and `increase()` see their first event after a restart (a series that first
 * appears at 1 has no increase).
 */
export function labelSets(
  dimensions: Record<string, readonly string[]>,
): Record<string, string>[] {
  return Object.entries(dimensions).reduce<Record<string, string>[]>(
    (sets, [label, values]) =>
      sets.flatMap(set => values.map(value => ({ ...set, [label]: value }))),
    [{}],
  );
}

/** The kinds of rule that can deny a decision (the others ask for a person), and freezes. */
const DENYING_KINDS = [
  'allowed_verbs',
  'replica_bounds',
  'resource_bounds',
  'rate_limit',
  'blast_radius',
  'plan_size',
  'freeze',
];

/** Where a verdict was reached: when the plan arrived, or at the moment of apply (the gate). */
export type PolicyStage = 'receipt' | 'apply';

/** The labels one decision's verdict adds to the policy metrics (docs/observability.md). */
export interface VerdictLabels {
  verdict: Verdict['outcome'];
  /** The kind of the rule that decided (the first reason's). */
  ruleKind: string;
  /** The kinds of the rules that denied it, one per rule. */
  denials: string[];
  freezeHit: boolean;
  /** The rate-limit rules that denied it. */
  rateLimits: { rule: string; per: string }[];
}

/**
 * The kind of the rule a reason names: a rule of the document, a freeze window
 * (`freeze:<id>`), an exception, or `none` (the engine's own "no rule objects").
 */
export function ruleKindOf(
  ruleId: string,
  rules: ReadonlyMap<string, PolicyRule>,
): string {
  const rule = rules.get(ruleId);
  if (rule) return rule.kind;
  if (ruleId.startsWith('freeze:')) return 'freeze';
  if (ruleId === 'policy' || ruleId === 'pass-through') return 'none';
  return 'exception';
}

export function verdictLabels(
  decision: PolicyEvaluation['decisions'][number],
  rules: ReadonlyMap<string, PolicyRule>,
): VerdictLabels {
  const { verdict } = decision;
  const deniedBy = decision.deniedBy ?? [];
  const rateLimits: VerdictLabels['rateLimits'] = [];
  for (const id of deniedBy) {
    const rule = rules.get(id);
    if (rule?.kind === 'rate_limit')
      rateLimits.push({ rule: id, per: rule.per });
  }
  return {
    verdict: verdict.outcome,
    ruleKind: ruleKindOf(verdict.reasons[0]?.rule ?? 'policy', rules),
    denials: deniedBy.map(id => ruleKindOf(id, rules)),
    freezeHit: deniedBy.some(id => id.startsWith('freeze:')),
    rateLimits,
  };
}

/** Counts what the policy decided; its gauges say how full each limit is. */
export interface PolicyMetrics {
  judged(
    stage: PolicyStage,
    evaluation: PolicyEvaluation,
    rules: readonly PolicyRule[],
  ): void;
}

export function createPolicyMetrics(): PolicyMetrics {
  const meter = metrics.getMeter('sentinel');
  const verdicts = meter.createCounter('sentinel_policy_verdicts_total', {
    description:
      'Verdicts on decisions, by verdict, deciding rule kind and stage',
  });
  const denials = meter.createCounter('sentinel_policy_denials_total', {
    description: 'Rules that denied a decision, by rule kind and stage',
  });
  const freezeHits = meter.createCounter('sentinel_freeze_hits_total', {
    description: 'Decisions an active change-freeze window stopped, by stage',
  });
  const rateLimitHits = meter.createCounter('sentinel_rate_limit_hits_total', {
    description: 'Decisions a rate limit denied, by rule and grouping',
  });
  const stages: PolicyStage[] = ['receipt', 'apply'];
  for (const set of labelSets({ rule_kind: DENYING_KINDS, stage: stages })) {
    denials.add(0, set);
  }
  for (const stage of stages) freezeHits.add(0, { stage });
  // The last evaluation's use of each limit, by rule id.
  const usage = new Map<string, { kind: string; per: string; ratio: number }>();
  meter
    .createObservableGauge('sentinel_rate_limit_usage_ratio', {
      description:
        "Each rate limit's fullest group over its max, with the last evaluated decision counted",
    })
    .addCallback(result => {
      for (const [rule, u] of usage) {
        if (u.kind === 'rate_limit')
          result.observe(u.ratio, { rule, per: u.per });
      }
    });
  meter
    .createObservableGauge('sentinel_blast_radius_usage_ratio', {
      description:
        "Each blast-radius limit's largest changed share over its maxPercent, with the last evaluated decision counted",
    })
    .addCallback(result => {
      for (const [rule, u] of usage) {
        if (u.kind === 'blast_radius') {
          result.observe(u.ratio, { rule, per: u.per });
        }
      }
    });

  return {
    judged(stage, evaluation, rules) {
      const byId = new Map(rules.map(rule => [rule.id, rule]));
      for (const decision of evaluation.decisions) {
        const labels = verdictLabels(decision, byId);
        verdicts.add(1, {
          verdict: labels.verdict,
          rule_kind: labels.ruleKind,
          stage,
        });
        for (const kind of labels.denials) {
          denials.add(1, { rule_kind: kind, stage });
        }
        if (labels.freezeHit) freezeHits.add(1, { stage });
        for (const { rule, per } of labels.rateLimits) {
          rateLimitHits.add(1, { rule, per });
        }
      }
      // Limits the document no longer has stop being reported.
      for (const id of usage.keys()) {
        if (!byId.has(id)) usage.delete(id);
      }
      for (const u of evaluation.usage ?? []) {
        usage.set(u.rule, { kind: u.kind, per: u.per, ratio: u.ratio });
      }
    },
  };
}
