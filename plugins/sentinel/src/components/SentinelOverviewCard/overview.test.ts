import { mockApis } from '@backstage/frontend-test-utils';
import { sentinelTranslationRef } from '../../translation';
import { overview } from './overview';

// The English messages, as the app shows them without a translation resource.
const english = mockApis.translation().getTranslation(sentinelTranslationRef);
if (!english.ready) throw new Error('the mock translation API is always ready');
const { t } = english;

const plan = (verb: string, name: string, updatedAt: string) =>
  ({
    decisions: [{ verb, target: { name } }],
    updatedAt,
  } as any);

describe('overview', () => {
  it('says a quiet service is quiet', () => {
    expect(
      overview(
        {
          freezes: [{ frozen: false, window: null } as any],
          pending: [],
          workloads: [{ name: 'cart', rollout: null } as any],
          lastChange: undefined,
          now: new Date(),
        },
        t,
      ),
    ).toEqual({
      freeze: 'Not frozen',
      rollouts: 'No rollout in flight',
      approvals: 'No plan waits for approval',
      lastChange: 'No change applied yet',
    });
  });

  it('names the freeze, the rollouts in flight, the waiting plans and the last change', () => {
    const summary = overview(
      {
        freezes: [
          {
            frozen: true,
            window: {
              name: 'Weekend freeze',
              activeUntil: '2026-11-30T06:00:00Z',
            },
          } as any,
        ],
        pending: [plan('scale', 'cart', ''), plan('scale', 'cart', '')],
        workloads: [
          {
            name: 'cart',
            rollout: { phase: 'progressing', weight: 25 },
          } as any,
        ],
        lastChange: plan('rollout', 'cart', '2026-11-28T10:00:00Z'),
        now: new Date(),
      },
      t,
    );
    expect(summary.freeze).toMatch(/^Frozen until .*: Weekend freeze$/);
    expect(summary.rollouts).toBe('cart: progressing, 25 %');
    expect(summary.approvals).toBe('2 plans wait for approval');
    expect(summary.lastChange).toMatch(/^rollout cart, /);
  });

  it('says one waiting plan in the singular', () => {
    const summary = overview(
      {
        freezes: [],
        pending: [plan('scale', 'cart', '')],
        workloads: [],
        lastChange: undefined,
        now: new Date(),
      },
      t,
    );
    expect(summary.approvals).toBe('1 plan waits for approval');
  });
});
