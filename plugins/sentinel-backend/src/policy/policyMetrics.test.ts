import { evaluatePolicy } from './engine';
import { verdictLabels } from './policyMetrics';
import {
  NOW,
  context,
  decision,
  freeze,
  minutesAgo,
  rateLimit,
  replicaBounds,
  scale,
} from '../__testUtils__/policyCases';
import type { PolicyRule } from '@internal/backstage-plugin-sentinel-common';

/** The labels the metrics give each decision of `decisions` under `rules`. */
function labelsOf(
  rules: PolicyRule[],
  decisions: ReturnType<typeof decision>[],
  ctx = context(),
) {
  const evaluation = evaluatePolicy(
    { source: 'inframind', mode: 'enforce', decisions },
    { rules, exceptions: [] },
    ctx,
    NOW,
  );
  const byId = new Map(rules.map(rule => [rule.id, rule]));
  return {
    labels: evaluation.decisions.map(d => verdictLabels(d, byId)),
    usage: evaluation.usage,
  };
}

describe('policy metrics', () => {
  it('names the kind of the rule that decided, and none when no rule objects', () => {
    const { labels } = labelsOf(
      [replicaBounds({ max: 20 })],
      [scale(30), scale(5)],
    );
    expect(labels.map(l => [l.verdict, l.ruleKind, l.denials])).toEqual([
      ['deny', 'replica_bounds', ['replica_bounds']],
      ['allow', 'none', []],
    ]);
  });

  it('counts a freeze window as a freeze hit, not as a rule of the document', () => {
    const { labels } = labelsOf(
      [],
      [decision()],
      context({ windows: [freeze({ scope: { namespace: 'shop' } })] }),
    );
    expect(labels[0]).toMatchObject({
      verdict: 'deny',
      ruleKind: 'freeze',
      denials: ['freeze'],
      freezeHit: true,
      rateLimits: [],
    });
  });

  it("names the rate limit that denied, and reports each limit's use with the decision counted", () => {
    const limit = rateLimit({ max: 3 });
    const { labels, usage } = labelsOf(
      [limit],
      [decision()],
      context({
        recentChanges: [minutesAgo(20), minutesAgo(10), minutesAgo(5)],
      }),
    );
    expect(labels[0].rateLimits).toEqual([
      { rule: 'rate-limit', per: 'workload' },
    ]);
    expect(labels[0].freezeHit).toBe(false);
    // Three applied and this one: 4 of 3.
    expect(usage).toEqual([
      { rule: 'rate-limit', kind: 'rate_limit', per: 'workload', ratio: 4 / 3 },
    ]);

    const allowed = labelsOf(
      [limit],
      [decision()],
      context({ recentChanges: [minutesAgo(5)] }),
    );
    expect(allowed.labels[0].rateLimits).toEqual([]);
    expect(allowed.usage?.[0].ratio).toBeCloseTo(2 / 3);
  });
});
