/**
 * The policy document (GET/PUT /v1/policies) and freeze windows (POST /v1/freeze-windows):
 * what admins write, validated with messages a person can act on.
 */
import { z } from 'zod';
import { VERBS } from '../plans';

const ruleId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, {
  error: 'must be 1 to 63 lowercase letters, digits or "-"',
});

/**
 * Which decisions a rule, exception or freeze window applies to; empty means all.
 *
 * @public
 */
export const policyScopeSchema = z.strictObject({
  cluster: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  /** A catalog entity ref, e.g. component:default/cart. */
  entityRef: z.string().min(1).optional(),
  /** Labels the decision's catalog entity must all carry (metadata.labels). */
  labels: z.record(z.string(), z.string()).optional(),
});
/**
 * Which decisions a rule, exception or freeze window applies to; empty means all.
 *
 * @public
 */
export type PolicyScope = z.infer<typeof policyScopeSchema>;

const scope = policyScopeSchema.optional();
const verbs = z.array(z.enum(VERBS)).min(1);
const quantityRange = z.strictObject({
  min: z.string().optional(),
  max: z.string().optional(),
});

/**
 * One rule of the policy document, by `kind`: allowed verbs, replica and resource bounds, rate
 * and blast-radius limits, plan size, confidence and required approvals.
 *
 * @public
 */
export const policyRuleSchema = z.discriminatedUnion('kind', [
  /** Decisions may only use these verbs (deny otherwise). */
  z.strictObject({
    id: ruleId,
    kind: z.literal('allowed_verbs'),
    scope,
    verbs,
  }),
  /** Bounds on the replicas a `scale` asks for, and on the step from the current count. */
  z.strictObject({
    id: ruleId,
    kind: z.literal('replica_bounds'),
    scope,
    min: z.number().int().min(0).optional(),
    max: z.number().int().min(0).optional(),
    /** Largest absolute change of replicas in one decision. */
    maxStep: z.number().int().min(1).optional(),
    /** Largest relative change in one decision, in percent of the current count. */
    maxStepPercent: z.number().positive().optional(),
  }),
  /** Bounds on cpu/memory requests and limits a `set_resources` asks for. */
  z.strictObject({
    id: ruleId,
    kind: z.literal('resource_bounds'),
    scope,
    cpu: quantityRange.optional(),
    memory: quantityRange.optional(),
    /** Largest ratio between new and current value (either direction), e.g. 2 = at most double or half. */
    maxChangeRatio: z.number().gt(1).optional(),
  }),
  /** At most `max` applied changes per workload, namespace or in total within the window. */
  z.strictObject({
    id: ruleId,
    kind: z.literal('rate_limit'),
    scope,
    per: z.enum(['workload', 'namespace', 'global']),
    max: z.number().int().min(1),
    windowMinutes: z.number().int().min(1).max(10080).default(60),
  }),
  /** At most `maxPercent` of a namespace's or cluster's managed workloads changed within the window. */
  z.strictObject({
    id: ruleId,
    kind: z.literal('blast_radius'),
    scope,
    per: z.enum(['namespace', 'cluster']),
    maxPercent: z.number().gt(0).max(100),
    windowMinutes: z.number().int().min(1).max(10080).default(60),
  }),
  /** At most `max` decisions in one plan. */
  z.strictObject({
    id: ruleId,
    kind: z.literal('plan_size'),
    scope,
    max: z.number().int().min(1),
  }),
  /** A decision whose confidence is below `minimum` (or unknown) needs a person's approval. */
  z.strictObject({
    id: ruleId,
    kind: z.literal('confidence'),
    scope,
    minimum: z.number().min(0).max(1),
  }),
  /** Decisions in scope (optionally only these verbs) always need a person's approval. */
  z.strictObject({
    id: ruleId,
    kind: z.literal('require_approval'),
    scope,
    verbs: verbs.optional(),
    reason: z.string().min(1).max(500),
    /** How many distinct people must approve (four eyes: 2). Defaults to 1. */
    approvers: z.number().int().min(1).max(5).optional(),
  }),
]);
/**
 * One rule of the policy document (see `policyRuleSchema`).
 *
 * @public
 */
export type PolicyRule = z.infer<typeof policyRuleSchema>;

/**
 * Lifts the named rules for a target until it expires; an expired exception never applies.
 *
 * @public
 */
export const policyExceptionSchema = z.strictObject({
  id: ruleId,
  scope: policyScopeSchema,
  rules: z.array(ruleId).min(1),
  ticket: z.string().min(1).max(200),
  reason: z.string().min(1).max(500).optional(),
  expiresAt: z.iso.datetime({ offset: true }),
});
/**
 * An exception lifting the named rules for a target until it expires.
 *
 * @public
 */
export type PolicyException = z.infer<typeof policyExceptionSchema>;

/** One canary step: the candidate's share of traffic, then a pause or a manual gate. */
const rolloutStepSchema = z.strictObject({
  weight: z.number().int().min(1).max(100),
  pauseSeconds: z.number().min(0).max(86400).optional(),
  gate: z.boolean().optional(),
});

/**
 * One check of a canary's analysis: a PromQL query judged against a bound, carrying a share
 * of the score. The one shape of a check, in app-config (`sentinel.rollouts.analysis.checks`,
 * whose config schema names this interface), in the policy document's `rollouts` entries and
 * in the service's `sentinel.io/canary-analysis` annotation (both `metricCheckSchema`).
 *
 * @public
 */
export interface MetricCheck {
  /** Unique within the analysis. */
  name: string;
  /**
   * PromQL, with the placeholders `{{namespace}}`, `{{workload}}` and
   * `{{cluster}}` replaced by the workload judged (the canary) and, for a
   * comparison, by the stable one.
   */
  query: string;
  /** Share of the score this check carries, 0 to 100. */
  weight: number;
  /** A failure of this check fails the interval whatever the score. */
  critical?: boolean;
  /**
   * Pass while the value stays at or under `max` (or at or over `min`). With
   * `against: 'stable'` the bound is relative: the canary may exceed the stable
   * workload's value by `tolerance` (a share, e.g. 0.1 for 10 %) plus `slack`
   * (absolute, for values near zero).
   */
  max?: number;
  /** Pass while the value stays at or over this. */
  min?: number;
  /** Compare with the stable workload's value rather than an absolute bound. */
  against?: 'stable';
  /** With `against: 'stable'`: the share by which the canary may exceed the stable value. */
  tolerance?: number;
  /** With `against: 'stable'`: an absolute allowance on top (for values near zero). */
  slack?: number;
}

/**
 * A MetricCheck as it is validated wherever one is read (a policy document, an annotation,
 * app-config), with the limits of each field.
 *
 * @public
 */
export const metricCheckSchema = z.strictObject({
  name: z.string().min(1).max(100),
  query: z.string().min(1).max(4000),
  weight: z.number().min(0).max(100),
  critical: z.boolean().optional(),
  max: z.number().optional(),
  min: z.number().optional(),
  against: z.literal('stable').optional(),
  tolerance: z.number().min(0).optional(),
  slack: z.number().min(0).optional(),
});

// The schema's output is exactly MetricCheck: a field added to one and not the other fails to
// compile.
type SameShape<A, B> = [A] extends [B]
  ? [B] extends [A]
    ? true
    : false
  : false;
const metricCheckSchemaIsMetricCheck: SameShape<
  z.output<typeof metricCheckSchema>,
  MetricCheck
> = true;
void metricCheckSchemaIsMetricCheck;

/**
 * How canary and blue/green rollouts go for the workloads in `scope`: the steps, the analysis
 * (any field left out keeps the configured default) and the rollback policy. Where several
 * entries match, the most specific wins field by field (entityRef over namespace over
 * cluster over none); a service's own annotations win over all of them.
 *
 * @public
 */
export const rolloutSettingsSchema = z
  .strictObject({
    id: ruleId,
    scope,
    steps: z.array(rolloutStepSchema).min(1).max(20).optional(),
    analysis: z
      .strictObject({
        checks: z.array(metricCheckSchema).min(1).max(20).optional(),
        intervalSeconds: z.number().min(1).max(3600).optional(),
        passAfter: z.number().int().min(1).max(100).optional(),
        inconclusiveAfter: z.number().int().min(1).max(100).optional(),
        readySeconds: z.number().min(1).max(86400).optional(),
        inconclusiveSeconds: z.number().min(1).max(86400).optional(),
        onInconclusive: z.enum(['abort', 'wait']).optional(),
      })
      .optional(),
    rollbackPolicy: z.enum(['auto', 'manual', 'freeze']).optional(),
  })
  .superRefine((entry, ctx) => {
    entry.steps?.forEach((step, index) => {
      const before = entry.steps![index - 1];
      if (before && step.weight <= before.weight) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', index, 'weight'],
          message: `must be above the weight of the step before (${before.weight})`,
        });
      }
    });
  });
/**
 * Canary and blue/green settings for the workloads in a scope (see `rolloutSettingsSchema`).
 *
 * @public
 */
export type RolloutSettingsEntry = z.infer<typeof rolloutSettingsSchema>;

/**
 * The policy document: rules, exceptions, rollout settings and shadow mode. Rule ids are unique
 * and every exception names rules of the same document.
 *
 * @public
 */
export const policyDocumentSchema = z
  .strictObject({
    /** Set by the server; send the version you read to refuse overwriting a newer one. */
    version: z.number().int().min(0).optional(),
    rules: z.array(policyRuleSchema).max(1000),
    exceptions: z.array(policyExceptionSchema).max(1000).default([]),
    /** Canary and blue/green settings per scope (docs/progressive-delivery.md). */
    rollouts: z.array(rolloutSettingsSchema).max(200).optional(),
    /**
     * Every plan runs in shadow mode: evaluated and recorded, never applied. An admin's
     * switch for trying a new optimizer or policy; `sentinel.shadowMode` in app-config forces it.
     */
    shadowMode: z.boolean().optional(),
  })
  .superRefine((doc, ctx) => {
    const seen = new Map<string, number>();
    doc.rules.forEach((rule, index) => {
      const earlier = seen.get(rule.id);
      if (earlier !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', index, 'id'],
          message: `repeats the id of rules[${earlier}]`,
        });
      }
      seen.set(rule.id, index);
    });
    doc.exceptions.forEach((exception, index) => {
      exception.rules.forEach((id, j) => {
        if (!seen.has(id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['exceptions', index, 'rules', j],
            message: `names no rule of this document ('${id}')`,
          });
        }
      });
    });
  });
/**
 * A validated policy document, with defaults applied.
 *
 * @public
 */
export type PolicyDocument = z.infer<typeof policyDocumentSchema>;

/** An instant as the server writes it (ISO 8601). */
const instant = z.iso.datetime({ offset: true });

/** A freeze window's fields as stored (the input's defaults applied). */
const freezeWindowFields = {
  name: z.string().min(1).max(200),
  reason: z.string().min(1).max(1000),
  scope: policyScopeSchema,
  start: instant.optional(),
  end: instant.optional(),
  recurrence: z
    .strictObject({
      cron: z.string().min(9).max(100),
      durationMinutes: z.number().int().min(1).max(10080),
      timezone: z.string().min(1).max(64),
    })
    .optional(),
  allowRollback: z.boolean().meta({
    description:
      'Rollbacks stay allowed during the freeze unless this is false',
  }),
};

/**
 * A change-freeze window: one-off (start/end) or recurring (cron + duration in a time zone).
 *
 * @public
 */
export const freezeWindowInputSchema = z
  .strictObject({
    ...freezeWindowFields,
    scope: policyScopeSchema.default({}),
    allowRollback: freezeWindowFields.allowRollback.default(true),
  })
  .superRefine((w, ctx) => {
    const oneOff = w.start !== undefined || w.end !== undefined;
    if (oneOff === (w.recurrence !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'give either start and end, or recurrence',
      });
      return;
    }
    if (oneOff) {
      if (!w.start)
        ctx.addIssue({
          code: 'custom',
          path: ['start'],
          message: 'is required with end',
        });
      if (!w.end)
        ctx.addIssue({
          code: 'custom',
          path: ['end'],
          message: 'is required with start',
        });
      if (w.start && w.end && Date.parse(w.end) <= Date.parse(w.start)) {
        ctx.addIssue({
          code: 'custom',
          path: ['end'],
          message: 'must be after start',
        });
      }
    }
  });
/**
 * A validated change-freeze window as a client creates it, with defaults applied.
 *
 * @public
 */
export type FreezeWindowInput = z.infer<typeof freezeWindowInputSchema>;

/**
 * A stored freeze window (GET /v1/freeze-windows).
 *
 * @public
 */
export const freezeWindowSchema = z.strictObject({
  ...freezeWindowFields,
  id: z
    .string()
    .meta({ description: "The window's id, assigned by the server" }),
  createdBy: z.string().meta({
    description:
      'Who created the window: a user entity ref or a service subject',
  }),
  createdAt: instant.meta({ description: 'When the window was created' }),
});

/**
 * A stored freeze window.
 *
 * @public
 */
export type FreezeWindow = z.output<typeof freezeWindowSchema>;

/**
 * A freeze window with the interval in force now, or the next one (GET /v1/freeze-status).
 *
 * @public
 */
export const activeFreezeWindowSchema = freezeWindowSchema.extend({
  activeFrom: instant,
  activeUntil: instant,
});

/**
 * A break-glass override (the `FreezeOverride` schema of the OpenAPI document).
 *
 * @public
 */
export const freezeOverrideSchema = z.strictObject({
  id: z
    .string()
    .meta({ description: "The override's id, assigned by the server" }),
  /** The decisions whose freeze windows the override lifts. */
  scope: policyScopeSchema,
  reason: z.string().meta({
    description: 'Why the glass was broken, on record in the audit trail',
  }),
  createdBy: z.string().meta({
    description: 'Who broke the glass: a user entity ref or a service subject',
  }),
  createdAt: instant.meta({ description: 'When the override was created' }),
  expiresAt: instant.meta({
    description: 'When the override stops lifting freezes',
  }),
});

/**
 * A break-glass override: while active, freeze windows in its scope do not apply.
 *
 * @public
 */
export type FreezeOverride = z.output<typeof freezeOverrideSchema>;
