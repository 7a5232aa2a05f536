import type { ApiPlan } from '@internal/backstage-plugin-sentinel-common';
import type { SentinelTranslate } from '../../translation';

const same = (a: string, b: string) =>
  a.toLocaleLowerCase('en-US') === b.toLocaleLowerCase('en-US');

/**
 * Why the signed-in user may not approve or reject this plan now (undefined: they may). The
 * server decides again; this only explains the buttons, in the words of `t`. Pure.
 */
export function decisionBlockers(
  input: {
    plan: ApiPlan;
    /** The signed-in user's entity ref, once known. */
    me: string | undefined;
    allowed: boolean;
    loading: boolean;
  },
  t: SentinelTranslate,
): { approve?: string; reject?: string } {
  const { plan, me, allowed, loading } = input;
  if (loading || me === undefined) {
    const checking = t('planActions.checking');
    return { approve: checking, reject: checking };
  }
  if (!allowed) {
    const notYours = t('planActions.whoMay');
    return { approve: notYours, reject: notYours };
  }
  if (same(me, plan.submittedBy)) {
    return {
      approve: t('planActions.fourEyes'),
    };
  }
  if (plan.approvals.some(a => same(a.by, me))) {
    const missing = plan.approvalsRequired - plan.approvals.length;
    return {
      approve: t('planActions.waitsForMore', { count: missing }),
    };
  }
  return {};
}
