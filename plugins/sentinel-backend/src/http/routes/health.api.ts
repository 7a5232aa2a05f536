import { z } from 'zod';
import { defineOperation } from '../openapi/operation';

export const getHealth = defineOperation({
  operationId: 'getHealth',
  method: 'get',
  path: '/health',
  tag: 'Health',
  summary: 'Readiness',
  description:
    'For load balancers and readiness probes: the whole backend has started and is not stopping, and the plan store answers and is migrated. Needs no credentials.',
  public: true,
  responses: {
    200: {
      description: 'The replica may take traffic',
      body: z.strictObject({
        status: z.enum(['ok']),
        clusters: z
          .array(z.string())
          .meta({ description: 'The clusters Sentinel acts on' }),
        warnings: z.array(z.string()).optional().meta({
          description:
            'What is degraded while the replica still serves, e.g. Vault sealed or unreachable while the secrets held are still valid (docs/security.md); absent when all is well',
        }),
      }),
    },
    503: 'Not ready: the backend is starting, failed to start or is stopping, the plan store is not reachable, or the database credentials from Vault have ended (the error message says which)',
  },
});

export const HEALTH_OPERATIONS = [getHealth];
