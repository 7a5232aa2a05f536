import { context, useDemoSentinel } from '../__testUtils__/actionHarness';
import { createPlanSubmitAction } from './planSubmit';
import { createRolloutControlAction } from './rolloutControl';

jest.setTimeout(30_000);

const { start } = useDemoSentinel();

describe('sentinel:rollout:control', () => {
  it('aborts the canary a plan started, found by the plan', async () => {
    const sentinel = await start();
    const submit = createPlanSubmitAction(sentinel.deps);
    const release = context({
      decisions: [
        {
          verb: 'rollout',
          target: { namespace: 'shop', name: 'cart' },
          params: {
            containers: { app: { image: 'shop/cart:2.0.0' } },
            strategy: 'canary',
          },
        },
      ],
    });
    await submit.handler(release.ctx);
    const control = createRolloutControlAction(sentinel.deps);
    const { ctx, outputs } = context({
      planId: release.outputs.planId,
      action: 'abort',
      reason: 'called off',
    });
    // The rollout starts once the plan runs.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await control.handler(ctx);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise(r => setTimeout(r, 100));
      }
    }
    expect(['aborting', 'aborted']).toContain(outputs.phase);
  });
});
