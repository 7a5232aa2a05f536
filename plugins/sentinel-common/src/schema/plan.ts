/**
 * A plan as the API returns it (GET /v1/action-plans/{id} and every plan route), its decisions,
 * verdicts, snapshots, timeline and approvals, and a policy evaluation. The server's OpenAPI
 * document is generated from these schemas; the types in `plans.ts` are inferred from them.
 */
import { z } from 'zod';
import { WORKLOAD_KINDS } from '../annotations';
import { PLAN_STATUSES, VERBS } from '../plans';

/** An instant as the server writes it (ISO 8601, UTC). */
const instant = z.iso.datetime({ offset: true });

/**
 * What the policy engine can decide about a decision, or a plan.
 *
 * @public
 */
export const VERDICT_OUTCOMES = ['allow', 'require_approval', 'deny'] as const;

/**
 * The statuses of one decision within a plan.
 *
 * @public
 */
export const DECISION_STATUSES = [
  'pending',
  'applying',
  'rolling_out',
  'succeeded',
  'failed',
  'rolled_back',
  'simulated',
  'skipped',
] as const;

/**
 * Why a policy rule decided as it did, in words a person can act on.
 *
 * @public
 */
export const verdictReasonSchema = z.strictObject({
  rule: z.string().meta({ description: 'The id of the rule that decided' }),
  message: z.string(),
  approvers: z.number().int().min(1).optional().meta({
    description:
      'How many distinct people must approve (a require_approval rule)',
  }),
});

/**
 * The policy engine's verdict on one decision.
 *
 * @public
 */
export const verdictSchema = z.strictObject({
  outcome: z.enum(VERDICT_OUTCOMES),
  reasons: z.array(verdictReasonSchema),
});

/**
 * The workload a decision changes, with defaults applied (the cluster and kind resolved).
 *
 * @public
 */
export const planTargetSchema = z.strictObject({
  cluster: z.string(),
  namespace: z.string(),
  kind: z.enum(WORKLOAD_KINDS),
  name: z.string(),
});

const quantities = z.strictObject({
  cpu: z.string().optional(),
  memory: z.string().optional(),
});

/**
 * A workload as Sentinel read it: what a rollback restores.
 *
 * @public
 */
export const workloadSnapshotSchema = z
  .strictObject({
    ref: planTargetSchema,
    resourceVersion: z.string(),
    replicas: z.number().int(),
    containers: z.array(
      z.strictObject({
        name: z.string(),
        image: z.string(),
        resources: z.strictObject({
          requests: quantities.optional(),
          limits: quantities.optional(),
        }),
      }),
    ),
    restartedAt: z.string().optional().meta({
      description:
        "The pod template's restartedAt annotation, as `kubectl rollout restart` sets it",
    }),
  })
  .meta({
    description: 'A workload as Sentinel read it: what a rollback restores',
  });

/**
 * One decision of a plan as the API returns it.
 *
 * @public
 */
export const planDecisionSchema = z.strictObject({
  index: z.number().int(),
  verb: z.enum(VERBS),
  target: planTargetSchema,
  params: z.record(z.string(), z.unknown()),
  rationale: z.string().nullable(),
  confidence: z.number().nullable(),
  entityRef: z.string().nullable().meta({
    description: 'The catalog entity that manages the target workload',
  }),
  verdict: verdictSchema.nullable(),
  status: z.enum(DECISION_STATUSES),
  before: workloadSnapshotSchema.nullable(),
  after: workloadSnapshotSchema.nullable(),
  error: z.string().nullable(),
});

/**
 * One entry of a plan's timeline.
 *
 * @public
 */
export const planEventSchema = z.strictObject({
  at: instant,
  status: z.enum(PLAN_STATUSES),
  actor: z.string(),
  message: z.string(),
});

/**
 * One person's approval of a plan.
 *
 * @public
 */
export const planApprovalSchema = z.strictObject({
  by: z.string().meta({ description: 'The approver' }),
  at: instant,
  comment: z.string().nullable(),
});

/**
 * An action plan as the API returns it.
 *
 * @public
 */
export const planSchema = z.strictObject({
  id: z.string(),
  source: z.string(),
  mode: z.enum(['enforce', 'shadow']),
  status: z.enum(PLAN_STATUSES),
  statusReason: z.string().nullable(),
  createdAt: instant,
  updatedAt: instant,
  submittedBy: z.string(),
  rollbackOf: z.string().nullable().meta({
    description: 'The plan a rollback plan undoes',
  }),
  decisions: z.array(planDecisionSchema),
  timeline: z.array(planEventSchema),
  approvals: z.array(planApprovalSchema).meta({
    description: 'Who approved, when, with which comment, in order',
  }),
  approvalsRequired: z.number().int().min(1).meta({
    description:
      'Distinct approvers the plan needs (the most any require_approval rule asks)',
  }),
});

/**
 * The verdicts a plan gets: one per decision, and the strictest as the plan's outcome.
 *
 * @public
 */
export const policyEvaluationSchema = z.strictObject({
  outcome: z.enum(VERDICT_OUTCOMES),
  decisions: z.array(
    z.strictObject({ index: z.number().int(), verdict: verdictSchema }),
  ),
});
