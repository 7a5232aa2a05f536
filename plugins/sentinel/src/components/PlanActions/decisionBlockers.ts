import type { ApiPlan } from '@internal/backstage-plugin-sentinel-common';

const same = (a: string, b: string) =>
  a.toLocaleLowerCase('en-US') === b.toLocaleLowerCase('en-US');

/**
 * Why the signed-in user may not approve or reject this plan now (undefined: they may). The
 * server decides again; this only explains the buttons. Pure.
 */
export function decisionBlockers(input: {
  plan: ApiPlan;
  /** The signed-in user's entity ref, once known. */
  me: string | undefined;
  allowed: boolean;
  loading: boolean;
}): { approve?: string; reject?: string } {
  const { plan, me, allowed, loading } = input;
  if (loading || me === undefined) {
    const checking = 'Checking what you may do…';
    return { approve: checking, reject: checking };
  }
  if (!allowed) {
    const notYours =
      'Only an admin, or an operator whose group owns every service this plan changes, may decide it.';
    return { approve: notYours, reject: notYours };
  }
  if (same(me, plan.submittedBy)) {
    return {
      approve:
        'You submitted this plan, so another person must approve it (four eyes).',
    };
  }
  if (plan.approvals.some(a => same(a.by, me))) {
    const missing = plan.approvalsRequired - plan.approvals.length;
    return {
      approve: `You approved this plan; it waits for ${missing} more approver${
        missing === 1 ? '' : 's'
      }.`,
    };
  }
  return {};
}
