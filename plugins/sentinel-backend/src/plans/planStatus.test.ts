import type { Verdict } from '@internal/backstage-plugin-sentinel-common';
import { statusAfterVerdicts } from './planStatus';

const allow: Verdict = { outcome: 'allow', reasons: [] };
const approval: Verdict = {
  outcome: 'require_approval',
  reasons: [{ rule: 'confidence', message: 'Confidence 0.4 is below 0.7.' }],
};
const deny: Verdict = {
  outcome: 'deny',
  reasons: [{ rule: 'replicas', message: 'At most 20 replicas.' }],
};

describe('statusAfterVerdicts', () => {
  it.each([
    [[allow, allow], 'approved'],
    [[allow, approval], 'pending_approval'],
    [[approval, deny], 'rejected'],
    [[deny, allow], 'rejected'],
  ])('%j -> %s', (verdicts, status) => {
    expect(statusAfterVerdicts(verdicts).status).toBe(status);
  });

  it('names each denied decision and why', () => {
    expect(statusAfterVerdicts([allow, deny]).message).toBe(
      'rejected by policy: decision 1: At most 20 replicas.',
    );
  });

  it('names the decisions that wait for a person', () => {
    expect(statusAfterVerdicts([approval, allow]).message).toBe(
      'waiting for approval of decision(s) 0: Confidence 0.4 is below 0.7.',
    );
  });
});
