import {
  planSchema,
  WORKLOAD_KINDS,
} from '@internal/backstage-plugin-sentinel-common';
import { z } from 'zod';
import { ROLLOUT_PHASES } from '../../rollouts/rolloutPhases';
import { cursorParam, limitParam, page, scopeQuery } from '../openapi/common';
import { defineOperation } from '../openapi/operation';

/** The workload routes: the inventory, and rolling a workload back. */

const tag = 'Workloads';

/** A workload from the list+watch inventory, with its rollout in flight and last change. */
export const workloadSchema = z.strictObject({
  cluster: z.string(),
  namespace: z.string(),
  kind: z.enum(WORKLOAD_KINDS),
  name: z.string(),
  entityRef: z.string().nullable().meta({
    description:
      'The catalog entity that manages it; null: none yet (include=unmanaged)',
  }),
  replicas: z.strictObject({
    desired: z.number().int(),
    ready: z.number().int(),
  }),
  containers: z.array(
    z.strictObject({
      name: z.string(),
      image: z.string(),
      resources: z.record(z.string(), z.unknown()),
    }),
  ),
  health: z
    .strictObject({
      score: z.number(),
      verdict: z.enum(['pass', 'fail', 'inconclusive']),
    })
    .nullable()
    .meta({
      description: 'What the analysis of the rollout in flight last scored',
    }),
  lastPlanId: z.string().nullable().meta({
    description:
      'The newest plan whose decision reached this workload (applied, rolled back or failed)',
  }),
  rollout: z
    .strictObject({
      id: z.string(),
      phase: z.enum(ROLLOUT_PHASES),
      weight: z.number().int(),
    })
    .nullable()
    .meta({ description: 'The canary or blue/green rollout in flight' }),
});

export const listWorkloads = defineOperation({
  operationId: 'listWorkloads',
  method: 'get',
  path: '/v1/workloads',
  tag,
  summary: 'List workloads',
  description:
    'Managed workloads from the list+watch inventory, ordered by cluster/namespace/Kind/name. With include=unmanaged, also the workloads no catalog entity lists yet (entityRef null), for callers who may read every workload: to put a service under Sentinel.',
  query: z.object({
    ...scopeQuery,
    cursor: cursorParam,
    include: z
      .enum(['unmanaged'], { error: "must be 'unmanaged' when given" })
      .optional()
      .meta({
        description: 'unmanaged: also the workloads no catalog entity lists',
      }),
    limit: limitParam(500, 100),
  }),
  responses: {
    200: { description: 'Workloads', body: page(workloadSchema) },
    400: 'Invalid query',
    401: 'No valid credentials',
    403: 'Not allowed to read workloads',
  },
});

const pathPart = (description: string) => z.string().meta({ description });

export const rollbackWorkload = defineOperation({
  operationId: 'rollbackWorkload',
  method: 'post',
  path: '/v1/workloads/{cluster}/{namespace}/{kind}/{name}/rollback',
  tag,
  summary: 'Roll a workload back',
  description:
    'Restores the workload as it was before the last change Sentinel applied to it, as a plan of its own (linked to what it undoes). A workload changed since by someone else (drift) is rolled back only when an admin forces it.',
  params: z.object({
    cluster: pathPart('A configured cluster'),
    namespace: pathPart('The namespace'),
    kind: pathPart(`${WORKLOAD_KINDS.join(' or ')}`),
    name: pathPart('The workload name'),
  }),
  body: {
    schema: z.strictObject({
      reason: z.string().min(1).max(2000),
      force: z.boolean().optional().meta({
        description: 'Restore over changes made since (drift); admins only',
      }),
    }),
    required: true,
  },
  responses: {
    202: {
      description: 'The rollback plan, linked to what it undoes',
      body: planSchema,
    },
    400: 'Invalid workload or nothing to roll back',
    401: 'No valid credentials',
    403: 'Not allowed to roll this workload back',
  },
});

export const WORKLOAD_OPERATIONS = [listWorkloads, rollbackWorkload];
