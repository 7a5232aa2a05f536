import type { Verdict } from '@internal/backstage-plugin-sentinel-common';

/** What the gate does with a decision at the moment of apply. */
export type Judgement =
  | { kind: 'admit' }
  /** Not now; look again at `until` (or when the change it waits for ends). */
  | { kind: 'hold'; until: Date; reason: string }
  /** Never as it stands: the plan is refused, naming the rule. */
  | { kind: 'refuse'; rule: string; reason: string }
  /** The policy now asks a person, and none approved the plan. */
  | { kind: 'ask'; reason: string };

/** How long a plan has been held, and how long it may be. */
export interface HoldLimits {
  /** Since when the plan is held, if it is. */
  heldSince: Date | null;
  now: Date;
  /** How long a plan may be held in all before it is refused instead. */
  maxHoldMs: number;
}

/** A hold until `until`, or a refusal naming `rule` when it would outlast the longest hold. */
export function holdOrRefuse(
  limits: HoldLimits,
  until: Date,
  reason: string,
  rule: string,
): Extract<Judgement, { kind: 'hold' | 'refuse' }> {
  const heldFor = limits.heldSince
    ? limits.now.getTime() - limits.heldSince.getTime()
    : 0;
  if (heldFor + (until.getTime() - limits.now.getTime()) > limits.maxHoldMs) {
    const hours = Math.round(limits.maxHoldMs / 360_000) / 10;
    return {
      kind: 'refuse',
      rule,
      reason: `${reason} Sentinel holds a plan at most ${hours} h; nothing more was applied.`,
    };
  }
  return { kind: 'hold', until, reason };
}

/**
 * Another plan's change to the same workload is in flight (the database allows one per
 * workload): hold until it ends; its end wakes this plan, `recheckMs` is the fallback.
 */
export function inFlightHold(
  limits: HoldLimits,
  other: { planId: string } | undefined,
  recheckMs: number,
): Extract<Judgement, { kind: 'hold' | 'refuse' }> {
  return holdOrRefuse(
    limits,
    new Date(limits.now.getTime() + recheckMs),
    `Held: ${
      other ? `plan ${other.planId}` : 'another plan'
    } is still changing this workload; this change follows once that one has rolled out or been rolled back.`,
    'in-flight',
  );
}

export interface JudgeInput extends HoldLimits {
  /** The verdict on the decision against the current policy, freezes, overrides and ledger. */
  verdict: Verdict;
  /** The same evaluation with no freeze window: tells a freeze from every other reason. */
  verdictWithoutFreezes(): Verdict;
  /**
   * The freeze windows named by these rule ids (`freeze:<id>`) that are in effect, and when
   * the earliest of them ends.
   */
  freezeEnds(rules: string[]): { until: Date; names: string[] } | undefined;
  /** Whether a person approved the plan (a policy pass-through is not an approval). */
  approvedByPerson: boolean;
}

function reasons(verdict: Verdict): string {
  return verdict.reasons.map(r => r.message).join(' ');
}

/**
 * Decides per kind of reason what a changed verdict means at the moment of apply. Pure.
 *
 * - A freeze window (and nothing else) denies: hold until the window ends. An approval does
 *   not waive a freeze that began after it; only a break-glass override does.
 * - Any other deny (rate limit, blast radius, bounds against the current replica count, a
 *   verb or plan size the policy no longer allows): refuse, naming the rule. Waiting would not
 *   make these pass, and an optimizer should plan again from the state as it is then.
 * - A person's approval now required: a plan a person approved goes on; one the policy let
 *   through on its own asks for approval.
 * A hold that would outlast `maxHoldMs` from its start is a refusal instead. Another change
 * to the workload in flight is found when the change is reserved (see inFlightHold).
 */
export function judgeAtApply(input: JudgeInput): Judgement {
  const { verdict } = input;
  if (verdict.outcome === 'allow') return { kind: 'admit' };
  if (verdict.outcome === 'require_approval') {
    return input.approvedByPerson
      ? { kind: 'admit' }
      : {
          kind: 'ask',
          reason: `The policy now asks for a person's approval: ${reasons(
            verdict,
          )}`,
        };
  }
  const freezeRules = verdict.reasons
    .map(r => r.rule)
    .filter(rule => rule.startsWith('freeze:'));
  const freeze = freezeRules.length ? input.freezeEnds(freezeRules) : undefined;
  if (freeze && input.verdictWithoutFreezes().outcome !== 'deny') {
    const names = freeze.names.map(n => `"${n}"`).join(', ');
    return holdOrRefuse(
      input,
      freeze.until,
      `Held by change freeze ${names} until ${freeze.until.toISOString()} (rule ${freezeRules.join(
        ', ',
      )}): Sentinel applies the change when it ends, checking the policy again. A break-glass override lets it through sooner; cancelling the plan drops it.`,
      freezeRules[0],
    );
  }
  return {
    kind: 'refuse',
    rule: verdict.reasons[0]?.rule ?? 'policy',
    reason: `Refused at the moment of apply: ${reasons(verdict)}`,
  };
}
