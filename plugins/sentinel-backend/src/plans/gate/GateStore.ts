import type { PlanTarget } from '@internal/backstage-plugin-sentinel-common';
import type { RecentChange } from '../../policy/types';
import type { StepWrite } from '../store/PlanStore';

/** The gate's view of the changes counted by rate limits and blast radius. */
export interface LedgerQuery {
  /** Changes admitted after this instant. */
  since: Date;
  /** Only in this cluster, namespace or workload (undefined: everywhere). */
  cluster?: string;
  namespace?: string;
  workload?: PlanTarget;
  /** This plan's own changes are left out (the engine counts them within the plan). */
  excludePlanId: string;
}

/** What the gate reads under its locks, and decides on. */
export interface GateFacts {
  /** Changes admitted in the ledger query's window, this plan's own left out. */
  recentChanges: RecentChange[];
}

/** How the gate's check and reservation came out. */
export type AdmitResult<T> =
  /** Judged; when `T` admits, the reservation is written. */
  | { outcome: 'judged'; verdict: T; woken: string[] }
  /** The policy changed since the caller read it: judge again by `revision`. */
  | { outcome: 'stale'; revision: number }
  /** Another plan's change to the workload is in flight (at most one is). */
  | { outcome: 'in_flight'; planId: string | undefined }
  /** The plan is no longer this replica's, or has left its status. */
  | { outcome: 'lease_lost' };

/** The apply gate's atomic check and reservation. */
export interface GateStore {
  /**
   * Under a lock per key (PostgreSQL advisory locks taken in order; SQLite serializes), reads
   * the ledger, lets `decide` judge, and when it admits persists `write` (the decision's
   * reservation: applying, recorded change, applied_at; the plan's move to executing) in the
   * same transaction, provided the policy is still at `revision`. With no keys and no ledger
   * query nothing needs a lock: the write alone is the check. A unique index allows one
   * change in flight per workload across all replicas.
   */
  admit<T extends { admit: boolean }>(options: {
    planId: string;
    owner: string;
    target: PlanTarget;
    lockKeys: string[];
    ledger: Omit<LedgerQuery, 'excludePlanId'> | undefined;
    /** The policy revision the caller judges by (undefined: no policy). */
    revision: number | undefined;
    decide(facts: GateFacts): T;
    write: StepWrite;
  }): Promise<AdmitResult<T>>;

  /** The revision of policy, freeze windows and overrides (bumped with every change). */
  policyRevision(): Promise<number>;
}
