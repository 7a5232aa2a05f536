import { InputError, NotFoundError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  calling,
  sentinelAs,
  type SentinelCallerDeps,
} from '../sentinelCaller';
import { rolloutControlExamples } from './rolloutControl.examples';

const IN_FLIGHT = 'pending,progressing,paused,promoting,aborting';

/**
 * `sentinel:rollout:control`: pauses, resumes, promotes or aborts a canary or blue/green
 * rollout, found by its id or by its plan, as the user who runs the template.
 *
 * @public
 */
export function createRolloutControlAction(deps: SentinelCallerDeps) {
  return createTemplateAction({
    id: 'sentinel:rollout:control',
    description:
      'Pauses, resumes, promotes (one step) or aborts a Sentinel rollout, given its id or the plan that started it',
    examples: rolloutControlExamples,
    schema: {
      input: {
        action: z => z.enum(['pause', 'resume', 'promote', 'abort']),
        rolloutId: z => z.string({ description: 'The rollout' }).optional(),
        planId: z =>
          z
            .string({
              description: 'Or the plan whose rollout in flight to act on',
            })
            .optional(),
        reason: z =>
          z
            .string({ description: 'Recorded in the rollout timeline' })
            .max(1000)
            .optional(),
      },
      output: {
        rolloutId: z => z.string(),
        phase: z =>
          z.string({ description: "The rollout's phase after the action" }),
      },
    },
    async handler(ctx) {
      const { action, planId, reason } = ctx.input;
      if (!ctx.input.rolloutId === !planId) {
        throw new InputError('give either rolloutId or planId');
      }
      const sentinel = await sentinelAs(
        deps,
        await ctx.getInitiatorCredentials(),
      );
      let rolloutId = ctx.input.rolloutId;
      if (!rolloutId) {
        const plan = await calling(`reading plan ${planId}`, () =>
          sentinel.getPlan(planId!),
        );
        const entityRef = plan.decisions[0]?.entityRef ?? undefined;
        const { items } = await calling('listing rollouts', () =>
          sentinel.listRollouts({
            ...(entityRef ? { entityRef } : {}),
            phase: IN_FLIGHT,
            limit: 100,
          }),
        );
        rolloutId = items.find(r => r.planId === planId)?.id;
        if (!rolloutId) {
          throw new NotFoundError(`plan ${planId} has no rollout in flight`);
        }
      }
      const rollout = await calling(`${action} of rollout ${rolloutId}`, () =>
        sentinel.actOnRollout(rolloutId!, action, reason),
      );
      ctx.logger.info(
        `Rollout ${rollout.id}: ${action} accepted, now ${rollout.phase}`,
      );
      ctx.output('rolloutId', rollout.id);
      ctx.output('phase', rollout.phase);
    },
  });
}
