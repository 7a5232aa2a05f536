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

export interface JudgeInput {
  /** The verdict on the decision against the current policy, freezes, overrides and ledger. */
  verdict: Verdict;
  /** The same evaluation with no freeze window: tells a freeze from every other reason. */
  verdictWithoutFreezes(): Verdict;
  /**
   * The freeze windows named by these rule ids (`freeze:<id>`) that are in effect, and when
   * the earliest of them ends.
   */
  freezeEnds(rules: string[]): { until: Date; names: string[] } | undefined;
  /** Another plan's change to the same workload that is still in flight. */
  inFlight: { planId: string } | undefined;
  /** Whether a person approved the plan (a policy pass-through is not an approval). */
  approvedByPerson: boolean;
  /** Since when the plan is held, if it is. */
  heldSince: Date | null;
  now: Date;
  /** How long a plan may be held in all before it is refused instead. */
  maxHoldMs: number;
  /** When to look again at a plan that waits for another change (its end wakes it sooner). */
  inFlightRecheckMs: number;
}

function reasons(verdict: Verdict): string {
  return verdict.reasons.map(r => r.message).join(' ');
}

/**
 * Decides per kind of reason what a changed verdict means at the moment of apply. Pure.
 *
 * - Another change to the workload still rolling out: hold until it ends (one change per
 *   workload in flight).
 * - A freeze window (and nothing else) denies: hold until the window ends. An approval does
 *   not waive a freeze that began after it; only a break-glass override does.
 * - Any other deny (rate limit, blast radius, bounds against the current replica count, a
 *   verb or plan size the policy no longer allows): refuse, naming the rule. Waiting would not
 *   make these pass, and an optimizer should plan again from the state as it is then.
 * - A person's approval now required: a plan a person approved goes on; one the policy let
 *   through on its own asks for approval.
 * A hold that would outlast `maxHoldMs` from its start is a refusal instead.
 */
export function judgeAtApply(input: JudgeInput): Judgement {
  const heldFor = input.heldSince
    ? input.now.getTime() - input.heldSince.getTime()
    : 0;
  const hold = (until: Date, reason: string, rule: string): Judgement => {
    if (heldFor + (until.getTime() - input.now.getTime()) > input.maxHoldMs) {
      const hours = Math.round(input.maxHoldMs / 360_000) / 10;
      return {
        kind: 'refuse',
        rule,
        reason: `${reason} Sentinel holds a plan at most ${hours} h; nothing more was applied.`,
      };
    }
    return { kind: 'hold', until, reason };
  };

  if (input.inFlight) {
    return hold(
      new Date(input.now.getTime() + input.inFlightRecheckMs),
      `Held: plan ${input.inFlight.planId} is still changing this workload; this change follows once that one has rolled out or been rolled back.`,
      'in-flight',
    );
  }
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
    return hold(
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
