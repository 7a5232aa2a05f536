import {
  PLAN_STATUSES,
  planSchema,
  planSubmissionSchema,
} from '@internal/backstage-plugin-sentinel-common';
import { z } from 'zod';
import {
  commaListParam,
  cursorParam,
  idParam,
  limitParam,
  page,
  scopeQuery,
} from '../openapi/common';
import { defineOperation } from '../openapi/operation';

/** The plan routes: submit, list, read, approve, reject, cancel. */

const tag = 'Plans';
const planPath = z.object({ id: idParam('The plan id') });
const lengthError = { error: 'must be 1 to 200 characters' };

export const submitPlan = defineOperation({
  operationId: 'submitPlan',
  method: 'post',
  path: '/v1/action-plans',
  tag,
  summary: 'Submit an action plan',
  description:
    'Validates the plan and resolves its targets, stores it and hands it to the pipeline: policy verdicts, approvals where a rule asks for them, then the changes. A rollback decision needs the right to roll its workload back; `force` needs an admin.',
  headers: z.object({
    'Idempotency-Key': z
      .string()
      .min(1, lengthError)
      .max(200, lengthError)
      .optional()
      .meta({
        description:
          'Submitting the same body again with the same key returns the stored plan (200) instead of a new one',
      }),
  }),
  body: {
    schema: planSubmissionSchema,
    required: true,
    invalid: 'Invalid plan',
  },
  responses: {
    200: {
      description:
        'The plan already submitted with this Idempotency-Key and body',
      body: planSchema,
    },
    202: {
      description: 'Accepted; the pipeline runs asynchronously',
      body: planSchema,
    },
    400: 'Invalid plan; the message names each field by path',
    401: 'No valid credentials',
    403: 'Not allowed to submit plans',
    409: 'The Idempotency-Key was used with another body',
  },
});

export const listPlans = defineOperation({
  operationId: 'listPlans',
  method: 'get',
  path: '/v1/action-plans',
  tag,
  summary: 'List plans',
  description: 'Plans the caller may read, newest first, a page at a time.',
  query: z.object({
    entityRef: scopeQuery.entityRef,
    status: commaListParam(
      'status',
      PLAN_STATUSES,
      'Comma-separated plan statuses',
    ),
    cluster: scopeQuery.cluster,
    namespace: scopeQuery.namespace,
    limit: limitParam(200, 50),
    cursor: cursorParam,
  }),
  responses: {
    200: { description: 'Plans, newest first', body: page(planSchema) },
    400: 'Invalid query',
    401: 'No valid credentials',
    403: 'Not allowed to read plans',
  },
});

export const getPlan = defineOperation({
  operationId: 'getPlan',
  method: 'get',
  path: '/v1/action-plans/{id}',
  tag,
  summary: 'Read a plan',
  description:
    'One plan with its decisions, verdicts, snapshots before and after, timeline and approvals.',
  params: planPath,
  responses: {
    200: { description: 'The plan', body: planSchema },
    401: 'No valid credentials',
    403: 'Not allowed to read this plan',
    404: 'No such plan',
  },
});

const comment = z.string().max(2000);

export const approvePlan = defineOperation({
  operationId: 'approvePlan',
  method: 'post',
  path: '/v1/action-plans/{id}/approve',
  tag,
  summary: 'Approve a plan',
  description:
    'Records the approval; the plan goes on once as many distinct people as its rules ask have approved. Whoever submitted a plan may not approve it, unless sentinel.approval.requireDistinctApprover is false.',
  params: planPath,
  body: {
    schema: z.strictObject({ comment: comment.optional() }),
    required: false,
  },
  responses: {
    200: { description: 'The plan after the change', body: planSchema },
    400: 'Invalid body',
    401: 'No valid credentials',
    403: 'Not allowed to approve this plan',
    404: 'No such plan',
    409: 'The plan is in a status that cannot be approved',
  },
});

export const rejectPlan = defineOperation({
  operationId: 'rejectPlan',
  method: 'post',
  path: '/v1/action-plans/{id}/reject',
  tag,
  summary: 'Reject a plan',
  description: 'Rejects a plan waiting for approval, with a comment on record.',
  params: planPath,
  body: {
    schema: z.strictObject({ comment: comment.min(1) }),
    required: true,
  },
  responses: {
    200: { description: 'The plan after the change', body: planSchema },
    400: 'Invalid body',
    401: 'No valid credentials',
    403: 'Not allowed to reject this plan',
    404: 'No such plan',
    409: 'The plan is in a status that cannot be rejected',
  },
});

export const cancelPlan = defineOperation({
  operationId: 'cancelPlan',
  method: 'post',
  path: '/v1/action-plans/{id}/cancel',
  tag,
  summary: 'Cancel a plan',
  description:
    'Cancels a plan that has not started (received, pending approval or approved); an executing plan is rolled back by the executor.',
  params: planPath,
  responses: {
    200: { description: 'The plan after the change', body: planSchema },
    400: 'Invalid body',
    401: 'No valid credentials',
    403: 'Not allowed to cancel this plan',
    404: 'No such plan',
    409: 'The plan is in a status that cannot be cancelled',
  },
});

export const PLAN_OPERATIONS = [
  submitPlan,
  listPlans,
  getPlan,
  approvePlan,
  rejectPlan,
  cancelPlan,
];
