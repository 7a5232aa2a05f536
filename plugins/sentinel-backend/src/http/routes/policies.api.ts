import {
  planSubmissionSchema,
  policyDocumentSchema,
  policyEvaluationSchema,
} from '@internal/backstage-plugin-sentinel-common';
import { z } from 'zod';
import { instant, limitParam, list } from '../openapi/common';
import { defineOperation } from '../openapi/operation';

/** The policy document, its history and dry runs. */

const tag = 'Policies';

/** One stored version of the policy document, who saved it and when. */
export const policyVersionSchema = z.strictObject({
  version: z.number().int(),
  document: policyDocumentSchema,
  changedBy: z.string(),
  changedAt: instant,
});

export const getPolicy = defineOperation({
  operationId: 'getPolicy',
  method: 'get',
  path: '/v1/policies',
  tag,
  summary: 'Read the policy document',
  responses: {
    200: {
      description: 'The policy document in force, with its version',
      body: policyDocumentSchema,
    },
    401: 'No valid credentials',
    403: 'Not allowed to read policies',
  },
});

export const replacePolicy = defineOperation({
  operationId: 'replacePolicy',
  method: 'put',
  path: '/v1/policies',
  tag,
  summary: 'Replace the policy document',
  description:
    'Replaces the whole document. Send the version you read; a newer one in store is a 409.',
  body: {
    schema: policyDocumentSchema,
    required: true,
    invalid: 'Invalid policy',
  },
  responses: {
    200: {
      description: 'The stored document with its new version',
      body: policyDocumentSchema,
    },
    400: 'Invalid document; the message names each field by path',
    401: 'No valid credentials',
    403: 'Not allowed to change policies (admin)',
    409: 'Another version was saved since the one sent',
  },
});

export const getPolicyHistory = defineOperation({
  operationId: 'getPolicyHistory',
  method: 'get',
  path: '/v1/policies/history',
  tag,
  summary: 'Read earlier policy documents',
  query: z.object({ limit: limitParam(200, 50) }),
  responses: {
    200: {
      description: 'Versions, newest first, with who changed them and when',
      body: list(policyVersionSchema),
    },
    400: 'Invalid query',
    401: 'No valid credentials',
    403: 'Not allowed to read policies',
  },
});

export const evaluatePolicy = defineOperation({
  operationId: 'evaluatePolicy',
  method: 'post',
  path: '/v1/policies/evaluate',
  tag,
  summary: 'Evaluate a plan (dry run)',
  description:
    'A dry run: the verdicts a submission of this plan would get now; nothing is stored.',
  body: {
    schema: planSubmissionSchema,
    required: true,
    invalid: 'Invalid plan',
  },
  responses: {
    200: { description: 'The verdicts', body: policyEvaluationSchema },
    400: 'Invalid plan',
    401: 'No valid credentials',
    403: 'Not allowed to read policies',
  },
});

export const dryRunPolicy = defineOperation({
  operationId: 'dryRunPolicy',
  method: 'post',
  path: '/v1/policies/dry-run',
  tag,
  summary: 'Evaluate a plan under a draft policy',
  description:
    'The verdicts a plan would get under a draft policy document, with the live freezes, changes and workloads; nothing is stored.',
  body: {
    schema: z.strictObject({
      policy: policyDocumentSchema,
      plan: planSubmissionSchema,
    }),
    required: true,
  },
  responses: {
    200: {
      description: 'The verdicts under the draft',
      body: policyEvaluationSchema,
    },
    400: 'Invalid draft or plan (fields named under policy. and plan.)',
    401: 'No valid credentials',
    403: 'Not allowed to read policies',
  },
});

export const POLICY_OPERATIONS = [
  getPolicy,
  replacePolicy,
  getPolicyHistory,
  evaluatePolicy,
  dryRunPolicy,
];
