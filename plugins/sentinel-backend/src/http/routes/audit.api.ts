import { z } from 'zod';
import { AUDIT_ACTIONS } from '../../audit/auditRecord';
import { cursorParam, instant, limitParam, page } from '../openapi/common';
import { defineOperation } from '../openapi/operation';

/** The audit trail (admins). */

const AUDIT_OUTCOMES = ['succeeded', 'refused', 'failed'] as const;

/** One entry of the audit trail: who did what to which plan or rollout, and why. */
export const auditEventSchema = z.strictObject({
  id: z.string(),
  at: instant,
  actor: z.string(),
  action: z.enum(AUDIT_ACTIONS),
  outcome: z.enum(AUDIT_OUTCOMES),
  entityRef: z.string().optional(),
  planId: z.string().optional(),
  rolloutId: z.string().optional(),
  reason: z.string().optional().meta({
    description:
      "The person's comment or reason, or why the attempt was refused",
  }),
  details: z.record(z.string(), z.unknown()).meta({
    description:
      'What else identifies the change: a workload, a version, a window, the request refused',
  }),
});

/** An ISO 8601 date-time in a query (`2026-12-01T00:00:00Z`). */
function timeParam(description: string) {
  const error = 'must be an ISO 8601 date-time';
  return z
    .string()
    .refine(
      text =>
        /^\d{4}-\d{2}-\d{2}T/.test(text) &&
        !Number.isNaN(new Date(text).getTime()),
      { error },
    )
    .transform(text => new Date(text))
    .optional()
    .meta({ description, format: 'date-time' });
}

const oneOf = (known: readonly string[]) => ({
  error: `must be one of ${known.join(', ')}`,
});

export const listAuditEvents = defineOperation({
  operationId: 'listAuditEvents',
  method: 'get',
  path: '/v1/audit',
  tag: 'Audit',
  summary: 'Read the audit trail',
  description:
    'The audit trail, newest first: every approve, reject, cancel, rollback, rollout action, policy, freeze, override and role-binding change, and every refused attempt. Admins only.',
  query: z.object({
    actor: z
      .string()
      .optional()
      .meta({ description: 'Who acted, e.g. user:default/ada' }),
    entityRef: z.string().optional(),
    cursor: cursorParam,
    action: z.enum(AUDIT_ACTIONS, oneOf(AUDIT_ACTIONS)).optional(),
    outcome: z.enum(AUDIT_OUTCOMES, oneOf(AUDIT_OUTCOMES)).optional(),
    from: timeParam('Entries at or after this time'),
    to: timeParam('Entries before this time'),
    limit: limitParam(500, 100),
  }),
  responses: {
    200: {
      description: 'Audit events, newest first',
      body: page(auditEventSchema),
    },
    400: 'Invalid query',
    401: 'No valid credentials',
    403: 'Not allowed to read the audit trail (admin)',
  },
});

export const AUDIT_OPERATIONS = [listAuditEvents];
