import type { AuditRecord } from '../../audit/auditRecord';
import type { AccessFilter } from '../../access/accessFilter';
import type { PlanTargets } from '../../access/resources';
import type {
  DecisionStatus,
  Plan,
  PlanMode,
  PlanStatus,
  PlanTarget,
  Verb,
  Verdict,
  WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import type { LeasedQueue } from '../../work/LeasedQueue';

/** A decision as it is first stored, before policy and execution. */
export interface NewDecision {
  verb: Verb;
  target: PlanTarget;
  params: Record<string, unknown>;
  rationale?: string;
  confidence?: number;
  entityRef: string | null;
}

/** A plan as it is first stored. */
export interface NewPlan {
  /** The audit record of a person's action (a rollback), committed with the plan. */
  audit?: AuditRecord;
  id: string;
  source: string;
  mode: PlanMode;
  submittedBy: string;
  idempotencyKey?: string;
  requestHash: string;
  rollbackOf?: string;
  decisions: NewDecision[];
  at: Date;
  /**
   * Leased at birth to the replica that received it, which steps it at once without a claim
   * (the reconciler had a free slot); otherwise it waits, due, for any replica's claim.
   */
  lease?: { owner: string; expiresAt: Date };
}

/** What changes on a decision as the pipeline advances it. */
export interface DecisionPatch {
  status?: DecisionStatus;
  verdict?: Verdict;
  change?: unknown;
  before?: unknown;
  after?: unknown;
  error?: string | null;
  /**
   * When the change was admitted at the moment of apply (its ledger entry: rate limits count it
   * from then); null releases a reservation whose change never reached the cluster.
   */
  appliedAt?: Date | null;
  /** The deadline of the decision's current phase (its rollout). */
  deadlineAt?: Date | null;
}

/** A status change of a plan, recorded on its timeline. */
export interface PlanTransition {
  from: readonly PlanStatus[];
  to: PlanStatus;
  actor: string;
  message: string;
  at: Date;
  /** Only if this replica still holds the plan's lease (fencing). */
  leaseOwner?: string;
  /** The person who approved (approvals only). */
  approvedBy?: string;
  /** The audit record of a person's action, committed with the transition. */
  audit?: AuditRecord;
}

export interface PlanListFilter {
  entityRef?: string;
  status?: PlanStatus[];
  cluster?: string;
  namespace?: string;
}

/** The stored decision fields the controller needs beyond the API view. */
export interface StoredDecision {
  index: number;
  verb: Verb;
  target: PlanTarget;
  params: Record<string, unknown>;
  confidence: number | null;
  entityRef: string | null;
  verdict: Verdict | null;
  status: DecisionStatus;
  change: unknown | null;
  before: unknown | null;
  after: unknown | null;
  error: string | null;
  deadlineAt: Date | null;
}

/** A plan as the controller advances it: what one reconcile step reads. */
export interface PlanWork {
  id: string;
  source: string;
  mode: PlanMode;
  status: PlanStatus;
  createdAt: Date;
  submittedBy: string;
  rollbackOf: string | null;
  /** The person who approved it; null when the policy let it through on its own. */
  approvedBy: string | null;
  /** Since when the plan is held at the moment of apply; null when it is not held. */
  heldSince: Date | null;
  statusReason: string | null;
  cancelRequested: boolean;
  decisions: StoredDecision[];
}

/**
 * What one reconcile step persists, in one transaction fenced by the plan's lease: a status
 * transition, decision patches, timeline entries, and the end of the lease with the time the
 * plan should be looked at again.
 */
export interface StepWrite {
  at: Date;
  /** The status the step saw: nothing is written if the plan has left it meanwhile. */
  whileStatus: PlanStatus;
  /** Status changes from `whileStatus`, in order, each on the timeline. */
  transitions?: { to: PlanStatus; message: string }[];
  /** Timeline entries that do not change the status (e.g. why a plan is held). */
  notes?: string[];
  /** The plan's status reason without a transition (e.g. held, and why). */
  statusReason?: string;
  heldSince?: Date | null;
  decisions?: { index: number; patch: DecisionPatch }[];
  /** Plans held until the change in flight on these workloads ended: due now. */
  wakeHeldOn?: PlanTarget[];
  /**
   * Ends the lease; the plan comes due again at `nextCheckAt` (null: only a person or an event
   * brings it back). An event that woke the plan during the step makes it due at once.
   */
  release?: { nextCheckAt: Date | null };
  /**
   * The next step derives this write again from the cluster if it is lost (a rollout that
   * began or ended, a look at a rollout still under way): where the store can, it is committed
   * without waiting for the disk. Visible at once, durable a moment later; lost only when the
   * database server itself crashes in that moment (ADR 005).
   */
  replayable?: boolean;
}

/** A step that was persisted, and the plans it woke (held on a workload whose change ended). */
export interface StepSaved {
  woken: string[];
}

/**
 * A change of a plan that a store committed: what live updates and owner notifications are
 * made of. Told once, by the replica whose write it was, after the commit.
 */
export interface PlanChange {
  planId: string;
  /** The plan's status now. */
  status: PlanStatus;
  /**
   * The status changes committed, in order, with their timeline messages; none when an
   * approval was recorded and the plan waits for more.
   */
  transitions: { to: PlanStatus; message: string }[];
  /** The plan's decisions, when the writer has them at hand (a new plan). */
  decisions?: { verb: Verb; entityRef: string | null }[];
}

/** A person's approval of a plan that waits for approval. */
export interface PlanApprovalRequest {
  actor: string;
  comment?: string;
  at: Date;
  requireDistinctApprover: boolean;
  audit: AuditRecord;
}

/** What became of an approval: the plan is approved, waits for more, or it was refused. */
export type PlanApprovalResult =
  | { kind: 'approved' }
  | { kind: 'recorded'; count: number; required: number }
  | { kind: 'refused'; reason: string }
  | { kind: 'conflict'; status: PlanStatus }
  | { kind: 'missing' };

/** A plan stored, or the one an idempotency key already named (with its request's hash). */
export type PlanInsert =
  | { created: true; plan: Plan }
  | { created: false; id: string; requestHash: string | null };

/** People's approvals of plans that wait for them. */
export interface ApprovalStore {
  /**
   * Records a person's approval of a pending plan and, once enough distinct people approved,
   * approves it, in one transaction with its audit record.
   */
  approve(
    id: string,
    request: PlanApprovalRequest,
  ): Promise<PlanApprovalResult>;
}

/**
 * Durable plans, decisions and timelines; the only place that holds pipeline state. The
 * reconciler claims plans through its `queue`; approvals and the apply gate have stores of
 * their own over the same tables.
 */
export interface PlanStore {
  /** The plans a replica advances, leased to one replica at a time. */
  readonly queue: LeasedQueue<PlanWork>;

  /**
   * Stores a new plan with its decisions and a `received` timeline entry. With an
   * idempotency key already used, stores nothing and returns the existing plan's id and hash.
   */
  /** Resolves when the plans' tables answer; rejects otherwise (readiness). */
  ping(): Promise<void>;

  createPlan(plan: NewPlan): Promise<PlanInsert>;

  /** The plan `submittedBy` stored under idempotency key `key`, with its request's hash. */
  findByIdempotencyKey(
    submittedBy: string,
    key: string,
  ): Promise<{ id: string; requestHash: string | null } | undefined>;

  getPlan(id: string): Promise<Plan | undefined>;

  /** A page of plans, newest first; `access` narrows it to what the caller may read. */
  listPlans(
    filter: PlanListFilter,
    page: { limit: number; cursor?: string },
    access?: AccessFilter,
  ): Promise<{ items: Plan[]; nextCursor: string | null }>;

  /** Who submitted each plan and where each of its decisions lands, for permission rules. */
  planTargets(ids: readonly string[]): Promise<PlanTargets[]>;

  /**
   * Moves a plan between statuses if it is in one of `from`; false if it was not. A plan that
   * a replica advances becomes due at once; one that waits for a person or has ended, never.
   */
  transition(id: string, transition: PlanTransition): Promise<boolean>;

  updateDecision(
    planId: string,
    index: number,
    patch: DecisionPatch,
    fence?: { leaseOwner: string },
  ): Promise<boolean>;

  getStoredDecisions(planId: string): Promise<StoredDecision[]>;

  /** The plan as one reconcile step needs it; undefined if it does not exist. */
  loadWork(id: string): Promise<PlanWork | undefined>;

  /**
   * Persists one step (see StepWrite); undefined when this owner no longer holds the lease or
   * the plan left the status the step saw.
   */
  saveStep(
    id: string,
    owner: string,
    write: StepWrite,
  ): Promise<StepSaved | undefined>;

  /**
   * The last decision that changed a workload and is not undone yet, optionally within one
   * plan: what a rollback restores.
   */
  findLastApplied(
    target: PlanTarget,
    planId?: string,
  ): Promise<{ planId: string; decision: StoredDecision } | undefined>;

  /**
   * The newest plan that changed each of these workloads (a decision that reached the
   * cluster: applying, rolling out, succeeded, rolled back or failed), by
   * `cluster/namespace/Kind/name`; workloads no plan changed are left out.
   */
  lastChangedPlans(
    targets: readonly WorkloadRef[],
  ): Promise<Map<string, string>>;

  /** Makes every held plan due now (the policy, a freeze window or an override changed). */
  wakeHeld(now: Date): Promise<void>;

  /** Asks the controller to stop an executing plan and roll it back; false if not executing. */
  requestCancel(id: string, at: Date, audit?: AuditRecord): Promise<boolean>;

  /** Plans waiting for approval since before `olderThan`. */
  listStalePendingApproval(olderThan: Date): Promise<string[]>;

  /** Plans per status among those not finished: the queue depth. */
  countActive(): Promise<Partial<Record<PlanStatus, number>>>;
}
