import type { AccessFilter } from '../access/accessFilter';
import type { AuditAction, AuditRecord } from '../audit/auditRecord';
import type { AuditStore } from '../audit/AuditStore';
import {
  ConflictError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  invalidRequest,
  parseRolloutStrategyAnnotation,
  stringifyWorkloadRef,
  validatePlanSubmission,
  type Plan,
  type PlanStatus,
  type PlanTarget,
  type PlanSubmission,
  type ValidationIssue,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import { createHash, randomUUID } from 'node:crypto';
import { newPlanWork } from './store/planRows';
import type {
  ApprovalStore,
  NewDecision,
  NewPlan,
  PlanListFilter,
  PlanStore,
  PlanWork,
} from './store/PlanStore';
import type { SlotReservation } from '../work/Reconciler';
import type { PolicyPlanInput } from '../policy/PolicyEngine';
import type { PipelineMetrics } from './metrics';
import type { WorkloadOwnership } from '../inventory/WorkloadCatalogIndex';
import type { WorkloadReader } from '../inventory/WorkloadReader';

export interface PlanServiceOptions {
  store: PlanStore;
  approvals: ApprovalStore;
  /** The configured clusters' names. */
  clusters: readonly string[];
  /**
   * The clusters whose driver runs canary and blue/green rollouts: such a decision for
   * another cluster is refused at submission. Undefined: not checked here.
   */
  progressiveClusters?: readonly string[];
  /** Current workload state (the inventory first; an API server only when it has no entry). */
  workloads: WorkloadReader;
  ownership: WorkloadOwnership;
  /** Wakes the executor so an approved plan starts at once rather than at the next poll. */
  kick: () => void;
  /**
   * A free slot of this replica's executor, if any, for a new plan to be leased at birth and
   * started without a claim.
   */
  reserve?: () => SlotReservation<PlanWork> | undefined;
  metrics?: PipelineMetrics;
  /** Every plan runs in shadow mode (sentinel.shadowMode). */
  shadowMode?: boolean;
  /** Whether the policy document in force switches shadow mode on (cached by PolicyService). */
  policyShadowMode?: () => Promise<boolean>;
  /** Whoever submitted a plan may not approve it (sentinel.approval.requireDistinctApprover). */
  requireDistinctApprover?: boolean;
  /** Records refused attempts (a submitter approving their own plan). */
  audit?: Pick<AuditStore, 'record'>;
  now?: () => Date;
}

/** A decision as the caller's permissions are checked: its verb, workload and params. */
export interface DecisionToAuthorize {
  verb: string;
  target: WorkloadRef;
  params: unknown;
}

// Plans a person may still cancel outright; executing ones are rolled back by the executor.
const CANCELLABLE: PlanStatus[] = ['received', 'pending_approval', 'approved'];

/** Intake and the human steps of the pipeline: submit, approve, reject, cancel, roll back. */
export class PlanService {
  readonly #o: PlanServiceOptions;
  readonly #now: () => Date;

  constructor(options: PlanServiceOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Validates and stores a plan, then leaves it to the executor. With an idempotency key seen
   * before: the same body returns the stored plan (`created: false`), another body is a 409.
   */
  async submit(
    body: unknown,
    options: {
      submittedBy: string;
      idempotencyKey?: string;
      /** A person's action recorded with the plan (a workload rollback). */
      audit?: AuditRecord;
      /**
       * Checks the validated decisions (targets resolved) before anything is stored, e.g.
       * that the caller may roll back each rollback decision's workload.
       */
      authorizeDecisions?: (
        decisions: readonly DecisionToAuthorize[],
      ) => Promise<void>;
    },
  ): Promise<{ created: boolean; plan: Plan }> {
    if (options.idempotencyKey !== undefined) {
      const key = options.idempotencyKey;
      if (key.length === 0 || key.length > 200) {
        throw invalidRequest('Invalid request', [
          { path: 'Idempotency-Key', message: 'must be 1 to 200 characters' },
        ]);
      }
    }
    const retried = await this.#retried(body, options);
    if (retried) return { created: false, plan: retried };
    const { submission, decisions, undoes } = await this.#validate(
      body,
      options.authorizeDecisions,
    );
    const mode = (await this.#shadowMode()) ? 'shadow' : submission.mode;
    const requestHash = hashOf({ ...submission, mode });

    const slot = this.#o.reserve?.();
    const plan: NewPlan = {
      id: randomUUID(),
      source: submission.source,
      mode,
      submittedBy: options.submittedBy,
      idempotencyKey: options.idempotencyKey,
      requestHash,
      rollbackOf: undoes[0],
      decisions,
      at: this.#now(),
      audit: options.audit && {
        ...options.audit,
        entityRef: options.audit.entityRef ?? decisions[0]?.entityRef,
      },
      ...(slot && {
        lease: { owner: slot.owner, expiresAt: slot.leaseExpiresAt },
      }),
    };
    let stored: Awaited<ReturnType<PlanStore['createPlan']>>;
    try {
      stored = await this.#o.store.createPlan(plan);
    } catch (error) {
      slot?.cancel();
      throw error;
    }
    if (stored.created && slot) slot.start(newPlanWork(plan));
    else slot?.cancel();
    if (!stored.created) {
      if (stored.requestHash !== requestHash) {
        throw new ConflictError(
          `Idempotency-Key '${options.idempotencyKey}' was already used for plan ${stored.id} with a different body`,
        );
      }
      return {
        created: false,
        plan: (await this.#o.store.getPlan(stored.id))!,
      };
    }
    this.#o.metrics?.submitted(submission.source, mode);
    if (!slot) this.#o.kick();
    return { created: true, plan: stored.plan };
  }

  /**
   * The plan a retry with a known idempotency key names, looked up before the targets: a
   * retry gets its plan even when its workload is gone or shadow mode was switched since.
   * The same key with another body is a conflict.
   */
  async #retried(
    body: unknown,
    options: { submittedBy: string; idempotencyKey?: string },
  ): Promise<Plan | undefined> {
    const key = options.idempotencyKey;
    if (key === undefined) return undefined;
    const known = await this.#o.store.findByIdempotencyKey(
      options.submittedBy,
      key,
    );
    if (!known) return undefined;
    const validated = validatePlanSubmission(body);
    // The stored hash is of the body with the mode the plan got (shadow if it was on then).
    const same =
      validated.ok &&
      [validated.value.mode, 'shadow'].some(
        mode => hashOf({ ...validated.value, mode }) === known.requestHash,
      );
    if (!same) {
      throw new ConflictError(
        `Idempotency-Key '${key}' was already used for plan ${known.id} with a different body`,
      );
    }
    return (await this.#o.store.getPlan(known.id))!;
  }

  /**
   * What a submission would become, for a dry-run policy evaluation: the same validation and
   * target resolution, and nothing stored.
   */
  async resolve(body: unknown): Promise<PolicyPlanInput> {
    const { submission, decisions } = await this.#validate(body);
    return {
      source: submission.source,
      mode: (await this.#shadowMode()) ? 'shadow' : submission.mode,
      decisions: decisions.map(d => ({
        verb: d.verb,
        target: d.target,
        params: d.params,
        confidence: d.confidence,
        entityRef: d.entityRef,
      })),
    };
  }

  /** The newest plan that changed each workload (see PlanStore.lastChangedPlans). */
  lastChangedPlans(
    targets: readonly WorkloadRef[],
  ): Promise<Map<string, string>> {
    return this.#o.store.lastChangedPlans(targets);
  }

  /** Shadow mode is on when app-config forces it or the policy document switches it on. */
  async #shadowMode(): Promise<boolean> {
    if (this.#o.shadowMode) return true;
    return (await this.#o.policyShadowMode?.()) ?? false;
  }

  async #validate(
    body: unknown,
    authorize?: (decisions: readonly DecisionToAuthorize[]) => Promise<void>,
  ) {
    const validated = validatePlanSubmission(body);
    if (!validated.ok) {
      throw invalidRequest('Invalid plan', validated.issues);
    }
    const submission = validated.value;
    // Before anything about the targets is looked up (or told): may the caller do this?
    await authorize?.(
      submission.decisions.flatMap(d => {
        const cluster =
          d.target.cluster ??
          (this.#o.clusters.length === 1 ? this.#o.clusters[0] : undefined);
        return cluster
          ? [
              {
                verb: d.verb,
                target: { ...d.target, cluster },
                params: d.params,
              },
            ]
          : [];
      }),
    );
    return { submission, ...(await this.#resolveTargets(submission)) };
  }

  /**
   * Fills in the cluster, checks every target exists and is managed by a catalog entity, and
   * that a rollback has something to restore. Reports every problem at once.
   */
  async #resolveTargets(
    submission: PlanSubmission,
  ): Promise<{ decisions: NewDecision[]; undoes: string[] }> {
    const clusters = this.#o.clusters;
    const issues: ValidationIssue[] = [];
    const undoes: string[] = [];
    const seen = new Map<string, number>();
    const decisions: NewDecision[] = [];

    for (const [index, d] of submission.decisions.entries()) {
      const path = `decisions[${index}].target`;
      let cluster = d.target.cluster;
      if (cluster === undefined) {
        if (clusters.length !== 1) {
          issues.push({
            path: `${path}.cluster`,
            message: `is required when more than one cluster is configured (${
              clusters.join(', ') || 'none'
            })`,
          });
          continue;
        }
        cluster = clusters[0];
      }
      const target: PlanTarget = { ...d.target, cluster };
      let params = d.params as Record<string, unknown>;
      const key = stringifyWorkloadRef(target);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        issues.push({
          path,
          message: `repeats the target of decisions[${earlier}]`,
        });
        continue;
      }
      seen.set(key, index);

      if (!clusters.includes(cluster)) {
        issues.push({
          path: `${path}.cluster`,
          message: `'${cluster}' is not a configured cluster (configured: ${
            clusters.join(', ') || 'none'
          })`,
        });
        continue;
      }
      const [workload, entityRef] = await Promise.all([
        this.#o.workloads.read(target),
        this.#o.ownership.entityRefFor(target),
      ]);
      if (!workload) {
        issues.push({ path, message: `${key} does not exist` });
        continue;
      }
      if (!entityRef) {
        issues.push({
          path,
          message: `${key} is not managed by Sentinel: no catalog entity lists it in its sentinel.io/workloads annotation`,
        });
        continue;
      }
      if (d.verb === 'rollback') {
        const toPlanId = (d.params as { toPlanId?: string }).toPlanId;
        const last = await this.#o.store.findLastApplied(target, toPlanId);
        if (!last) {
          issues.push({
            path: `decisions[${index}]`,
            message: toPlanId
              ? `plan ${toPlanId} applied nothing to ${key} that is not already undone`
              : `nothing applied to ${key} is left to roll back`,
          });
          continue;
        }
        // Pin what is undone now, so the executor restores exactly this, even if another
        // change lands on the workload before the rollback runs.
        undoes.push(last.planId);
        const force = (d.params as { force?: boolean }).force === true;
        params = { toPlanId: last.planId, ...(force && { force }) };
      }
      if (d.verb === 'rollout' && params.strategy === undefined) {
        // The service's own default strategy (sentinel.io/rollout-strategy), else direct.
        const annotated = (
          await this.#o.ownership.snapshot()
        ).rolloutStrategies?.get(entityRef);
        params = {
          ...params,
          strategy: parseRolloutStrategyAnnotation(annotated) ?? 'direct',
        };
      }
      if (
        (params.strategy === 'canary' || params.strategy === 'bluegreen') &&
        this.#o.progressiveClusters &&
        !this.#o.progressiveClusters.includes(cluster)
      ) {
        issues.push({
          path: `decisions[${index}].params.strategy`,
          message: `cluster '${cluster}' cannot run ${params.strategy} rollouts: its driver has no candidate operations (ClusterDriver.candidates)`,
        });
        continue;
      }
      decisions.push({
        verb: d.verb,
        target,
        params,
        rationale: d.rationale,
        confidence: d.confidence,
        entityRef,
      });
    }
    if (issues.length) {
      throw invalidRequest('Invalid plan', issues);
    }
    return { decisions, undoes };
  }

  async get(id: string): Promise<Plan> {
    const plan = await this.#o.store.getPlan(id);
    if (!plan) {
      throw new NotFoundError(`plan ${id} does not exist`);
    }
    return plan;
  }

  list(
    filter: PlanListFilter,
    page: { limit: number; cursor?: string },
    access?: AccessFilter,
  ) {
    return this.#o.store.listPlans(filter, page, access);
  }

  /**
   * A person's approval: the plan is approved once as many distinct people as its rules ask
   * for approved it; its submitter never counts (four eyes).
   */
  async approve(id: string, actor: string, comment?: string): Promise<Plan> {
    const at = this.#now();
    const result = await this.#o.approvals.approve(id, {
      actor,
      comment,
      at,
      requireDistinctApprover: this.#o.requireDistinctApprover ?? true,
      audit: {
        actor,
        action: 'plan.approve',
        outcome: 'succeeded',
        planId: id,
        reason: comment,
      },
    });
    switch (result.kind) {
      case 'missing':
        throw new NotFoundError(`plan ${id} does not exist`);
      case 'conflict':
        throw new ConflictError(
          `plan ${id} is ${result.status}; only a plan that is pending_approval can become approved`,
        );
      case 'refused':
        await this.#o.audit?.record(
          {
            actor,
            action: 'refused',
            outcome: 'refused',
            planId: id,
            reason: result.reason,
            details: { attempted: 'plan.approve' },
          },
          at,
        );
        throw new NotAllowedError(result.reason);
      case 'approved': {
        this.#o.kick();
        const plan = await this.get(id);
        this.#o.metrics?.approvalAnswered('approved', secondsSince(plan, at));
        return plan;
      }
      default:
        break;
    }
    return this.get(id);
  }

  async reject(id: string, actor: string, comment: string): Promise<Plan> {
    await this.#humanTransition(
      id,
      ['pending_approval'],
      'rejected',
      actor,
      `rejected: ${comment}`,
      { audit: { action: 'plan.reject', reason: comment } },
    );
    const plan = await this.get(id);
    const seconds = secondsSince(plan, this.#now());
    this.#o.metrics?.approvalAnswered('rejected', seconds);
    this.#o.metrics?.finished({
      status: 'rejected',
      mode: plan.mode,
      seconds,
      path: 'approval',
    });
    return plan;
  }

  /**
   * Cancels a plan that has not started; an executing plan is stopped before its next
   * decision and what it applied is rolled back.
   */
  async cancel(id: string, actor: string): Promise<Plan> {
    await this.get(id); // 404 for an unknown plan
    // Executing: the controller rolls back what was applied. Otherwise nothing was applied;
    // a plan that starts executing meanwhile is cancelled the first way.
    const requestCancel = async () => {
      const requested = await this.#o.store.requestCancel(id, this.#now(), {
        actor,
        action: 'plan.cancel',
        outcome: 'succeeded',
        planId: id,
        details: { rollsBack: true },
      });
      if (!requested) return false;
      this.#o.kick();
      return true;
    };
    if (await requestCancel()) return this.get(id);
    const cancelled = await this.#o.store.transition(id, {
      from: CANCELLABLE,
      to: 'cancelled',
      actor,
      message: 'cancelled; nothing was applied',
      at: this.#now(),
      audit: {
        actor,
        action: 'plan.cancel',
        outcome: 'succeeded',
        planId: id,
        details: { rollsBack: false },
      },
    });
    if (!cancelled && !(await requestCancel())) {
      throw new ConflictError(
        `plan ${id} is ${
          (await this.get(id)).status
        }; only a plan that has not finished can be cancelled`,
      );
    }
    const plan = await this.get(id);
    if (cancelled) {
      this.#o.metrics?.finished({
        status: 'cancelled',
        mode: plan.mode,
        seconds: secondsSince(plan, this.#now()),
        path: plan.approvals.length ? 'approval' : 'direct',
      });
    }
    return plan;
  }

  async #humanTransition(
    id: string,
    from: PlanStatus[],
    to: PlanStatus,
    actor: string,
    message: string,
    extra: { audit: { action: AuditAction; reason?: string } },
  ) {
    await this.get(id); // 404 for an unknown plan
    const moved = await this.#o.store.transition(id, {
      from,
      to,
      actor,
      message,
      at: this.#now(),
      audit: {
        actor,
        action: extra.audit.action,
        outcome: 'succeeded',
        planId: id,
        reason: extra.audit.reason,
      },
    });
    if (!moved) {
      throw new ConflictError(
        `plan ${id} is ${
          (await this.get(id)).status
        }; only a plan that is ${from.join(' or ')} can become ${to}`,
      );
    }
  }
}

function secondsSince(plan: Plan, at: Date): number {
  return Math.max(0, (at.getTime() - Date.parse(plan.createdAt)) / 1000);
}

/** A stable hash of a validated submission: same plan, same hash, whatever the key order. */
function hashOf(value: unknown): string {
  return createHash('sha256').update(canonical(value)).digest('hex');
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonical).join(',')}]`;
  }
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter(k => (value as Record<string, unknown>)[k] !== undefined)
      .map(
        k =>
          `${JSON.stringify(k)}:${canonical(
            (value as Record<string, unknown>)[k],
          )}`,
      )
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
