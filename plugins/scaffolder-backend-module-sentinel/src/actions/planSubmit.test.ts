import { mockCredentials } from '@backstage/backend-test-utils';
import {
  context,
  scaleCart,
  useDemoSentinel,
} from '../__testUtils__/actionHarness';
import { createPlanSubmitAction } from './planSubmit';

jest.setTimeout(30_000);

const { start, replicasOf } = useDemoSentinel();

describe('sentinel:plan:submit', () => {
  it('submits a plan as the user, waits until it is applied, and links to the tab', async () => {
    const sentinel = await start();
    const action = createPlanSubmitAction(sentinel.deps);
    const target = replicasOf('cart') + 1;
    // The target as SentinelWorkloadPicker gives it.
    const { ctx, outputs } = context({
      decisions: [
        { ...scaleCart(target), target: 'demo/shop/Deployment/cart' },
      ],
      wait: true,
    });
    await action.handler(ctx);

    expect(outputs).toMatchObject({
      status: 'succeeded',
      link: '/catalog/default/component/cart/sentinel',
      verdicts: [{ index: 0, outcome: 'allow' }],
    });
    expect(outputs.planId).toEqual(expect.any(String));
    expect(replicasOf('cart')).toBe(target);

    // A retried step submits nothing new: the same plan answers.
    const again = context({
      decisions: [
        { ...scaleCart(target), target: 'demo/shop/Deployment/cart' },
      ],
    });
    again.ctx.task = ctx.task;
    again.ctx.step = ctx.step;
    await action.handler(again.ctx);
    expect(again.outputs.planId).toBe(outputs.planId);
  });

  it('only evaluates a dry run, storing nothing', async () => {
    const sentinel = await start();
    const before = replicasOf('cart');
    const action = createPlanSubmitAction(sentinel.deps);
    const { ctx, outputs } = context({
      decisions: [scaleCart(before + 1)],
      dryRun: true,
    });
    await action.handler(ctx);
    expect(outputs.status).toBe('allow');
    expect(outputs.planId).toBeUndefined();
    expect(replicasOf('cart')).toBe(before);
  });

  it("fails a viewer's run with Sentinel's refusal naming the missing permission", async () => {
    const sentinel = await start({ allow: false });
    const action = createPlanSubmitAction(sentinel.deps);
    const { ctx } = context(
      { decisions: [scaleCart(3)] },
      mockCredentials.user('user:default/vera'),
    );
    await expect(action.handler(ctx)).rejects.toThrow(
      'submitting the plan: Sentinel refused (403): sentinel.plan.create is not allowed',
    );
  });

  it('stops waiting at the timeout while the plan waits for a person, saying where to follow it', async () => {
    const sentinel = await start({
      sentinelConfig: {
        policy: {
          rules: [
            { id: 'ask', kind: 'require_approval', reason: 'a person decides' },
          ],
        },
      },
    });
    const action = createPlanSubmitAction(sentinel.deps);
    const { ctx, outputs } = context({
      decisions: [scaleCart(replicasOf('cart') + 1)],
      wait: true,
      timeoutSeconds: 1,
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      /is still pending_approval after 1 s; it goes on without this task: follow it at \/catalog\/default\/component\/cart\/sentinel/,
    );
    expect(outputs.verdicts).toEqual([
      {
        index: 0,
        outcome: 'require_approval',
        reasons: [
          { rule: 'ask', message: expect.stringContaining('a person decides') },
        ],
      },
    ]);
  });
});
