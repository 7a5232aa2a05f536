import type {
  FreezeOverride,
  FreezeWindow,
  PolicyDocument,
  Verdict,
} from '@internal/backstage-plugin-sentinel-common';
import type { ContainerState } from '@internal/backstage-plugin-sentinel-node';
import type { PolicyPlanInput } from './PolicyEngine';

/** One applied change, as rate limits and blast radius count them. */
export interface RecentChange {
  /** When the change was applied (ISO 8601). */
  at: string;
  /** The workload, as `cluster/namespace/Kind/name`. */
  workload: string;
}

/** One applied change; `id` (plan id and decision index) makes recording idempotent. */
export interface LedgerEntry extends RecentChange {
  id: string;
}

/** Where applied changes are stored for good (the plan store): the ledger's source of truth. */
export interface AppliedChanges {
  /** Changes admitted since `since`, oldest first. */
  appliedSince(since: Date): Promise<RecentChange[]>;
  /** The same with their ids, for idempotent copies into Redis. */
  appliedEntriesSince(since: Date): Promise<LedgerEntry[]>;
}

/**
 * Everything the policy engine needs beyond the plan and the policy document. Gathered by
 * I/O code before each evaluation; the engine itself reads nothing and never the clock.
 */
export interface PolicyContext {
  /** Freeze windows, compiled once (see compileFreezeCalendar) and reused across evaluations. */
  freezeCalendar: FreezeCalendar;
  /** Break-glass overrides; only those active at `now` count. */
  overrides: FreezeOverride[];
  /** The current state of each target, by `cluster/namespace/Kind/name`; missing = unknown. */
  workloads: Record<
    string,
    { replicas: number; containers: ContainerState[] } | undefined
  >;
  /** Labels of each decision's catalog entity, by entity ref. */
  entityLabels: Record<string, Record<string, string>>;
  /** Changes applied within the longest window any rule uses. */
  recentChanges: RecentChange[];
  /** Every workload Sentinel manages (by `cluster/namespace/Kind/name`), to size blast radius. */
  managedWorkloads: string[];
}

/** Freeze windows with their recurrences resolved into concrete intervals around a time. */
export interface FreezeCalendar {
  windows: FreezeWindow[];
  /** The window's interval that contains `at`, if any (recurring windows resolved in their time zone). */
  activeAt(
    window: FreezeWindow,
    at: Date,
  ): { start: Date; end: Date } | undefined;
  /** The next interval of the window that starts after `at`, if any. */
  nextAfter(
    window: FreezeWindow,
    at: Date,
  ): { start: Date; end: Date } | undefined;
}

/** The engine's answer: a verdict per decision and the plan's overall outcome. */
export interface PolicyEvaluation {
  outcome: Verdict['outcome'];
  decisions: {
    index: number;
    verdict: Verdict;
    /** The ids of the rules (and freeze windows) that denied it; for metrics. */
    deniedBy?: string[];
  }[];
  /** How full each rate and blast-radius limit that was checked would be; for metrics. */
  usage?: RuleUsage[];
}

/**
 * A limit's use with the evaluated decision counted, over its budget: 1 is the budget exactly
 * spent, above 1 is denied. The fullest group (workload, namespace, cluster) of the evaluation.
 */
export interface RuleUsage {
  rule: string;
  kind: 'rate_limit' | 'blast_radius';
  per: string;
  ratio: number;
}

/** The pure engine: (plan, policy, context, now) → verdicts. No I/O, no clock. */
export type EvaluatePolicy = (
  plan: PolicyPlanInput,
  policy: PolicyDocument,
  context: PolicyContext,
  now: Date,
) => PolicyEvaluation;
