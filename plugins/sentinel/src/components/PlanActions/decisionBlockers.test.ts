import { mockApis } from '@backstage/frontend-test-utils';
import type { ApiPlan } from '@internal/backstage-plugin-sentinel-common';
import { sentinelTranslationRef } from '../../translation';
import { decisionBlockers } from './decisionBlockers';

// The English messages, as the app shows them without a translation resource.
const english = mockApis.translation().getTranslation(sentinelTranslationRef);
if (!english.ready) throw new Error('the mock translation API is always ready');
const { t } = english;

const plan = {
  submittedBy: 'user:default/sam',
  approvals: [{ by: 'user:default/ann', at: '', comment: null }],
  approvalsRequired: 2,
} as unknown as ApiPlan;

const decide = (me: string | undefined, allowed = true, loading = false) =>
  decisionBlockers({ plan, me, allowed, loading }, t);

describe('decisionBlockers', () => {
  it('lets someone who may decide, and has not yet, approve and reject', () => {
    expect(decide('user:default/bob')).toEqual({});
  });

  it('explains four eyes to the submitter, who may still reject', () => {
    expect(decide('user:default/Sam')).toEqual({
      approve:
        'You submitted this plan, so another person must approve it (four eyes).',
    });
  });

  it('counts the approvers still missing for someone who approved', () => {
    expect(decide('user:default/ann').approve).toBe(
      'You approved this plan; it waits for 1 more approver.',
    );
    expect(
      decisionBlockers(
        {
          plan: { ...plan, approvalsRequired: 3 },
          me: 'user:default/ann',
          allowed: true,
          loading: false,
        },
        t,
      ).approve,
    ).toBe('You approved this plan; it waits for 2 more approvers.');
  });

  it('says who may decide when the permission framework says no, and waits while it decides', () => {
    const refused = decide('user:default/bob', false);
    expect(refused.approve).toMatch(/operator whose group owns every service/);
    expect(refused.reject).toBe(refused.approve);
    expect(decide(undefined).approve).toBe('Checking what you may do…');
    expect(decide('user:default/bob', true, true).reject).toBe(
      'Checking what you may do…',
    );
  });
});
