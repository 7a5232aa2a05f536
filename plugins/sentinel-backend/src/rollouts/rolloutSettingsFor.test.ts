import { DEFAULT_ROLLOUTS } from './rolloutConfig';
import { rolloutSettingsFor } from './rolloutSettingsFor';

const defaults = {
  steps: DEFAULT_ROLLOUTS.steps,
  analysis: DEFAULT_ROLLOUTS.analysis,
  rollbackPolicy: DEFAULT_ROLLOUTS.rollbackPolicy,
};
const cart = {
  cluster: 'prod',
  namespace: 'shop',
  entityRef: 'component:default/cart',
  labels: { tier: 'critical' },
};

describe('rolloutSettingsFor', () => {
  it('keeps the configured defaults where no entry matches', () => {
    expect(
      rolloutSettingsFor(
        defaults,
        [
          {
            id: 'other',
            scope: { namespace: 'payments' },
            steps: [{ weight: 50 }],
          },
        ],
        cart,
      ),
    ).toEqual(defaults);
  });

  it('lets the most specific entry win, field by field, whatever their order', () => {
    const settings = rolloutSettingsFor(
      defaults,
      [
        {
          id: 'cart',
          scope: { entityRef: 'component:default/cart' },
          analysis: { intervalSeconds: 30 },
        },
        {
          id: 'shop',
          scope: { namespace: 'shop' },
          steps: [{ weight: 20, gate: true }, { weight: 100 }],
          analysis: { intervalSeconds: 60, passAfter: 5 },
          rollbackPolicy: 'manual',
        },
        { id: 'everywhere', analysis: { readySeconds: 120 } },
      ],
      cart,
    );
    expect(settings.steps).toEqual([
      { weight: 20, gate: true },
      { weight: 100 },
    ]);
    expect(settings.rollbackPolicy).toBe('manual');
    expect(settings.analysis).toMatchObject({
      intervalSeconds: 30, // the entity's entry over the namespace's
      passAfter: 5, // the namespace's; the entity's says nothing of it
      readySeconds: 120, // everywhere's
      checks: DEFAULT_ROLLOUTS.analysis.checks, // nobody's: the default
    });
  });

  it('matches scopes by labels too', () => {
    const critical = rolloutSettingsFor(
      defaults,
      [
        {
          id: 'critical',
          scope: { labels: { tier: 'critical' } },
          rollbackPolicy: 'freeze',
        },
      ],
      cart,
    );
    expect(critical.rollbackPolicy).toBe('freeze');
    const other = rolloutSettingsFor(
      defaults,
      [
        {
          id: 'critical',
          scope: { labels: { tier: 'critical' } },
          rollbackPolicy: 'freeze',
        },
      ],
      { ...cart, labels: {} },
    );
    expect(other.rollbackPolicy).toBe('auto');
  });

  it("puts the service's own annotations over the policy, and names a bad one", () => {
    const entries = [
      {
        id: 'shop',
        scope: { namespace: 'shop' },
        steps: [{ weight: 50 }, { weight: 100 }],
        rollbackPolicy: 'manual' as const,
      },
    ];
    expect(
      rolloutSettingsFor(defaults, entries, cart, {
        canarySteps: '10:30, 100',
        rollbackPolicy: 'auto',
      }),
    ).toMatchObject({
      steps: [{ weight: 10, pauseSeconds: 30 }, { weight: 100 }],
      rollbackPolicy: 'auto',
    });
    expect(
      rolloutSettingsFor(defaults, entries, cart, {
        canaryAnalysis: 'intervalSeconds=45, onInconclusive=wait',
      }).analysis,
    ).toMatchObject({
      intervalSeconds: 45,
      onInconclusive: 'wait',
      passAfter: DEFAULT_ROLLOUTS.analysis.passAfter,
    });
    // An unknown policy name is ignored; steps that do not parse are refused.
    expect(
      rolloutSettingsFor(defaults, entries, cart, { rollbackPolicy: 'yolo' })
        .rollbackPolicy,
    ).toBe('manual');
    expect(() =>
      rolloutSettingsFor(defaults, entries, cart, { canarySteps: '50, 10' }),
    ).toThrow(
      'sentinel.io/canary-steps of component:default/cart: step 2 "10": weights must rise (50 before it)',
    );
  });

  it("routes a service's canaries through the router its annotation names, or none", () => {
    const withRouter = { ...defaults, trafficRouter: 'nginx' };
    expect(rolloutSettingsFor(withRouter, [], cart).trafficRouter).toBe(
      'nginx',
    );
    expect(
      rolloutSettingsFor(withRouter, [], cart, {
        trafficRouter: ' gateway-api ',
      }).trafficRouter,
    ).toBe('gateway-api');
    // `none`: the replica ratio, whatever sentinel.rollouts.trafficRouter says.
    expect(
      rolloutSettingsFor(withRouter, [], cart, { trafficRouter: 'none' })
        .trafficRouter,
    ).toBeUndefined();
    // A policy entry keeps the configured router.
    expect(
      rolloutSettingsFor(
        withRouter,
        [
          {
            id: 'shop',
            scope: { namespace: 'shop' },
            rollbackPolicy: 'manual',
          },
        ],
        cart,
      ).trafficRouter,
    ).toBe('nginx');
  });
});
