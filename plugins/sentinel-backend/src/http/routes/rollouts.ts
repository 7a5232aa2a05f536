import { NotFoundError } from '@backstage/errors';
import {
  planReadPermission,
  policyUpdatePermission,
  rolloutManagePermission,
} from '@internal/backstage-plugin-sentinel-common';
import type express from 'express';
import type {
  RolloutAction,
  RolloutStore,
} from '../../rollouts/store/RolloutStore';
import { rolloutView } from '../../rollouts/rolloutView';
import { actorOf } from '../../audit/auditRecord';
import type { ApiRouter } from '../apiRouter';
import type { RouteSupport } from '../routeSupport';
import {
  getRollout,
  listRollouts,
  ROLLOUT_ACTIONS,
  rolloutActions,
  type RolloutActionVerb,
} from './rollouts.api';

/** What a person sends with an action (only promote takes `full`). */
interface ActionBody {
  reason?: string;
  full?: boolean;
}

/** What each person's action does to a rollout, from which phases. */
function actionFor(
  verb: RolloutActionVerb,
  body: ActionBody,
  actor: string,
  maxPauseMs: number,
): RolloutAction {
  const at = new Date();
  const why = body.reason ? `: ${body.reason}` : '';
  switch (verb) {
    case 'pause':
      return {
        to: 'paused',
        from: ['progressing'],
        actor,
        at,
        message: `paused by ${actor}${why}; aborts at ${new Date(
          at.getTime() + maxPauseMs,
        ).toISOString()} unless resumed or promoted`,
        patch: {
          stage: 'hold',
          stageStartedAt: at,
          phaseDeadlineAt: new Date(at.getTime() + maxPauseMs),
        },
      };
    case 'resume':
      return {
        to: 'progressing',
        from: ['paused'],
        actor,
        at,
        message: `resumed by ${actor}${why}`,
        // Resumed at a manual gate: on to the next step; elsewhere the step again.
        patch: current => ({
          stage: current.stage === 'gate' ? 'advance' : 'resume',
          stageStartedAt: at,
          phaseDeadlineAt: null,
        }),
      };
    case 'promote':
      return body.full
        ? {
            to: 'promoting',
            from: ['progressing', 'paused'],
            actor,
            at,
            message: `promoted fully by ${actor}, skipping the remaining steps and their analysis${why}`,
            patch: {
              stage: 'create',
              stageStartedAt: at,
              phaseDeadlineAt: null,
              attempts: 0,
            },
          }
        : {
            to: 'progressing',
            from: ['progressing', 'paused'],
            actor,
            at,
            message: `promoted to the next step by ${actor}${why}`,
            patch: {
              stage: 'advance',
              stageStartedAt: at,
              phaseDeadlineAt: null,
            },
          };
    default:
      return {
        to: 'aborting',
        from: ['pending', 'progressing', 'paused', 'promoting'],
        actor,
        at,
        message: `aborting: aborted by ${actor}${why}`,
        patch: {
          stage: 'undo',
          stageStartedAt: at,
          attempts: 0,
          phaseDeadlineAt: null,
        },
      };
  }
}

/** The rollout routes (rollouts.api.ts). */
export function addRolloutRoutes(
  api: ApiRouter,
  store: RolloutStore,
  options: { maxPauseMs: number; wake: (id: string) => void },
  { credentials, authorize, listAccess, audited }: RouteSupport,
) {
  api.route(listRollouts, async ({ req, input, reply }) => {
    const { filter: access } = await listAccess(req, planReadPermission);
    const { limit, cursor, ...filter } = input.query();
    const page = await store.list(filter, { limit, cursor }, access);
    reply(200, {
      items: page.items.map(r => rolloutView(r)),
      nextCursor: page.nextCursor,
    });
  });

  // A rollout is its plan's: who may read or steer the plan may read or steer the rollout.
  const rolloutOf = async (req: express.Request, id: string) => {
    await credentials(req);
    const rollout = await store.get(id);
    if (!rollout) throw new NotFoundError(`rollout ${id} not found`);
    return rollout;
  };

  api.route(getRollout, async ({ req, input, reply }) => {
    const rollout = await rolloutOf(req, input.params.id);
    await authorize(req, planReadPermission, rollout.planId);
    const [timeline, analyses] = await Promise.all([
      store.timeline(rollout.id),
      store.analyses(rollout.id),
    ]);
    // With its detail, the view has the timeline and the analyses.
    const view = rolloutView(rollout, { timeline, analyses });
    reply(200, view as Required<typeof view>);
  });

  for (const verb of ROLLOUT_ACTIONS) {
    api.route(rolloutActions[verb], async ({ req, input, reply }) => {
      const { id } = input.params;
      await audited(req, `rollout-${verb}`, { rolloutId: id }, async () => {
        await credentials(req);
        const body = input.body() as ActionBody;
        const { planId } = await rolloutOf(req, id);
        const caller = await authorize(req, rolloutManagePermission, planId);
        if (body.full) {
          // Skipping the analysis is an admin's call.
          await authorize(req, policyUpdatePermission);
        }
        const rollout = await store.act(id, {
          ...actionFor(verb, body, actorOf(caller), options.maxPauseMs),
          audit: { action: `rollout.${verb}`, reason: body.reason },
        });
        if (!rollout) throw new NotFoundError(`rollout ${id} not found`);
        options.wake(id);
        reply(202, rolloutView(rollout));
      });
    });
  }
}
