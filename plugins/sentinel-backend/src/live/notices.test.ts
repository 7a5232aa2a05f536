import {
  sentinelTabPath,
  type Plan,
} from '@internal/backstage-plugin-sentinel-common';
import type { CatalogWorkloads } from '../inventory/WorkloadCatalogIndex';
import type { FreezeOccurrence } from '../policy/engine/freezeOccurrences';
import type { Rollout } from '../rollouts/types';
import {
  approvalNotice,
  describeDecision,
  freezeStartNotices,
  planEndNotice,
  rolloutEndNotice,
} from './notices';

const target = (name: string, namespace = 'shop') => ({
  cluster: 'demo',
  namespace,
  kind: 'Deployment' as const,
  name,
});

describe('owner notices', () => {
  it.each([
    ['component:default/cart', '/catalog/default/component/cart/sentinel'],
    ['Component:team-a/Cart', '/catalog/team-a/component/Cart/sentinel'],
    ['resource:default/db', '/catalog/default/resource/db/sentinel'],
  ])('links %s to its Sentinel tab at %s', (ref, link) => {
    expect(sentinelTabPath(ref)).toBe(link);
  });

  it.each([
    ['scale', { replicas: 5 }, 'scale shop/cart to 5'],
    ['set_resources', { containers: {} }, 'set the resources of shop/cart'],
    ['restart', {}, 'restart shop/cart'],
    [
      'rollout',
      { containers: { app: { image: 'shop/cart:2.0.0' } }, strategy: 'canary' },
      'roll out shop/cart:2.0.0 to shop/cart',
    ],
    ['rollback', {}, 'roll back shop/cart'],
  ] as const)('says %s in a few words', (verb, params, words) => {
    expect(describeDecision({ verb, target: target('cart'), params })).toBe(
      words,
    );
  });

  const plan = (overrides: Partial<Plan>): Plan => ({
    id: 'p-1',
    source: 'InfraMind',
    mode: 'enforce',
    status: 'pending_approval',
    statusReason: 'waiting for approval',
    createdAt: '2026-11-29T08:00:00.000Z',
    updatedAt: '2026-11-29T08:00:00.000Z',
    submittedBy: 'external:inframind',
    rollbackOf: null,
    timeline: [],
    approvals: [],
    approvalsRequired: 2,
    decisions: [
      {
        index: 0,
        verb: 'scale',
        target: target('cart'),
        params: { replicas: 5 },
        rationale: null,
        confidence: null,
        entityRef: 'component:default/cart',
        verdict: {
          outcome: 'require_approval',
          reasons: [{ rule: 'prod', message: 'production needs two people.' }],
        },
        status: 'pending',
        before: null,
        after: null,
        error: null,
      },
      {
        index: 1,
        verb: 'scale',
        target: target('orphan'),
        params: { replicas: 1 },
        rationale: null,
        confidence: null,
        entityRef: null,
        verdict: { outcome: 'allow', reasons: [] },
        status: 'pending',
        before: null,
        after: null,
        error: null,
      },
    ],
    ...overrides,
  });

  it("asks a plan's entities' owners for approval, naming the policy's reasons and how many people", () => {
    expect(approvalNotice(plan({}))).toEqual({
      recipients: { type: 'entity', entityRef: ['component:default/cart'] },
      payload: {
        title: 'Approval needed: scale shop/cart to 5 and 1 more change(s)',
        description:
          'InfraMind (external:inframind) asks to scale shop/cart to 5 and 1 more change(s). production needs two people. It needs 2 distinct approvers.',
        link: '/catalog/default/component/cart/sentinel',
        severity: 'high',
        topic: 'sentinel-approval',
        scope: 'sentinel-approval:p-1',
      },
    });
    // No catalog entity manages the workloads: nobody to ask.
    expect(
      approvalNotice(plan({ decisions: plan({}).decisions.slice(1) })),
    ).toBeUndefined();
  });

  it.each([
    ['failed', 'critical', 'Failed: scale shop/cart to 5 and 1 more change(s)'],
    [
      'rolled_back',
      'high',
      'Rolled back: scale shop/cart to 5 and 1 more change(s)',
    ],
  ] as const)(
    'tells the owners a plan ended %s (%s)',
    (status, severity, title) => {
      expect(
        planEndNotice(plan({ status, statusReason: 'decision 0 failed' })),
      ).toMatchObject({
        payload: {
          title,
          severity,
          topic: 'sentinel-rollback',
          scope: 'sentinel-rollback:p-1',
        },
      });
    },
  );

  it('keeps a title within the 255 characters the notifications backend stores', () => {
    const image = `registry.example.com/${'team/'.repeat(40)}cart:2.0.0`;
    const long = plan({
      decisions: [
        {
          ...plan({}).decisions[0],
          verb: 'rollout',
          params: { containers: { app: { image } } },
        },
      ],
    });
    const notice = approvalNotice(long)!;
    expect(notice.payload.title).toHaveLength(255);
    expect(notice.payload.title).toMatch(
      /^Approval needed: roll out registry.*…$/,
    );
  });

  it('says nothing of a plan that succeeded unless it rolled something back', () => {
    expect(planEndNotice(plan({ status: 'succeeded' }))).toBeUndefined();
    expect(planEndNotice(plan({ status: 'rejected' }))).toBeUndefined();
  });

  const rollout = (overrides: Partial<Rollout>) =>
    ({
      id: 'r-1',
      planId: 'p-1',
      target: target('cart'),
      entityRef: 'component:default/cart',
      strategy: 'canary',
      phase: 'aborted',
      phaseReason: 'analysis failed: error-rate 0.2 > 0.05',
      ...overrides,
    } as Rollout);

  it.each([
    ['aborted', 'high', 'Canary rollout aborted: shop/cart'],
    ['failed', 'critical', 'Canary rollout failed: shop/cart'],
  ] as const)(
    'tells the owners a rollout %s (%s), in the notification of its plan',
    (phase, severity, title) => {
      expect(rolloutEndNotice(rollout({ phase }))).toMatchObject({
        recipients: { type: 'entity', entityRef: ['component:default/cart'] },
        payload: {
          title,
          severity,
          description: expect.stringContaining('error-rate 0.2 > 0.05'),
          topic: 'sentinel-rollback',
          scope: 'sentinel-rollback:p-1',
        },
      });
    },
  );

  it('says nothing of a rollout still under way, or of one without an entity', () => {
    expect(rolloutEndNotice(rollout({ phase: 'aborting' }))).toBeUndefined();
    expect(rolloutEndNotice(rollout({ entityRef: null }))).toBeUndefined();
  });

  describe('freeze starts', () => {
    const catalog: CatalogWorkloads = {
      owners: new Map([
        ['demo/shop/Deployment/cart', 'component:default/cart'],
        ['demo/shop/Deployment/orders', 'component:default/orders'],
        ['demo/shop/Deployment/search', 'component:default/search'],
        ['demo/payments/Deployment/ledger', 'component:default/ledger'],
      ]),
      entityOwners: new Map([
        ['component:default/cart', ['group:default/team-shop']],
        ['component:default/orders', ['group:default/team-shop']],
        ['component:default/search', ['group:default/team-search']],
        ['component:default/ledger', ['group:default/team-shop']],
      ]),
      labels: new Map([['component:default/search', { tier: 'critical' }]]),
    };
    const occurrence = (
      scope: FreezeOccurrence['scope'],
    ): FreezeOccurrence => ({
      windowId: 'w-1',
      name: 'Incident freeze',
      reason: 'INC-42',
      scope,
      allowRollback: false,
      recurring: false,
      start: new Date('2026-11-29T08:00:00.000Z'),
      end: new Date('2026-11-29T20:00:00.000Z'),
    });
    const told = (scope: FreezeOccurrence['scope']) =>
      freezeStartNotices([occurrence(scope)], catalog).map(n => [
        n.notice.recipients,
        n.notice.payload.link,
      ]);

    it.each([
      [
        'a namespace: each owner group once, about all of its services there',
        { namespace: 'shop' },
        [
          [
            {
              type: 'entity',
              entityRef: ['component:default/cart', 'component:default/orders'],
            },
            '/catalog/default/component/cart/sentinel',
          ],
          [
            { type: 'entity', entityRef: ['component:default/search'] },
            '/catalog/default/component/search/sentinel',
          ],
        ],
      ],
      [
        'labels: only the entities that carry them',
        { labels: { tier: 'critical' } },
        [
          [
            { type: 'entity', entityRef: ['component:default/search'] },
            '/catalog/default/component/search/sentinel',
          ],
        ],
      ],
      [
        'a namespace no managed workload runs in: nobody',
        { namespace: 'x' },
        [],
      ],
    ])('covers %s', (_, scope, expected) => {
      expect(told(scope)).toEqual(expected);
    });

    it('keys each notice by window, interval and owners, so that a repeat updates instead of adding', () => {
      const [first] = freezeStartNotices(
        [occurrence({ namespace: 'payments' })],
        catalog,
      );
      expect(first.key).toMatch(
        /^sentinel-freeze:w-1:2026-11-29T08:00:00.000Z:[0-9a-f]{16}$/,
      );
      expect(first.expiresAt).toEqual(new Date('2026-11-29T20:00:00.000Z'));
      expect(first.notice.payload).toEqual({
        title: 'Freeze started: Incident freeze',
        description:
          'INC-42. Until 2026-11-29T20:00:00.000Z Sentinel applies no changes to ledger, not even rollbacks.',
        link: '/catalog/default/component/ledger/sentinel',
        severity: 'normal',
        topic: 'sentinel-freeze',
        scope: first.key,
      });
      // The same owners in another interval: another notice.
      const [next] = freezeStartNotices(
        [
          {
            ...occurrence({ namespace: 'payments' }),
            start: new Date('2026-11-30T08:00:00.000Z'),
          },
        ],
        catalog,
      );
      expect(next.key).not.toBe(first.key);
    });
  });
});
