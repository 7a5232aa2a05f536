import { planTargetSchema } from '@internal/backstage-plugin-sentinel-common';
import { z } from 'zod';
import type { RolloutVerb } from '../../rollouts/actions';
import { ROLLOUT_PHASES } from '../../rollouts/rolloutPhases';
import { ROLLBACK_POLICIES } from '../../rollouts/types';
import {
  cursorParam,
  commaListParam,
  idParam,
  instant,
  limitParam,
  page,
  scopeQuery,
} from '../openapi/common';
import { defineOperation } from '../openapi/operation';

/** The rollout routes: list, read, and a person's pause, resume, promote and abort. */

const tag = 'Rollouts';
const analysisVerdict = z.enum(['pass', 'fail', 'inconclusive']);

/** A container and the image it runs. */
export const containerImageSchema = z.strictObject({
  name: z.string(),
  image: z.string(),
});

/** One check of an analyzed interval: the metric's value against its threshold. */
export const analysisMetricSchema = z.strictObject({
  name: z.string(),
  value: z.number().nullable(),
  threshold: z.number().nullable().meta({
    description:
      'The bound the value was held to (absolute, or derived from the stable value)',
  }),
  weight: z.number(),
  critical: z.boolean(),
  verdict: analysisVerdict,
  reason: z
    .string()
    .optional()
    .meta({ description: 'Why, for inconclusive and failed checks' }),
});

/** A canary or blue/green rollout. */
export const rolloutSchema = z.strictObject({
  id: z.string(),
  planId: z.string(),
  decisionIndex: z.number().int(),
  target: planTargetSchema,
  entityRef: z.string().nullable(),
  strategy: z.enum(['canary', 'bluegreen']),
  rollbackPolicy: z.enum(ROLLBACK_POLICIES as ['auto', 'manual', 'freeze']),
  phase: z.enum(ROLLOUT_PHASES),
  phaseReason: z.string(),
  stable: z.strictObject({
    image: z.string().nullable(),
    containers: z.array(containerImageSchema),
    replicas: z.number().int(),
  }),
  candidate: z.strictObject({
    workload: z.string(),
    image: z.string().nullable(),
    containers: z.array(containerImageSchema),
    replicas: z.number().int(),
  }),
  steps: z.array(
    z.strictObject({
      weight: z.number().int(),
      pauseSeconds: z.number().optional(),
      gate: z.boolean().optional(),
    }),
  ),
  currentStep: z.number().int(),
  weight: z
    .number()
    .int()
    .meta({ description: 'The candidate’s share of traffic (0-100)' }),
  health: z
    .strictObject({
      score: z.number(),
      verdict: analysisVerdict,
      reason: z.string(),
      checkedAt: instant,
      metrics: z.array(analysisMetricSchema),
    })
    .nullable(),
  deadline: instant.nullable(),
  startedAt: instant,
  updatedAt: instant,
  endedAt: instant.nullable(),
});

/** A rollout with its timeline and every analyzed interval. */
export const rolloutDetailSchema = rolloutSchema.extend({
  timeline: z.array(
    z.strictObject({
      at: instant,
      phase: z.enum(ROLLOUT_PHASES),
      actor: z.string(),
      message: z.string(),
    }),
  ),
  analyses: z.array(
    z.strictObject({
      step: z.number().int(),
      at: instant,
      score: z.number(),
      verdict: analysisVerdict,
      reason: z.string(),
      metrics: z.array(analysisMetricSchema),
    }),
  ),
});

const rolloutPath = z.object({ id: idParam('The rollout id') });

export const listRollouts = defineOperation({
  operationId: 'listRollouts',
  method: 'get',
  path: '/v1/rollouts',
  tag,
  summary: 'List rollouts',
  description:
    'Canary and blue/green rollouts, newest first. `phase` takes a comma-separated list.',
  query: z.object({
    ...scopeQuery,
    phase: commaListParam('phase', ROLLOUT_PHASES, 'Comma-separated phases'),
    cursor: cursorParam,
    limit: limitParam(200, 50),
  }),
  responses: {
    200: { description: 'Rollouts', body: page(rolloutSchema) },
    400: 'Invalid query',
    401: 'No valid credentials',
    403: 'Not allowed to read plans',
  },
});

export const getRollout = defineOperation({
  operationId: 'getRollout',
  method: 'get',
  path: '/v1/rollouts/{id}',
  tag,
  summary: 'Read a rollout',
  description:
    'One rollout with its timeline and every analyzed interval (metric, value, threshold, verdict).',
  params: rolloutPath,
  responses: {
    200: { description: 'The rollout', body: rolloutDetailSchema },
    401: 'No valid credentials',
    403: 'Not allowed to read plans',
    404: 'No such rollout',
  },
});

/** What a person can do to a rollout (rollouts/actions.ts says what each does). */
export const ROLLOUT_ACTIONS = [
  'pause',
  'resume',
  'promote',
  'abort',
] as const satisfies readonly RolloutVerb[];
type RolloutActionVerb = (typeof ROLLOUT_ACTIONS)[number];

const ACTION_DESCRIPTIONS: Record<RolloutActionVerb, string> = {
  pause:
    'Pauses a progressing rollout where it is; it aborts after sentinel.rollouts.maxPauseSeconds unless resumed or promoted.',
  resume:
    'Resumes a paused rollout: its current step again, from the candidate’s pods.',
  promote:
    'Moves a progressing or paused rollout on to its next step (the last one promotes); `full` promotes at once.',
  abort:
    'Aborts in every phase that has not ended: the candidate is removed and the stable workload restored. Recorded at once, carried out when the cluster answers.',
};

const reason = z.string().trim().min(1).max(2000).optional().meta({
  description: 'Why, on the rollout’s timeline and in the audit trail',
});

/** An action's body: unknown fields are refused, and only promote takes `full`. */
function actionBody<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.strictObject(shape, {
    error: issue => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      return issue.keys.includes('full')
        ? 'only promote takes full'
        : `is not a known field; allowed: ${Object.keys(shape).join(', ')}`;
    },
  });
}

const promoteBody = actionBody({
  reason,
  full: z.boolean().optional().meta({
    description:
      'Skip every remaining step and its analysis (admins only, audited)',
  }),
});
const otherActionBody = actionBody({ reason });

function rolloutAction<V extends RolloutActionVerb>(verb: V) {
  return defineOperation({
    operationId: `${verb}Rollout`,
    method: 'post',
    path: `/v1/rollouts/{id}/${verb}`,
    tag,
    summary: `${verb[0].toUpperCase()}${verb.slice(1)} a rollout`,
    description: ACTION_DESCRIPTIONS[verb],
    params: rolloutPath,
    body: {
      schema: verb === 'promote' ? promoteBody : otherActionBody,
      required: false,
    },
    responses: {
      202: {
        description: 'The rollout as the action left it',
        body: rolloutSchema,
      },
      400: 'Invalid request',
      401: 'No valid credentials',
      403: 'Not allowed to steer rollouts',
      404: 'No such rollout',
      409: 'The rollout is in a phase the action does not apply to',
    },
  });
}

export const rolloutActions = {
  pause: rolloutAction('pause'),
  resume: rolloutAction('resume'),
  promote: rolloutAction('promote'),
  abort: rolloutAction('abort'),
};

export const ROLLOUT_OPERATIONS = [
  listRollouts,
  getRollout,
  ...Object.values(rolloutActions),
];
