/**
 * Request validation for plan submission (`POST /v1/action-plans`, the `PlanSubmission` schema
 * of Sentinel's OpenAPI document).
 *
 * Every schema carries messages meant for a person reading an HTTP 400 response; use
 * {@link validatePlanSubmission} to get them as a flat list of `{ path, message }`.
 */
import { z } from 'zod';
import { ROLLOUT_STRATEGIES, WORKLOAD_KINDS } from '../annotations';
import { VERBS } from '../plans';
import { issuesOf, type ValidationIssue } from './issues';

// ---------------------------------------------------------------------------
// Messages and small helpers
// ---------------------------------------------------------------------------

type IssueInput = { input?: unknown };

/** An error map that says "is required" for a missing value and `message` otherwise. */
function required(message: string) {
  return (issue: IssueInput) =>
    issue.input === undefined ? 'is required' : message;
}

/**
 * A strict object (unknown keys refused). Unknown keys are reported with the list of the keys
 * that are allowed, so a typo is obvious.
 */
function strict<S extends z.core.$ZodLooseShape>(
  shape: S,
  otherwise: (issue: IssueInput) => string = required('must be an object'),
) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue: IssueInput & { code?: string }) => {
      if (issue.code === 'unrecognized_keys') {
        return allowed.length === 0
          ? 'is not a known field; no fields are allowed here'
          : `is not a known field; allowed: ${allowed.join(', ')}`;
      }
      return otherwise(issue);
    },
  });
}

/** A string that must match `pattern`, with one message for every way it can be wrong. */
function patterned(pattern: RegExp, message: string) {
  return z
    .string({ error: required(message) })
    .regex(pattern, { error: message });
}

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

const DNS_1123_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const LABEL_MESSAGE =
  'must be a DNS-1123 label: at most 63 lowercase letters, digits or "-", starting and ending with a letter or digit';
const SUBDOMAIN_MESSAGE =
  'must be a DNS-1123 subdomain: at most 253 characters, dot-separated DNS-1123 labels';

const labelSchema = patterned(DNS_1123_LABEL, LABEL_MESSAGE);
const subdomainSchema = patterned(DNS_1123_SUBDOMAIN, SUBDOMAIN_MESSAGE);

function oneOf(values: readonly string[]): string {
  return `must be one of: ${values.join(', ')}`;
}

/** The workload a decision changes. `cluster` may be left out when one cluster is configured. */
const targetSchema = strict({
  cluster: labelSchema.optional(),
  namespace: labelSchema,
  kind: z
    .enum(WORKLOAD_KINDS, { error: required(oneOf(WORKLOAD_KINDS)) })
    .default('Deployment'),
  name: subdomainSchema,
});

// ---------------------------------------------------------------------------
// Kubernetes quantities
// ---------------------------------------------------------------------------

// <sign><number><suffix>, suffix = decimal exponent | binary SI | decimal SI (k8s resource.Quantity).
const QUANTITY =
  /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei)|([mkMGTPE]))?$/;
const BINARY_SI_POWERS: Record<string, number> = {
  Ki: 1,
  Mi: 2,
  Gi: 3,
  Ti: 4,
  Pi: 5,
  Ei: 6,
};
const DECIMAL_SI_EXPONENTS: Record<string, number> = {
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

/**
 * Parses a Kubernetes quantity (`250m`, `0.5`, `512Mi`, `1Gi`, `1e3`, `2k`, ...) into a number
 * in base units (cores for cpu, bytes for memory). Returns `NaN` if `q` is not a quantity.
 *
 * Decimal suffixes are applied as decimal exponents, so `100m` and `0.1` parse to the very same
 * number and can be compared exactly.
 *
 * @public
 */
export function parseQuantity(q: string): number {
  if (typeof q !== 'string') {
    return NaN;
  }
  const match = QUANTITY.exec(q);
  if (!match) {
    return NaN;
  }
  const [, sign, digits, exponent, binarySuffix, decimalSuffix] = match;
  if (binarySuffix) {
    return Number(`${sign}${digits}`) * 1024 ** BINARY_SI_POWERS[binarySuffix];
  }
  let power = 0;
  if (exponent !== undefined) {
    power = Number(exponent);
  } else if (decimalSuffix) {
    power = DECIMAL_SI_EXPONENTS[decimalSuffix];
  }
  return Number(`${sign}${digits}e${power}`);
}

const QUANTITY_MESSAGE =
  'must be a non-negative Kubernetes quantity such as "250m", "0.5", "512Mi" or "1Gi"';

const quantitySchema = z.string({ error: required(QUANTITY_MESSAGE) }).refine(
  value => {
    const parsed = parseQuantity(value);
    return Number.isFinite(parsed) && parsed >= 0;
  },
  { error: QUANTITY_MESSAGE },
);

// ---------------------------------------------------------------------------
// Image references
// ---------------------------------------------------------------------------

// The Docker/OCI reference grammar (github.com/distribution/reference).
const ALPHA_NUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|-+)';
const PATH_COMPONENT = `${ALPHA_NUMERIC}(?:${SEPARATOR}${ALPHA_NUMERIC})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const IMAGE_NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const IMAGE_REFERENCE = new RegExp(
  `^${IMAGE_NAME}(?::(?<tag>[\\w][\\w.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$`,
);
const IMAGE_MAX_LENGTH = 512;

const IMAGE_MESSAGE =
  'must be an image reference such as "registry.example.com/team/app:1.2.3" or "app@sha256:<64 hex digits>"';
const UNTAGGED_IMAGE_MESSAGE =
  'must pin a :tag or an @sha256 digest; an untagged image means "latest", which is not a reviewable change';

const imageReferenceSchema = z
  .string({ error: required(IMAGE_MESSAGE) })
  .superRefine((value, ctx) => {
    if (value.length > IMAGE_MAX_LENGTH) {
      ctx.addIssue({
        code: 'custom',
        message: `must be at most ${IMAGE_MAX_LENGTH} characters`,
      });
      return;
    }
    const match = IMAGE_REFERENCE.exec(value);
    if (!match) {
      ctx.addIssue({ code: 'custom', message: IMAGE_MESSAGE });
    } else if (!match.groups?.tag && !match.groups?.digest) {
      ctx.addIssue({ code: 'custom', message: UNTAGGED_IMAGE_MESSAGE });
    }
  });

// ---------------------------------------------------------------------------
// Params of each verb
// ---------------------------------------------------------------------------

/** A map from container name to per-container settings, with at least one container. */
function containerMap<V extends z.core.$ZodType<unknown, unknown>>(
  settings: V,
) {
  return z
    .record(z.string().regex(DNS_1123_LABEL), settings, {
      error: (issue: IssueInput & { code?: string }) =>
        issue.code === 'invalid_key'
          ? `is not a valid container name: ${LABEL_MESSAGE}`
          : required('must be an object keyed by container name')(issue),
    })
    .refine(containers => Object.keys(containers).length > 0, {
      error: 'must name at least one container',
    });
}

const REPLICAS_MAX = 10000;
const REPLICAS_MESSAGE = `must be an integer >= 0 and <= ${REPLICAS_MAX}`;

/**
 * `scale`: the desired number of replicas.
 *
 * @public
 */
export const scaleParamsSchema = strict({
  replicas: z
    .number({ error: required(REPLICAS_MESSAGE) })
    .int({ error: REPLICAS_MESSAGE })
    .min(0, { error: REPLICAS_MESSAGE })
    .max(REPLICAS_MAX, { error: REPLICAS_MESSAGE }),
});

const RESOURCES = ['cpu', 'memory'] as const;

const resourceListSchema = strict({
  cpu: quantitySchema.optional(),
  memory: quantitySchema.optional(),
}).refine(list => list.cpu !== undefined || list.memory !== undefined, {
  error: 'must set cpu or memory (or both)',
});

const containerResourcesSchema = strict({
  requests: resourceListSchema.optional(),
  limits: resourceListSchema.optional(),
}).superRefine((resources, ctx) => {
  if (resources.requests === undefined && resources.limits === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'must set requests or limits (or both)',
    });
    return;
  }
  for (const resource of RESOURCES) {
    const request = resources.requests?.[resource];
    const limit = resources.limits?.[resource];
    if (request === undefined || limit === undefined) {
      continue;
    }
    // Unparseable values were already reported by quantitySchema; NaN compares false here.
    if (parseQuantity(request) > parseQuantity(limit)) {
      ctx.addIssue({
        code: 'custom',
        path: ['requests', resource],
        message: `must not exceed the ${resource} limit (${limit})`,
      });
    }
  }
});

/**
 * `set_resources`: new requests and/or limits, per container.
 *
 * @public
 */
export const setResourcesParamsSchema = strict({
  containers: containerMap(containerResourcesSchema),
});

/**
 * `restart`: a rolling restart; takes no params.
 *
 * @public
 */
export const restartParamsSchema = strict({});

/**
 * `rollout`: new images, per container, and how to roll them out; without `strategy`, the
 * service's `sentinel.io/rollout-strategy` annotation decides (else `direct`).
 *
 * @public
 */
export const rolloutParamsSchema = strict({
  containers: containerMap(strict({ image: imageReferenceSchema })),
  strategy: z
    .enum(ROLLOUT_STRATEGIES, { error: oneOf(ROLLOUT_STRATEGIES) })
    .optional(),
});

/**
 * `rollback`: undo a plan (by default the last one applied to the target).
 *
 * @public
 */
export const rollbackParamsSchema = strict({
  toPlanId: z.uuid({ error: 'must be a UUID' }).optional(),
  /** Restore even over changes made since (drift); admins only. */
  force: z.boolean({ error: 'must be true or false' }).optional(),
});

// ---------------------------------------------------------------------------
// Decisions and the plan
// ---------------------------------------------------------------------------

const RATIONALE_MAX = 2000;
const decisionFields = {
  target: targetSchema,
  rationale: z
    .string({
      error: `must be a string of at most ${RATIONALE_MAX} characters`,
    })
    .max(RATIONALE_MAX, {
      error: `must be at most ${RATIONALE_MAX} characters`,
    })
    .optional(),
  confidence: z
    .number({ error: 'must be a number between 0 and 1' })
    .min(0, { error: 'must be a number between 0 and 1' })
    .max(1, { error: 'must be a number between 0 and 1' })
    .optional(),
};

function decisionOf<V extends string, P extends z.core.$ZodType>(
  verb: V,
  params: P,
) {
  const { target, rationale, confidence } = decisionFields;
  return strict({
    verb: z.literal(verb),
    target,
    params,
    rationale,
    confidence,
  });
}

const decisionSchema = z.discriminatedUnion(
  'verb',
  [
    decisionOf('scale', scaleParamsSchema),
    decisionOf('set_resources', setResourcesParamsSchema),
    // Verbs without required params may leave params out.
    decisionOf('restart', restartParamsSchema.default({})),
    decisionOf('rollout', rolloutParamsSchema),
    decisionOf('rollback', rollbackParamsSchema.default({})),
  ],
  {
    error: (issue: IssueInput & { code?: string }) => {
      if (issue.code === 'invalid_union') {
        const input = issue.input as { verb?: unknown } | undefined;
        return input?.verb === undefined
          ? `is required; ${oneOf(VERBS)}`
          : oneOf(VERBS);
      }
      return required('must be an object')(issue);
    },
  },
);

const SOURCE_MESSAGE =
  'must be 1 to 100 characters: letters, digits, ".", "_", "-" or spaces, starting with a letter or digit';
const MAX_DECISIONS = 50;
const DECISIONS_MESSAGE = `must be a list of 1 to ${MAX_DECISIONS} decisions`;

type TargetKey = {
  cluster?: string;
  namespace: string;
  kind: string;
  name: string;
};

function describeTarget(target: TargetKey): string {
  const workload = `${target.namespace}/${target.kind}/${target.name}`;
  return target.cluster === undefined
    ? workload
    : `${target.cluster}/${workload}`;
}

/**
 * Refuses a plan that changes one workload twice. An omitted cluster matches any cluster: the
 * server only fills it in when a single cluster is configured, so it can only be that one.
 */
function checkDuplicateTargets(plan: unknown, ctx: z.RefinementCtx): void {
  const decisions = (plan as { decisions?: unknown }).decisions;
  if (!Array.isArray(decisions)) {
    return;
  }
  // Targets are re-read on their own so that a bad decision elsewhere does not hide duplicates.
  const seen: { index: number; target: TargetKey }[] = [];
  decisions.forEach((decision: unknown, index) => {
    const parsed = targetSchema.safeParse(
      (decision as { target?: unknown } | null)?.target,
    );
    if (!parsed.success) {
      return;
    }
    const target = parsed.data;
    const earlier = seen.find(
      ({ target: other }) =>
        other.namespace === target.namespace &&
        other.kind === target.kind &&
        other.name === target.name &&
        (other.cluster === undefined ||
          target.cluster === undefined ||
          other.cluster === target.cluster),
    );
    if (earlier) {
      ctx.addIssue({
        code: 'custom',
        path: ['decisions', index, 'target'],
        message: `duplicates the target of decisions[${
          earlier.index
        }] (${describeTarget(
          earlier.target,
        )}); a plan may change each workload only once`,
      });
    } else {
      seen.push({ index, target });
    }
  });
}

/**
 * The body of a plan submission.
 *
 * @public
 */
export const planSubmissionSchema = strict(
  {
    source: z
      .string({ error: required(SOURCE_MESSAGE) })
      .max(100, { error: SOURCE_MESSAGE })
      .regex(/^[A-Za-z0-9][A-Za-z0-9._ -]*$/, { error: SOURCE_MESSAGE }),
    mode: z
      .enum(['enforce', 'shadow'], { error: oneOf(['enforce', 'shadow']) })
      .default('enforce'),
    decisions: z
      .array(decisionSchema, { error: required(DECISIONS_MESSAGE) })
      .min(1, { error: 'must contain at least one decision' })
      .max(MAX_DECISIONS, {
        error: `must contain at most ${MAX_DECISIONS} decisions`,
      }),
  },
  () => 'must be a JSON object',
).superRefine(checkDuplicateTargets, {
  // Run even when some decisions are invalid, so all problems are reported at once.
  when: payload =>
    typeof payload.value === 'object' &&
    payload.value !== null &&
    Array.isArray((payload.value as { decisions?: unknown }).decisions),
});

/**
 * A validated plan submission, with defaults applied.
 *
 * @public
 */
export type PlanSubmission = z.output<typeof planSubmissionSchema>;
/**
 * A plan submission as a client writes it (defaulted fields optional).
 *
 * @public
 */
export type PlanSubmissionInput = z.input<typeof planSubmissionSchema>;
/**
 * One validated decision, with defaults applied.
 *
 * @public
 */
export type Decision = PlanSubmission['decisions'][number];
/**
 * One decision as a client writes it.
 *
 * @public
 */
export type DecisionInput = PlanSubmissionInput['decisions'][number];

/**
 * One problem with a submission: where (e.g. `decisions[0].params.replicas`) and what.
 *
 * @public
 */
export type PlanSubmissionIssue = ValidationIssue;

/**
 * Validates a plan submission body. On failure, returns every problem found, each with a
 * readable path (`decisions[2].target.name`, `(body)` for the body itself) and message.
 *
 * @public
 */
export function validatePlanSubmission(
  body: unknown,
):
  | { ok: true; value: PlanSubmission }
  | { ok: false; issues: PlanSubmissionIssue[] } {
  const result = planSubmissionSchema.safeParse(body);
  if (result.success) {
    return { ok: true, value: result.data };
  }
  return { ok: false, issues: issuesOf(result.error) };
}
