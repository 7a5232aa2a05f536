import { NotFoundError } from '@backstage/errors';
import {
  planReadPermission,
  policyUpdatePermission,
  rolloutManagePermission,
} from '@internal/backstage-plugin-sentinel-common';
import type express from 'express';
import { personAction, type RolloutRequest } from '../../rollouts/actions';
import type { RolloutStore } from '../../rollouts/store/RolloutStore';
import { rolloutView } from '../../rollouts/rolloutView';
import { actorOf } from '../../audit/auditRecord';
import type { ApiRouter } from '../apiRouter';
import type { RouteSupport } from '../routeSupport';
import {
  getRollout,
  listRollouts,
  ROLLOUT_ACTIONS,
  rolloutActions,
} from './rollouts.api';

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
        // Only promote's schema has `full`.
        const body: RolloutRequest = input.body();
        const { planId } = await rolloutOf(req, id);
        const caller = await authorize(req, rolloutManagePermission, planId);
        if (body.full) {
          // Skipping the analysis is an admin's call.
          await authorize(req, policyUpdatePermission);
        }
        const rollout = await store.act(id, {
          ...personAction(verb, body, actorOf(caller), {
            maxPauseMs: options.maxPauseMs,
            at: new Date(),
          }),
          audit: { action: `rollout.${verb}`, reason: body.reason },
        });
        if (!rollout) throw new NotFoundError(`rollout ${id} not found`);
        options.wake(id);
        reply(202, rolloutView(rollout));
      });
    });
  }
}
