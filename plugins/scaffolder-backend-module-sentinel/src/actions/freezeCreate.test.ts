import {
  context,
  scaleCart,
  useDemoSentinel,
} from '../__testUtils__/actionHarness';
import { createFreezeCreateAction } from './freezeCreate';
import { createPlanSubmitAction } from './planSubmit';

jest.setTimeout(30_000);

const { start, replicasOf } = useDemoSentinel();

describe('sentinel:freeze:create', () => {
  it('creates a one-off freeze, and the service is frozen', async () => {
    const sentinel = await start();
    const action = createFreezeCreateAction(sentinel.deps);
    const { ctx, outputs } = context({
      name: 'Release',
      reason: 'the shop release goes out',
      scope: { cluster: 'demo', namespace: 'shop', entityRef: '' },
      // From now, for an hour.
      durationMinutes: 60,
      allowRollback: true,
    });
    await action.handler(ctx);
    expect(outputs.windowId).toEqual(expect.any(String));

    const plan = createPlanSubmitAction(sentinel.deps);
    const frozen = context({
      decisions: [scaleCart(replicasOf('cart') + 1)],
      wait: true,
    });
    await expect(plan.handler(frozen.ctx)).rejects.toThrow(
      /ended rejected: .*Release/,
    );
  });

  it('refuses a window Sentinel cannot use, saying why', async () => {
    const sentinel = await start();
    const action = createFreezeCreateAction(sentinel.deps);
    const { ctx } = context({
      name: 'Weekends',
      reason: 'no one on call',
      scope: {},
      recurrence: {
        cron: '0 16 * * 5',
        durationMinutes: 60,
        timezone: 'Mars/Olympus',
      },
      allowRollback: true,
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      /creating freeze window "Weekends": Sentinel refused \(400\): .*Mars\/Olympus/,
    );
  });
});
