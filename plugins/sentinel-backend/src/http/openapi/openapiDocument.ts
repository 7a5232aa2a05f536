import {
  freezeWindowInputSchema,
  PLAN_STATUSES,
  policyDocumentSchema,
  SENTINEL_ROLES,
  policyScopeSchema,
  planSubmissionSchema,
  VERBS,
} from '@internal/backstage-plugin-sentinel-common';
import { z } from 'zod';
import { ROLLOUT_PHASES } from '../../rollouts/rolloutPhases';
import { AUDIT_ACTIONS } from '../../audit/auditRecord';
import { roleBindingsInputSchema } from '../../access/RoleBindingStore';

/*
 * The OpenAPI document of Sentinel's HTTP API (API-CONTRACT.md). The request schema of plan
 * submission is derived from the zod schema the server validates with, so the spec cannot
 * drift from the server; `openapi.yaml` next to this file is this document, written out by
 * `yarn generate:openapi`, and the typed client in sentinel-common is generated from it.
 */

/** What each person's action on a rollout does. */
const ROLLOUT_ACTIONS = {
  pause:
    'Pauses a progressing rollout where it is; it aborts after sentinel.rollouts.maxPauseSeconds unless resumed or promoted.',
  resume:
    'Resumes a paused rollout: its current step again, from the candidate’s pods.',
  promote:
    'Moves a progressing or paused rollout on to its next step (the last one promotes); `full` promotes at once.',
  abort:
    'Aborts in every phase that has not ended: the candidate is removed and the stable workload restored. Recorded at once, carried out when the cluster answers.',
} as const;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A request schema derived from the zod schema the server validates with. */
const fromZod = (schema: z.ZodType) => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
};

const json = (schema: object) => ({ 'application/json': { schema } });

const errorResponse = (description: string) => ({
  description,
  content: json(ref('Error')),
});

const planId = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string' },
};

// OpenAPI 3.1 (JSON Schema 2020-12): null is a type of its own.
const nullable = (schema: {
  type?: string;
  $ref?: string;
  [key: string]: unknown;
}) =>
  schema.$ref
    ? { anyOf: [schema, { type: 'null' }] }
    : { ...schema, type: [schema.type, 'null'] };

const target = {
  type: 'object',
  required: ['cluster', 'namespace', 'kind', 'name'],
  properties: {
    cluster: { type: 'string' },
    namespace: { type: 'string' },
    kind: { type: 'string', enum: ['Deployment', 'StatefulSet'] },
    name: { type: 'string' },
  },
};

export function buildOpenApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sentinel',
      version: '1',
      description:
        'The safety layer between an infrastructure optimizer and Kubernetes. All paths are under /api/sentinel.',
    },
    servers: [{ url: '/api/sentinel' }],
    security: [{ bearer: [] }],
    paths: {
      '/health': {
        get: {
          operationId: 'getHealth',
          security: [],
          responses: {
            '200': {
              description: 'The plan store answers',
              content: json({
                type: 'object',
                required: ['status', 'clusters'],
                properties: {
                  status: { type: 'string', enum: ['ok'] },
                  clusters: { type: 'array', items: { type: 'string' } },
                },
              }),
            },
            '503': errorResponse('The plan store is not reachable'),
          },
        },
      },
      '/v1/action-plans': {
        post: {
          operationId: 'submitPlan',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', minLength: 1, maxLength: 200 },
            },
          ],
          requestBody: { required: true, content: json(ref('PlanSubmission')) },
          responses: {
            '200': {
              description:
                'The plan already submitted with this Idempotency-Key and body',
              content: json(ref('Plan')),
            },
            '202': {
              description: 'Accepted; the pipeline runs asynchronously',
              content: json(ref('Plan')),
            },
            '400': errorResponse(
              'Invalid plan; the message names each field by path',
            ),
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to submit plans'),
            '409': errorResponse(
              'The Idempotency-Key was used with another body',
            ),
            '413': errorResponse('The body is larger than 256 kB'),
          },
        },
        get: {
          operationId: 'listPlans',
          parameters: [
            { name: 'entityRef', in: 'query', schema: { type: 'string' } },
            {
              name: 'status',
              in: 'query',
              description: 'Comma-separated plan statuses',
              schema: { type: 'string' },
            },
            { name: 'cluster', in: 'query', schema: { type: 'string' } },
            { name: 'namespace', in: 'query', schema: { type: 'string' } },
            {
              name: 'limit',
              in: 'query',
              schema: {
                type: 'integer',
                minimum: 1,
                maximum: 200,
                default: 50,
              },
            },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'Plans, newest first',
              content: json({
                type: 'object',
                required: ['items', 'nextCursor'],
                properties: {
                  items: { type: 'array', items: ref('Plan') },
                  nextCursor: nullable({ type: 'string' }),
                },
              }),
            },
            '400': errorResponse('Invalid query'),
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to read plans'),
          },
        },
      },
      '/v1/action-plans/{id}': {
        get: {
          operationId: 'getPlan',
          parameters: [planId],
          responses: {
            '200': { description: 'The plan', content: json(ref('Plan')) },
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to read this plan'),
            '404': errorResponse('No such plan'),
          },
        },
      },
      ...Object.fromEntries(
        (
          [
            [
              'approve',
              'approvePlan',
              { comment: { type: 'string', maxLength: 2000 } },
              [],
            ],
            [
              'reject',
              'rejectPlan',
              { comment: { type: 'string', minLength: 1, maxLength: 2000 } },
              ['comment'],
            ],
            ['cancel', 'cancelPlan', undefined, []],
          ] as const
        ).map(([action, operationId, properties, required]) => [
          `/v1/action-plans/{id}/${action}`,
          {
            post: {
              operationId,
              parameters: [planId],
              ...(properties && {
                requestBody: {
                  required: required.length > 0,
                  content: json({
                    type: 'object',
                    additionalProperties: false,
                    required: [...required],
                    properties,
                  }),
                },
              }),
              responses: {
                '200': {
                  description: 'The plan after the change',
                  content: json(ref('Plan')),
                },
                '400': errorResponse('Invalid body'),
                '401': errorResponse('No valid credentials'),
                '403': errorResponse(`Not allowed to ${action} this plan`),
                '404': errorResponse('No such plan'),
                '409': errorResponse(
                  `The plan is in a status that cannot be ${action}ed`,
                ),
              },
            },
          },
        ]),
      ),
      '/v1/policies': {
        get: {
          operationId: 'getPolicy',
          responses: {
            '200': {
              description: 'The policy document in force, with its version',
              content: json(ref('PolicyDocument')),
            },
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to read policies'),
          },
        },
        put: {
          operationId: 'replacePolicy',
          description:
            'Replaces the whole document. Send the version you read; a newer one in store is a 409.',
          requestBody: { required: true, content: json(ref('PolicyDocument')) },
          responses: {
            '200': {
              description: 'The stored document with its new version',
              content: json(ref('PolicyDocument')),
            },
            '400': errorResponse(
              'Invalid document; the message names each field by path',
            ),
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to change policies (admin)'),
            '409': errorResponse(
              'Another version was saved since the one sent',
            ),
          },
        },
      },
      '/v1/policies/history': {
        get: {
          operationId: 'getPolicyHistory',
          parameters: [
            {
              name: 'limit',
              in: 'query',
              schema: {
                type: 'integer',
                minimum: 1,
                maximum: 200,
                default: 50,
              },
            },
          ],
          responses: {
            '200': {
              description:
                'Versions, newest first, with who changed them and when',
              content: json({
                type: 'object',
                required: ['items'],
                properties: {
                  items: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: [
                        'version',
                        'document',
                        'changedBy',
                        'changedAt',
                      ],
                      properties: {
                        version: { type: 'integer' },
                        document: ref('PolicyDocument'),
                        changedBy: { type: 'string' },
                        changedAt: { type: 'string', format: 'date-time' },
                      },
                    },
                  },
                },
              }),
            },
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to read policies'),
          },
        },
      },
      '/v1/policies/evaluate': {
        post: {
          operationId: 'evaluatePolicy',
          description:
            'A dry run: the verdicts a submission of this plan would get now; nothing is stored.',
          requestBody: { required: true, content: json(ref('PlanSubmission')) },
          responses: {
            '200': {
              description: 'The verdicts',
              content: json(ref('PolicyEvaluation')),
            },
            '400': errorResponse('Invalid plan'),
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to read policies'),
          },
        },
      },
      '/v1/policies/dry-run': {
        post: {
          operationId: 'dryRunPolicy',
          description:
            'The verdicts a plan would get under a draft policy document, with the live freezes, changes and workloads; nothing is stored.',
          requestBody: {
            required: true,
            content: json({
              type: 'object',
              additionalProperties: false,
              required: ['policy', 'plan'],
              properties: {
                policy: ref('PolicyDocument'),
                plan: ref('PlanSubmission'),
              },
            }),
          },
          responses: {
            '200': {
              description: 'The verdicts under the draft',
              content: json(ref('PolicyEvaluation')),
            },
            '400': errorResponse(
              'Invalid draft (fields named under policy.) or invalid plan',
            ),
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to read policies'),
          },
        },
      },
      '/v1/freeze-windows': {
        get: {
          operationId: 'listFreezeWindows',
          responses: {
            '200': {
              description: 'Every freeze window',
              content: json({
                type: 'object',
                required: ['items'],
                properties: {
                  items: { type: 'array', items: ref('FreezeWindow') },
                },
              }),
            },
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to read policies'),
          },
        },
        post: {
          operationId: 'createFreezeWindow',
          requestBody: {
            required: true,
            content: json(ref('FreezeWindowInput')),
          },
          responses: {
            '201': {
              description: 'The stored window',
              content: json(ref('FreezeWindow')),
            },
            '400': errorResponse(
              'Invalid window (bad cron, unknown time zone, end before start)',
            ),
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to manage freezes (admin)'),
          },
        },
      },
      '/v1/freeze-windows/{id}': {
        delete: {
          operationId: 'deleteFreezeWindow',
          parameters: [
            {
              name: 'id',
              in: 'path',
              required: true,
              schema: { type: 'string' },
            },
          ],
          responses: {
            '204': { description: 'Deleted' },
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to manage freezes (admin)'),
            '404': errorResponse('No such window'),
          },
        },
      },
      '/v1/freeze-status': {
        get: {
          operationId: 'getFreezeStatus',
          parameters: ['entityRef', 'cluster', 'namespace'].map(name => ({
            name,
            in: 'query',
            schema: { type: 'string' },
          })),
          responses: {
            '200': {
              description:
                'Whether changes are frozen now, by which window, and the next window',
              content: json({
                type: 'object',
                required: ['frozen', 'window', 'nextWindow', 'override'],
                properties: {
                  frozen: { type: 'boolean' },
                  window: nullable(ref('ActiveFreezeWindow')),
                  nextWindow: nullable(ref('ActiveFreezeWindow')),
                  override: nullable(ref('FreezeOverride')),
                },
              }),
            },
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to read policies'),
          },
        },
      },
      '/v1/freeze-calendar': {
        get: {
          operationId: 'getFreezeCalendar',
          description:
            'Every interval of every freeze window in a period (recurrences resolved in their time zone): from now for 28 days unless from/to say otherwise, at most 62 days.',
          parameters: ['from', 'to'].map(name => ({
            name,
            in: 'query',
            schema: { type: 'string', format: 'date-time' },
          })),
          responses: {
            '200': {
              description: 'The intervals, ordered by start',
              content: json({
                type: 'object',
                required: ['from', 'to', 'items'],
                properties: {
                  from: { type: 'string', format: 'date-time' },
                  to: { type: 'string', format: 'date-time' },
                  items: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: [
                        'windowId',
                        'name',
                        'reason',
                        'scope',
                        'allowRollback',
                        'recurring',
                        'start',
                        'end',
                      ],
                      properties: {
                        windowId: { type: 'string' },
                        name: { type: 'string' },
                        reason: { type: 'string' },
                        scope: ref('PolicyScope'),
                        allowRollback: { type: 'boolean' },
                        recurring: { type: 'boolean' },
                        start: { type: 'string', format: 'date-time' },
                        end: { type: 'string', format: 'date-time' },
                      },
                    },
                  },
                },
              }),
            },
            '400': errorResponse('Invalid from or to'),
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to read policies'),
          },
        },
      },
      '/v1/freeze-overrides': {
        get: {
          operationId: 'listFreezeOverrides',
          responses: {
            '200': {
              description: 'Break-glass overrides in force, newest first',
              content: json({
                type: 'object',
                required: ['items'],
                properties: {
                  items: { type: 'array', items: ref('FreezeOverride') },
                },
              }),
            },
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to read policies'),
          },
        },
        post: {
          operationId: 'breakGlass',
          description:
            'Lifts freeze windows in a scope for at most 240 minutes, with a reason on record.',
          requestBody: {
            required: true,
            content: json({
              type: 'object',
              additionalProperties: false,
              required: ['reason', 'durationMinutes'],
              properties: {
                scope: ref('PolicyScope'),
                reason: { type: 'string', minLength: 1, maxLength: 1000 },
                durationMinutes: { type: 'integer', minimum: 1, maximum: 240 },
              },
            }),
          },
          responses: {
            '201': {
              description: 'The override',
              content: json(ref('FreezeOverride')),
            },
            '400': errorResponse('Invalid override'),
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to manage freezes (admin)'),
          },
        },
      },
      '/v1/audit': {
        get: {
          operationId: 'listAuditEvents',
          description:
            'The audit trail, newest first: every approve, reject, cancel, rollback, rollout action, policy, freeze, override and role-binding change, and every refused attempt. Admins only.',
          parameters: [
            ...['actor', 'entityRef', 'cursor'].map(name => ({
              name,
              in: 'query',
              schema: { type: 'string' },
            })),
            {
              name: 'action',
              in: 'query',
              schema: { type: 'string', enum: [...AUDIT_ACTIONS] },
            },
            {
              name: 'outcome',
              in: 'query',
              schema: {
                type: 'string',
                enum: ['succeeded', 'refused', 'failed'],
              },
            },
            ...['from', 'to'].map(name => ({
              name,
              in: 'query',
              schema: { type: 'string', format: 'date-time' },
            })),
            {
              name: 'limit',
              in: 'query',
              schema: {
                type: 'integer',
                minimum: 1,
                maximum: 500,
                default: 100,
              },
            },
          ],
          responses: {
            '200': {
              description: 'Audit events, newest first',
              content: json({
                type: 'object',
                required: ['items', 'nextCursor'],
                properties: {
                  items: { type: 'array', items: ref('AuditEvent') },
                  nextCursor: nullable({ type: 'string' }),
                },
              }),
            },
            '400': errorResponse('Invalid query'),
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to read the audit trail (admin)'),
          },
        },
      },
      '/v1/rbac/bindings': {
        get: {
          operationId: 'getRoleBindings',
          description:
            'Who holds which Sentinel role: the version in force. Admins, and the permission backend.',
          responses: {
            '200': {
              description: 'The role bindings in force',
              content: json(ref('RoleBindings')),
            },
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to manage role bindings (admin)'),
          },
        },
        put: {
          operationId: 'putRoleBindings',
          description:
            'Saves a new version of the role bindings; every replica decides with it within seconds. `version` must be the one read (409 otherwise); a change that leaves no admin is refused.',
          requestBody: {
            required: true,
            content: json(ref('RoleBindingsInput')),
          },
          responses: {
            '200': {
              description: 'The saved version',
              content: json(ref('RoleBindings')),
            },
            '400': errorResponse('Invalid bindings, or no admin left'),
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to manage role bindings (admin)'),
            '409': errorResponse('Another admin saved a newer version'),
          },
        },
      },
      '/v1/rbac/bindings/history': {
        get: {
          operationId: 'getRoleBindingsHistory',
          parameters: [
            {
              name: 'limit',
              in: 'query',
              schema: {
                type: 'integer',
                minimum: 1,
                maximum: 200,
                default: 50,
              },
            },
          ],
          responses: {
            '200': {
              description: 'Versions, newest first',
              content: json({
                type: 'object',
                required: ['items'],
                properties: {
                  items: { type: 'array', items: ref('RoleBindings') },
                },
              }),
            },
            '400': errorResponse('Invalid query'),
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to manage role bindings (admin)'),
          },
        },
      },
      '/v1/workloads': {
        get: {
          operationId: 'listWorkloads',
          description:
            'Managed workloads from the list+watch inventory, ordered by cluster/namespace/Kind/name. With include=unmanaged, also the workloads no catalog entity lists yet (entityRef null), for callers who may read every workload: to put a service under Sentinel.',
          parameters: [
            ...['entityRef', 'cluster', 'namespace', 'cursor'].map(name => ({
              name,
              in: 'query',
              schema: { type: 'string' },
            })),
            {
              name: 'include',
              in: 'query',
              schema: { type: 'string', enum: ['unmanaged'] },
            },
            {
              name: 'limit',
              in: 'query',
              schema: {
                type: 'integer',
                minimum: 1,
                maximum: 500,
                default: 100,
              },
            },
          ],
          responses: {
            '200': {
              description: 'Workloads',
              content: json({
                type: 'object',
                required: ['items', 'nextCursor'],
                properties: {
                  items: { type: 'array', items: ref('Workload') },
                  nextCursor: nullable({ type: 'string' }),
                },
              }),
            },
            '400': errorResponse('Invalid query'),
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to read workloads'),
          },
        },
      },
      '/v1/workloads/{cluster}/{namespace}/{kind}/{name}/rollback': {
        post: {
          operationId: 'rollbackWorkload',
          parameters: ['cluster', 'namespace', 'kind', 'name'].map(name => ({
            name,
            in: 'path',
            required: true,
            schema: { type: 'string' },
          })),
          requestBody: {
            required: true,
            content: json({
              type: 'object',
              additionalProperties: false,
              required: ['reason'],
              properties: {
                reason: { type: 'string', minLength: 1, maxLength: 2000 },
                force: {
                  type: 'boolean',
                  description:
                    'Restore over changes made since (drift); admins only',
                },
              },
            }),
          },
          responses: {
            '202': {
              description: 'The rollback plan, linked to what it undoes',
              content: json(ref('Plan')),
            },
            '400': errorResponse('Invalid workload or nothing to roll back'),
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to roll this workload back'),
          },
        },
      },
      '/v1/rollouts': {
        get: {
          operationId: 'listRollouts',
          description:
            'Canary and blue/green rollouts, newest first. `phase` takes a comma-separated list.',
          parameters: [
            ...['entityRef', 'cluster', 'namespace', 'phase', 'cursor'].map(
              name => ({ name, in: 'query', schema: { type: 'string' } }),
            ),
            {
              name: 'limit',
              in: 'query',
              schema: {
                type: 'integer',
                minimum: 1,
                maximum: 200,
                default: 50,
              },
            },
          ],
          responses: {
            '200': {
              description: 'Rollouts',
              content: json({
                type: 'object',
                required: ['items', 'nextCursor'],
                properties: {
                  items: { type: 'array', items: ref('Rollout') },
                  nextCursor: nullable({ type: 'string' }),
                },
              }),
            },
            '400': errorResponse('Invalid query'),
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to read plans'),
          },
        },
      },
      '/v1/rollouts/{id}': {
        get: {
          operationId: 'getRollout',
          description:
            'One rollout with its timeline and every analyzed interval (metric, value, threshold, verdict).',
          parameters: [planId],
          responses: {
            '200': {
              description: 'The rollout',
              content: json(ref('RolloutDetail')),
            },
            '401': errorResponse('No valid credentials'),
            '403': errorResponse('Not allowed to read plans'),
            '404': errorResponse('No such rollout'),
          },
        },
      },
      ...Object.fromEntries(
        (['pause', 'resume', 'promote', 'abort'] as const).map(verb => [
          `/v1/rollouts/{id}/${verb}`,
          {
            post: {
              operationId: `${verb}Rollout`,
              description: ROLLOUT_ACTIONS[verb],
              parameters: [planId],
              requestBody: {
                required: false,
                content: json({
                  type: 'object',
                  additionalProperties: false,
                  properties: {
                    reason: { type: 'string', minLength: 1, maxLength: 2000 },
                    ...(verb === 'promote' && {
                      full: {
                        type: 'boolean',
                        description:
                          'Skip every remaining step and its analysis (admins only, audited)',
                      },
                    }),
                  },
                }),
              },
              responses: {
                '202': {
                  description: 'The rollout as the action left it',
                  content: json(ref('Rollout')),
                },
                '400': errorResponse('Invalid request'),
                '401': errorResponse('No valid credentials'),
                '403': errorResponse('Not allowed to steer rollouts'),
                '404': errorResponse('No such rollout'),
                '409': errorResponse(
                  'The rollout is in a phase the action does not apply to',
                ),
              },
            },
          },
        ]),
      ),
    },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A Backstage user token, or the optimizer’s external-access token',
        },
      },
      schemas: {
        PlanSubmission: fromZod(planSubmissionSchema),
        PolicyDocument: fromZod(policyDocumentSchema),
        PolicyScope: fromZod(policyScopeSchema),
        FreezeWindowInput: fromZod(freezeWindowInputSchema),
        RoleBindingsInput: fromZod(roleBindingsInputSchema),
        RoleBindings: {
          type: 'object',
          required: [
            'version',
            'roles',
            'defaultRole',
            'updatedBy',
            'updatedAt',
            'comment',
          ],
          properties: {
            version: { type: 'integer' },
            roles: {
              type: 'object',
              required: [...SENTINEL_ROLES],
              properties: Object.fromEntries(
                SENTINEL_ROLES.map(role => [
                  role,
                  { type: 'array', items: { type: 'string' } },
                ]),
              ),
            },
            defaultRole: nullable({
              type: 'string',
              enum: [...SENTINEL_ROLES],
            }),
            updatedBy: { type: 'string' },
            updatedAt: { type: 'string', format: 'date-time' },
            comment: nullable({ type: 'string' }),
          },
        },
        AuditEvent: {
          type: 'object',
          required: ['id', 'at', 'actor', 'action', 'outcome', 'details'],
          properties: {
            id: { type: 'string' },
            at: { type: 'string', format: 'date-time' },
            actor: { type: 'string' },
            action: { type: 'string', enum: [...AUDIT_ACTIONS] },
            outcome: {
              type: 'string',
              enum: ['succeeded', 'refused', 'failed'],
            },
            entityRef: { type: 'string' },
            planId: { type: 'string' },
            rolloutId: { type: 'string' },
            reason: {
              type: 'string',
              description:
                "The person's comment or reason, or why the attempt was refused",
            },
            details: {
              type: 'object',
              additionalProperties: true,
              description:
                'What else identifies the change: a workload, a version, a window, the request refused',
            },
          },
        },
        FreezeWindow: {
          allOf: [
            ref('FreezeWindowInput'),
            {
              type: 'object',
              required: ['id', 'createdBy', 'createdAt'],
              properties: {
                id: { type: 'string' },
                createdBy: { type: 'string' },
                createdAt: { type: 'string', format: 'date-time' },
              },
            },
          ],
        },
        ActiveFreezeWindow: {
          allOf: [
            ref('FreezeWindow'),
            {
              type: 'object',
              required: ['activeFrom', 'activeUntil'],
              properties: {
                activeFrom: { type: 'string', format: 'date-time' },
                activeUntil: { type: 'string', format: 'date-time' },
              },
            },
          ],
        },
        FreezeOverride: {
          type: 'object',
          required: [
            'id',
            'scope',
            'reason',
            'createdBy',
            'createdAt',
            'expiresAt',
          ],
          properties: {
            id: { type: 'string' },
            scope: ref('PolicyScope'),
            reason: { type: 'string' },
            createdBy: { type: 'string' },
            createdAt: { type: 'string', format: 'date-time' },
            expiresAt: { type: 'string', format: 'date-time' },
          },
        },
        PolicyEvaluation: {
          type: 'object',
          required: ['outcome', 'decisions'],
          properties: {
            outcome: {
              type: 'string',
              enum: ['allow', 'require_approval', 'deny'],
            },
            decisions: {
              type: 'array',
              items: {
                type: 'object',
                required: ['index', 'verdict'],
                properties: {
                  index: { type: 'integer' },
                  verdict: ref('Verdict'),
                },
              },
            },
          },
        },
        Verdict: {
          type: 'object',
          required: ['outcome', 'reasons'],
          properties: {
            outcome: {
              type: 'string',
              enum: ['allow', 'require_approval', 'deny'],
            },
            reasons: {
              type: 'array',
              items: {
                type: 'object',
                required: ['rule', 'message'],
                properties: {
                  rule: { type: 'string' },
                  message: { type: 'string' },
                  approvers: {
                    type: 'integer',
                    minimum: 1,
                    description:
                      'How many distinct people must approve (a require_approval rule)',
                  },
                },
              },
            },
          },
        },
        PlanDecision: {
          type: 'object',
          required: [
            'index',
            'verb',
            'target',
            'params',
            'rationale',
            'confidence',
            'entityRef',
            'verdict',
            'status',
            'before',
            'after',
            'error',
          ],
          properties: {
            index: { type: 'integer' },
            verb: { type: 'string', enum: [...VERBS] },
            target,
            params: { type: 'object', additionalProperties: true },
            rationale: nullable({ type: 'string' }),
            confidence: nullable({ type: 'number' }),
            entityRef: nullable({ type: 'string' }),
            verdict: nullable(ref('Verdict')),
            status: {
              type: 'string',
              enum: [
                'pending',
                'applying',
                'rolling_out',
                'succeeded',
                'failed',
                'rolled_back',
                'simulated',
                'skipped',
              ],
            },
            before: nullable(ref('WorkloadSnapshot')),
            after: nullable(ref('WorkloadSnapshot')),
            error: nullable({ type: 'string' }),
          },
        },
        WorkloadSnapshot: {
          type: 'object',
          description:
            'A workload as Sentinel read it: what a rollback restores',
          required: ['ref', 'resourceVersion', 'replicas', 'containers'],
          properties: {
            ref: target,
            resourceVersion: { type: 'string' },
            replicas: { type: 'integer' },
            containers: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name', 'image', 'resources'],
                properties: {
                  name: { type: 'string' },
                  image: { type: 'string' },
                  resources: {
                    type: 'object',
                    properties: Object.fromEntries(
                      ['requests', 'limits'].map(k => [
                        k,
                        {
                          type: 'object',
                          properties: {
                            cpu: { type: 'string' },
                            memory: { type: 'string' },
                          },
                        },
                      ]),
                    ),
                  },
                },
              },
            },
            restartedAt: { type: 'string' },
          },
        },
        Workload: {
          type: 'object',
          required: [
            'cluster',
            'namespace',
            'kind',
            'name',
            'entityRef',
            'replicas',
            'containers',
            'health',
            'lastPlanId',
            'rollout',
          ],
          properties: {
            cluster: { type: 'string' },
            namespace: { type: 'string' },
            kind: { type: 'string', enum: ['Deployment', 'StatefulSet'] },
            name: { type: 'string' },
            entityRef: nullable({ type: 'string' }),
            replicas: {
              type: 'object',
              required: ['desired', 'ready'],
              properties: {
                desired: { type: 'integer' },
                ready: { type: 'integer' },
              },
            },
            containers: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name', 'image', 'resources'],
                properties: {
                  name: { type: 'string' },
                  image: { type: 'string' },
                  resources: { type: 'object', additionalProperties: true },
                },
              },
            },
            health: nullable({
              type: 'object',
              description:
                'What the analysis of the rollout in flight last scored',
              required: ['score', 'verdict'],
              properties: {
                score: { type: 'number' },
                verdict: {
                  type: 'string',
                  enum: ['pass', 'fail', 'inconclusive'],
                },
              },
            }),
            lastPlanId: nullable({ type: 'string' }),
            rollout: nullable({
              type: 'object',
              description: 'The canary or blue/green rollout in flight',
              required: ['id', 'phase', 'weight'],
              properties: {
                id: { type: 'string' },
                phase: { type: 'string', enum: [...ROLLOUT_PHASES] },
                weight: { type: 'integer' },
              },
            }),
          },
        },
        Rollout: {
          type: 'object',
          required: [
            'id',
            'planId',
            'decisionIndex',
            'target',
            'entityRef',
            'strategy',
            'rollbackPolicy',
            'phase',
            'phaseReason',
            'stable',
            'candidate',
            'steps',
            'currentStep',
            'weight',
            'health',
            'deadline',
            'startedAt',
            'updatedAt',
            'endedAt',
          ],
          properties: {
            id: { type: 'string' },
            planId: { type: 'string' },
            decisionIndex: { type: 'integer' },
            target: {
              type: 'object',
              required: ['cluster', 'namespace', 'kind', 'name'],
              properties: {
                cluster: { type: 'string' },
                namespace: { type: 'string' },
                kind: { type: 'string' },
                name: { type: 'string' },
              },
            },
            entityRef: nullable({ type: 'string' }),
            strategy: { type: 'string', enum: ['canary', 'bluegreen'] },
            rollbackPolicy: {
              type: 'string',
              enum: ['auto', 'manual', 'freeze'],
            },
            phase: { type: 'string', enum: [...ROLLOUT_PHASES] },
            phaseReason: { type: 'string' },
            stable: {
              type: 'object',
              required: ['image', 'containers', 'replicas'],
              properties: {
                image: nullable({ type: 'string' }),
                containers: { type: 'array', items: ref('ContainerImage') },
                replicas: { type: 'integer' },
              },
            },
            candidate: {
              type: 'object',
              required: ['workload', 'image', 'containers', 'replicas'],
              properties: {
                workload: { type: 'string' },
                image: nullable({ type: 'string' }),
                containers: { type: 'array', items: ref('ContainerImage') },
                replicas: { type: 'integer' },
              },
            },
            steps: {
              type: 'array',
              items: {
                type: 'object',
                required: ['weight'],
                properties: {
                  weight: { type: 'integer' },
                  pauseSeconds: { type: 'number' },
                  gate: { type: 'boolean' },
                },
              },
            },
            currentStep: { type: 'integer' },
            weight: {
              type: 'integer',
              description: 'The candidate’s share of traffic (0-100)',
            },
            health: nullable({
              type: 'object',
              required: ['score', 'verdict', 'reason', 'checkedAt', 'metrics'],
              properties: {
                score: { type: 'number' },
                verdict: {
                  type: 'string',
                  enum: ['pass', 'fail', 'inconclusive'],
                },
                reason: { type: 'string' },
                checkedAt: { type: 'string', format: 'date-time' },
                metrics: { type: 'array', items: ref('AnalysisMetric') },
              },
            }),
            deadline: nullable({ type: 'string', format: 'date-time' }),
            startedAt: { type: 'string', format: 'date-time' },
            updatedAt: { type: 'string', format: 'date-time' },
            endedAt: nullable({ type: 'string', format: 'date-time' }),
          },
        },
        RolloutDetail: {
          allOf: [
            ref('Rollout'),
            {
              type: 'object',
              required: ['timeline', 'analyses'],
              properties: {
                timeline: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['at', 'phase', 'actor', 'message'],
                    properties: {
                      at: { type: 'string', format: 'date-time' },
                      phase: { type: 'string', enum: [...ROLLOUT_PHASES] },
                      actor: { type: 'string' },
                      message: { type: 'string' },
                    },
                  },
                },
                analyses: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: [
                      'step',
                      'at',
                      'score',
                      'verdict',
                      'reason',
                      'metrics',
                    ],
                    properties: {
                      step: { type: 'integer' },
                      at: { type: 'string', format: 'date-time' },
                      score: { type: 'number' },
                      verdict: {
                        type: 'string',
                        enum: ['pass', 'fail', 'inconclusive'],
                      },
                      reason: { type: 'string' },
                      metrics: { type: 'array', items: ref('AnalysisMetric') },
                    },
                  },
                },
              },
            },
          ],
        },
        ContainerImage: {
          type: 'object',
          required: ['name', 'image'],
          properties: { name: { type: 'string' }, image: { type: 'string' } },
        },
        AnalysisMetric: {
          type: 'object',
          required: [
            'name',
            'value',
            'threshold',
            'weight',
            'critical',
            'verdict',
          ],
          properties: {
            name: { type: 'string' },
            value: nullable({ type: 'number' }),
            threshold: nullable({ type: 'number' }),
            weight: { type: 'number' },
            critical: { type: 'boolean' },
            verdict: { type: 'string', enum: ['pass', 'fail', 'inconclusive'] },
            reason: { type: 'string' },
          },
        },
        PlanEvent: {
          type: 'object',
          required: ['at', 'status', 'actor', 'message'],
          properties: {
            at: { type: 'string', format: 'date-time' },
            status: { type: 'string', enum: [...PLAN_STATUSES] },
            actor: { type: 'string' },
            message: { type: 'string' },
          },
        },
        PlanApproval: {
          type: 'object',
          required: ['by', 'at', 'comment'],
          properties: {
            by: { type: 'string', description: 'The approver' },
            at: { type: 'string', format: 'date-time' },
            comment: nullable({ type: 'string' }),
          },
        },
        Plan: {
          type: 'object',
          required: [
            'id',
            'source',
            'mode',
            'status',
            'statusReason',
            'createdAt',
            'updatedAt',
            'submittedBy',
            'rollbackOf',
            'decisions',
            'timeline',
            'approvals',
            'approvalsRequired',
          ],
          properties: {
            id: { type: 'string' },
            source: { type: 'string' },
            mode: { type: 'string', enum: ['enforce', 'shadow'] },
            status: { type: 'string', enum: [...PLAN_STATUSES] },
            statusReason: nullable({ type: 'string' }),
            createdAt: { type: 'string', format: 'date-time' },
            updatedAt: { type: 'string', format: 'date-time' },
            submittedBy: { type: 'string' },
            rollbackOf: nullable({ type: 'string' }),
            decisions: { type: 'array', items: ref('PlanDecision') },
            timeline: { type: 'array', items: ref('PlanEvent') },
            approvals: {
              type: 'array',
              items: ref('PlanApproval'),
              description: 'Who approved, when, with which comment, in order',
            },
            approvalsRequired: {
              type: 'integer',
              minimum: 1,
              description:
                'Distinct approvers the plan needs (the most any require_approval rule asks)',
            },
          },
        },
        Error: {
          type: 'object',
          required: ['error', 'request', 'response'],
          properties: {
            error: {
              type: 'object',
              required: ['name', 'message'],
              properties: {
                name: { type: 'string' },
                message: { type: 'string' },
              },
            },
            request: {
              type: 'object',
              properties: {
                method: { type: 'string' },
                url: { type: 'string' },
              },
            },
            response: {
              type: 'object',
              properties: { statusCode: { type: 'integer' } },
            },
          },
        },
      },
    },
  };
}
