import { z } from 'zod';
import { defineOperation } from '../openapi/operation';

export const getHealth = defineOperation({
  operationId: 'getHealth',
  method: 'get',
  path: '/health',
  tag: 'Health',
  summary: 'Readiness',
  description:
    'For load balancers and probes: the plan store answers and is migrated. Needs no credentials.',
  public: true,
  responses: {
    200: {
      description: 'The plan store answers',
      body: z.strictObject({
        status: z.enum(['ok']),
        clusters: z
          .array(z.string())
          .meta({ description: 'The clusters Sentinel acts on' }),
      }),
    },
    503: 'The plan store is not reachable',
  },
});

export const HEALTH_OPERATIONS = [getHealth];
