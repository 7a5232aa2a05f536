import type {
  DecisionStatus,
  Plan,
  PlanMode,
  PlanStatus,
  PlanTarget,
  Verb,
  Verdict,
} from '@internal/backstage-plugin-sentinel-common';

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
  id: string;
  source: string;
  mode: PlanMode;
  submittedBy: string;
  idempotencyKey?: string;
  requestHash: string;
  rollbackOf?: string;
  decisions: NewDecision[];
  at: Date;
}

/** What changes on a decision as the pipeline advances it. */
export interface DecisionPatch {
  status?: DecisionStatus;
  verdict?: Verdict;
  change?: unknown;
  before?: unknown;
  after?: unknown;
  error?: string | null;
  /** When the change reached the cluster (rate limits count it from then). */
  appliedAt?: Date;
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
}

export interface PlanListFilter {
  entityRef?: string;
  status?: PlanStatus[];
  cluster?: string;
  namespace?: string;
}

/** The stored decision fields the executor needs beyond the API view. */
export interface StoredDecision {
  index: number;
  verb: Verb;
  target: PlanTarget;
  params: Record<string, unknown>;
  status: DecisionStatus;
  change: unknown | null;
  before: unknown | null;
  after: unknown | null;
}

/** Durable plans, decisions and timelines; the only place that holds pipeline state. */
export interface PlanStore {
  /**
   * Stores a new plan with its decisions and a `received` timeline entry. With an
   * idempotency key already used, stores nothing and returns the existing plan's id and hash.
   */
  createPlan(
    plan: NewPlan,
  ): Promise<
    | { created: true; plan: Plan }
    | { created: false; id: string; requestHash: string | null }
  >;

  getPlan(id: string): Promise<Plan | undefined>;

  listPlans(
    filter: PlanListFilter,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: Plan[]; nextCursor: string | null }>;

  /** Moves a plan between statuses if it is in one of `from`; false if it was not. */
  transition(id: string, transition: PlanTransition): Promise<boolean>;

  updateDecision(
    planId: string,
    index: number,
    patch: DecisionPatch,
    fence?: { leaseOwner: string },
  ): Promise<boolean>;

  getStoredDecisions(planId: string): Promise<StoredDecision[]>;

  /**
   * The last decision that changed a workload and is not undone yet, optionally within one
   * plan: what a rollback restores.
   */
  findLastApplied(
    target: PlanTarget,
    planId?: string,
  ): Promise<{ planId: string; decision: StoredDecision } | undefined>;

  /**
   * Leases up to `limit` plans that need a replica to advance them (received, approved, or
   * executing with an expired lease) to `owner` until `now + leaseMs`.
   */
  claimPlans(options: {
    owner: string;
    now: Date;
    leaseMs: number;
    limit: number;
  }): Promise<string[]>;

  /** Extends a lease this owner holds; false when it was lost. */
  renewLease(id: string, owner: string, until: Date): Promise<boolean>;

  releaseLease(id: string, owner: string): Promise<void>;

  /** Asks the executor to stop an executing plan and roll it back; false if not executing. */
  requestCancel(id: string, at: Date): Promise<boolean>;

  /** Whether someone asked to cancel this executing plan. */
  isCancelRequested(id: string): Promise<boolean>;

  /** Plans waiting for approval since before `olderThan`. */
  listStalePendingApproval(olderThan: Date): Promise<string[]>;

  /** Plans per status among those not finished: the queue depth. */
  countActive(): Promise<Partial<Record<PlanStatus, number>>>;
}
