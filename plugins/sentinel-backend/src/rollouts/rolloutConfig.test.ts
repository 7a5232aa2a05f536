import { ConfigReader } from '@backstage/config';
import type { JsonValue } from '@backstage/types';
import { DEFAULT_ROLLOUTS, readRolloutSettings } from './rolloutConfig';

const withChecks = (checks: JsonValue) =>
  new ConfigReader({ sentinel: { rollouts: { analysis: { checks } } } });

describe('readRolloutSettings', () => {
  it('keeps the default checks when none are configured', () => {
    expect(readRolloutSettings(new ConfigReader({})).analysis.checks).toEqual(
      DEFAULT_ROLLOUTS.analysis.checks,
    );
  });

  it('reads configured checks in the one shape of a check', () => {
    const checks = [
      {
        name: 'latency',
        query: 'histogram_quantile(0.99, rate(latency_bucket[1m]))',
        weight: 40,
        against: 'stable',
        tolerance: 0.1,
        slack: 0.005,
      },
    ];
    expect(readRolloutSettings(withChecks(checks)).analysis.checks).toEqual(
      checks,
    );
  });

  it.each([
    [
      [{ name: 'errors', weight: 50 }],
      /^sentinel\.rollouts\.analysis\.checks\[0\]\.query: /,
    ],
    [
      [{ name: 'errors', query: 'up', weight: 500 }],
      /^sentinel\.rollouts\.analysis\.checks\[0\]\.weight: .*100/,
    ],
    [
      [{ name: 'errors', query: 'up', weight: 5, maximum: 1 }],
      /^sentinel\.rollouts\.analysis\.checks\[0\]: .*maximum/,
    ],
  ])('refuses a bad check, naming the key: %j', (checks, message) => {
    expect(() => readRolloutSettings(withChecks(checks))).toThrow(message);
  });
});
