import type { Verdict } from '@internal/backstage-plugin-sentinel-common';

/**
 * How many distinct people must approve a plan: the most any require_approval rule of its
 * verdicts asks for, at least one. Pure.
 */
export function approvalsRequired(
  verdicts: readonly (Verdict | null)[],
): number {
  let required = 1;
  for (const verdict of verdicts) {
    for (const reason of verdict?.reasons ?? []) {
      required = Math.max(required, reason.approvers ?? 1);
    }
  }
  return required;
}

const lower = (s: string) => s.toLocaleLowerCase('en-US');

/** Why this person may not approve this plan (four eyes), or undefined if they may. Pure. */
export function approvalRefusal(input: {
  actor: string;
  submittedBy: string;
  approvers: readonly string[];
  requireDistinctApprover: boolean;
}): string | undefined {
  if (
    input.requireDistinctApprover &&
    lower(input.actor) === lower(input.submittedBy)
  ) {
    return `${input.actor} submitted this plan and may not approve it; another person must (sentinel.approval.requireDistinctApprover)`;
  }
  if (input.approvers.some(a => lower(a) === lower(input.actor))) {
    return `${input.actor} already approved this plan; another person must`;
  }
  return undefined;
}
