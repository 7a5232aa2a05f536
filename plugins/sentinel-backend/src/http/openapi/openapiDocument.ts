import {
  activeFreezeWindowSchema,
  freezeOverrideSchema,
  freezeWindowInputSchema,
  freezeWindowSchema,
  planApprovalSchema,
  planDecisionSchema,
  planEventSchema,
  planSchema,
  planSubmissionSchema,
  policyDocumentSchema,
  policyEvaluationSchema,
  policyScopeSchema,
  roleBindingsSchema,
  verdictSchema,
  workloadSnapshotSchema,
} from '@internal/backstage-plugin-sentinel-common';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi';
import { roleBindingsInputSchema } from '../../access/RoleBindingStore';
import { SENTINEL_OPERATIONS } from '../operations';
import { auditEventSchema } from '../routes/audit.api';
import {
  analysisMetricSchema,
  containerImageSchema,
  rolloutDetailSchema,
  rolloutSchema,
} from '../routes/rollouts.api';
import { workloadSchema } from '../routes/workloads.api';
import { errorSchema } from './common';
import type { AnyOperation, Responses } from './operation';

/*
 * Sentinel's OpenAPI document, generated from the operations the router serves (operations.ts)
 * and the zod schemas it validates with. `openapi.yaml` next to this file is this document,
 * written by `yarn generate:openapi`; the typed client in sentinel-common is generated from it.
 */

/** Shapes named in the document (and in the generated client's `components['schemas']`). */
const COMPONENTS = {
  PlanSubmission: planSubmissionSchema,
  PolicyDocument: policyDocumentSchema,
  PolicyScope: policyScopeSchema,
  FreezeWindowInput: freezeWindowInputSchema,
  RoleBindingsInput: roleBindingsInputSchema,
  RoleBindings: roleBindingsSchema,
  AuditEvent: auditEventSchema,
  FreezeWindow: freezeWindowSchema,
  ActiveFreezeWindow: activeFreezeWindowSchema,
  FreezeOverride: freezeOverrideSchema,
  PolicyEvaluation: policyEvaluationSchema,
  Verdict: verdictSchema,
  PlanDecision: planDecisionSchema,
  WorkloadSnapshot: workloadSnapshotSchema,
  Workload: workloadSchema,
  Rollout: rolloutSchema,
  RolloutDetail: rolloutDetailSchema,
  ContainerImage: containerImageSchema,
  AnalysisMetric: analysisMetricSchema,
  PlanEvent: planEventSchema,
  PlanApproval: planApprovalSchema,
  Plan: planSchema,
  Error: errorSchema,
};

const json = (schema: unknown) => ({
  'application/json': { schema },
});

function responsesOf(operation: AnyOperation): ZodOpenApiResponsesObject {
  return Object.fromEntries(
    Object.entries(operation.responses as Responses).map(
      ([status, response]) => [
        status,
        typeof response === 'string'
          ? { description: response, content: json(errorSchema) }
          : {
              description: response.description,
              ...(response.body && { content: json(response.body) }),
            },
      ],
    ),
  ) as ZodOpenApiResponsesObject;
}

function operationObject(operation: AnyOperation): ZodOpenApiOperationObject {
  const { params, query, headers, body } = operation;
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    ...(operation.description && { description: operation.description }),
    tags: [operation.tag],
    ...(operation.public && { security: [] }),
    ...((params || query || headers) && {
      requestParams: {
        ...(params && { path: params }),
        ...(query && { query }),
        ...(headers && { header: headers }),
      },
    }),
    ...(body && {
      requestBody: { required: body.required, content: json(body.schema) },
    }),
    responses: responsesOf(operation),
  } as ZodOpenApiOperationObject;
}

/**
 * What zod writes that the document does not need: the regular expression behind every
 * date-time (the format says it) and JavaScript's safe-integer bounds on every integer.
 */
function tidy({ jsonSchema }: { jsonSchema: Record<string, unknown> }) {
  if (jsonSchema.format === 'date-time') delete jsonSchema.pattern;
  if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
  if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
}

/** A parameter's description once, on the parameter (zod-openapi also copies it to its schema). */
function describeParametersOnce(document: OpenApiDocument): OpenApiDocument {
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      for (const parameter of (operation as { parameters?: any[] })
        .parameters ?? []) {
        if (parameter.schema?.description === parameter.description) {
          delete parameter.schema.description;
        }
      }
    }
  }
  return document;
}

type OpenApiDocument = ReturnType<typeof createDocument>;

export function buildOpenApiDocument(): OpenApiDocument {
  const paths: ZodOpenApiPathsObject = {};
  for (const operation of SENTINEL_OPERATIONS) {
    paths[operation.path] = {
      ...paths[operation.path],
      [operation.method]: operationObject(operation),
    };
  }
  const document = createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'Sentinel',
        version: '1',
        description:
          'The safety layer between an infrastructure optimizer and Kubernetes. All paths are under /api/sentinel. Errors carry Backstage’s error body (`Error`); a 400 names each offending field by its path and the rule it breaks.',
      },
      servers: [{ url: '/api/sentinel' }],
      security: [{ bearer: [] }],
      tags: [
        { name: 'Health' },
        { name: 'Plans', description: 'Action plans and their decisions' },
        { name: 'Policies', description: 'The policy document and dry runs' },
        {
          name: 'Freezes',
          description: 'Change-freeze windows and break-glass overrides',
        },
        { name: 'Audit', description: 'Who did what, and every refusal' },
        { name: 'Access', description: 'Who holds which Sentinel role' },
        { name: 'Workloads', description: 'The managed workloads' },
        {
          name: 'Rollouts',
          description: 'Canary and blue/green rollouts, and steering them',
        },
      ],
      paths,
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'A Backstage user token, or the optimizer’s external-access token',
          },
        },
        schemas: COMPONENTS,
      },
    },
    { override: tidy },
  );
  return describeParametersOnce(document);
}
