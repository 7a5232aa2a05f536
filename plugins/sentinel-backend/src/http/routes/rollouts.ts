import { NotFoundError } from '@backstage/errors';
import {
  planReadPermission,
  policyUpdatePermission,
  rolloutManagePermission,
} from '@internal/backstage-plugin-sentinel-common';
import type express from 'express';
import { z } from 'zod';
import { invalid } from '../../plans/PlanService';
import {
  ROLLOUT_PHASES,
  type RolloutPhase,
} from '../../rollouts/rolloutPhases';
import type {
  RolloutAction,
  RolloutStore,
} from '../../rollouts/store/RolloutStore';
import { rolloutView } from '../../rollouts/rolloutView';
import { actorOf } from '../../audit/auditRecord';
import { intParam, one, parseBody, type RouteSupport } from '../routeSupport';

const actionBody = z.strictObject({
  reason: z.string().trim().min(1).max(2000).optional(),
  /** promote only: skip every remaining step and its analysis (admins). */
  full: z.boolean().optional(),
});

type Verb = 'pause' | 'resume' | 'promote' | 'abort';

/** What each person's action does to a rollout, from which phases. */
function actionFor(
  verb: Verb,
  body: z.infer<typeof actionBody>,
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

function parsePhases(text: string | undefined): RolloutPhase[] | undefined {
  const phases = text?.split(',').filter(Boolean);
  const unknown = phases?.filter(
    p => !(ROLLOUT_PHASES as readonly string[]).includes(p),
  );
  if (unknown?.length) {
    throw invalid('Invalid query', [
      {
        path: 'phase',
        message: `unknown phase ${unknown.join(
          ', ',
        )}; known: ${ROLLOUT_PHASES.join(', ')}`,
      },
    ]);
  }
  return phases as RolloutPhase[] | undefined;
}

/** The rollout routes of API-CONTRACT.md: list, get, pause, resume, promote, abort. */
export function addRolloutRoutes(
  router: express.Router,
  store: RolloutStore,
  options: { maxPauseMs: number; wake: (id: string) => void },
  { credentials, authorize, listAccess, audited }: RouteSupport,
) {
  router.get('/v1/rollouts', async (req, res) => {
    const { filter: access } = await listAccess(req, planReadPermission);
    const limit = intParam(req.query.limit, 'limit', {
      min: 1,
      max: 200,
      default: 50,
    });
    const page = await store.list(
      {
        entityRef: one(req.query.entityRef, 'entityRef'),
        cluster: one(req.query.cluster, 'cluster'),
        namespace: one(req.query.namespace, 'namespace'),
        phase: parsePhases(one(req.query.phase, 'phase')),
      },
      { limit, cursor: one(req.query.cursor, 'cursor') },
      access,
    );
    res.json({
      items: page.items.map(r => rolloutView(r)),
      nextCursor: page.nextCursor,
    });
  });

  // A rollout is its plan's: who may read or steer the plan may read or steer the rollout.
  const rolloutOf = async (req: express.Request) => {
    await credentials(req);
    const rollout = await store.get(req.params.id);
    if (!rollout) throw new NotFoundError(`rollout ${req.params.id} not found`);
    return rollout;
  };

  router.get('/v1/rollouts/:id', async (req, res) => {
    const rollout = await rolloutOf(req);
    await authorize(req, planReadPermission, rollout.planId);
    const [timeline, analyses] = await Promise.all([
      store.timeline(rollout.id),
      store.analyses(rollout.id),
    ]);
    res.json(rolloutView(rollout, { timeline, analyses }));
  });

  for (const verb of ['pause', 'resume', 'promote', 'abort'] as const) {
    router.post(`/v1/rollouts/:id/${verb}`, async (req, res) => {
      const { id } = req.params;
      await audited(req, `rollout-${verb}`, { rolloutId: id }, async () => {
        await credentials(req);
        const body = parseBody(actionBody, req.body);
        if (body.full && verb !== 'promote') {
          throw invalid('Invalid request', [
            { path: 'full', message: 'only promote takes full' },
          ]);
        }
        const { planId } = await rolloutOf(req);
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
        res.status(202).json(rolloutView(rollout));
      });
    });
  }
}
