import { ConflictError } from '@backstage/errors';
import type {
  FreezeOverride,
  FreezeWindow,
  PolicyDocument,
} from '@internal/backstage-plugin-sentinel-common';
import type { Knex } from 'knex';
import { iso } from './time';
import type { LedgerEntry } from '../policy/ChangeLedger';
import type { RecentChange } from '../policy/types';

/** One stored version of the policy document. */
export interface PolicyVersion {
  version: number;
  document: PolicyDocument;
  changedBy: string;
  changedAt: string;
}

/** Policy versions, freeze windows, overrides and the applied-change ledger, on knex. */
export class PolicyStore {
  constructor(private readonly knex: Knex) {}

  async currentPolicy(): Promise<PolicyVersion | undefined> {
    const row = await this.knex('policy_versions')
      .orderBy('version', 'desc')
      .first();
    return row && this.#version(row);
  }

  async policyHistory(limit: number): Promise<PolicyVersion[]> {
    const rows = await this.knex('policy_versions')
      .orderBy('version', 'desc')
      .limit(limit);
    return rows.map(row => this.#version(row));
  }

  /**
   * Stores a new version. With `expectedVersion`, refuses when another admin saved a newer
   * one meanwhile (409) instead of silently overwriting it.
   */
  async savePolicy(
    document: PolicyDocument,
    changedBy: string,
    at: Date,
    expectedVersion?: number,
  ): Promise<PolicyVersion> {
    return this.knex.transaction(async tx => {
      const latest = await tx('policy_versions').max({ v: 'version' }).first();
      const current =
        latest?.v === null || latest?.v === undefined ? 0 : Number(latest.v);
      if (expectedVersion !== undefined && expectedVersion !== current) {
        throw new ConflictError(
          `the policy is at version ${current}, not ${expectedVersion}; reload it and apply your change again`,
        );
      }
      const version = current + 1;
      const stored = { ...document, version };
      // The primary key makes two concurrent saves of the same version fail, never both win.
      await tx('policy_versions').insert({
        version,
        document: JSON.stringify(stored),
        changed_by: changedBy,
        changed_at: at,
      });
      return {
        version,
        document: stored,
        changedBy,
        changedAt: at.toISOString(),
      };
    });
  }

  async listFreezeWindows(): Promise<FreezeWindow[]> {
    const rows = await this.knex('freeze_windows').orderBy('created_at');
    return rows.map(row => JSON.parse(row.window));
  }

  async addFreezeWindow(window: FreezeWindow): Promise<void> {
    await this.knex('freeze_windows').insert({
      id: window.id,
      window: JSON.stringify(window),
      created_by: window.createdBy,
      created_at: new Date(window.createdAt),
    });
  }

  async deleteFreezeWindow(id: string): Promise<boolean> {
    return (await this.knex('freeze_windows').where({ id }).delete()) > 0;
  }

  async addOverride(override: FreezeOverride): Promise<void> {
    await this.knex('freeze_overrides').insert({
      id: override.id,
      scope: JSON.stringify(override.scope),
      reason: override.reason,
      created_by: override.createdBy,
      created_at: new Date(override.createdAt),
      expires_at: new Date(override.expiresAt),
    });
  }

  /** Overrides not yet expired at `now`. */
  async activeOverrides(now: Date): Promise<FreezeOverride[]> {
    const rows = await this.knex('freeze_overrides')
      .where('expires_at', '>', now)
      .orderBy('created_at');
    return rows.map(row => ({
      id: row.id,
      scope: JSON.parse(row.scope),
      reason: row.reason,
      createdBy: row.created_by,
      createdAt: iso(row.created_at),
      expiresAt: iso(row.expires_at),
    }));
  }

  /** Changes applied since `since`, from the plan store itself: the rate limits' fallback. */
  async appliedSince(since: Date): Promise<RecentChange[]> {
    const rows = await this.knex('plan_decisions')
      .select('cluster', 'namespace', 'kind', 'name', 'applied_at')
      .where('applied_at', '>', since)
      .orderBy('applied_at');
    return rows.map(row => ({
      at: iso(row.applied_at),
      workload: `${row.cluster}/${row.namespace}/${row.kind}/${row.name}`,
    }));
  }

  /** The same, with each change's id (plan and decision) for idempotent copies to Redis. */
  async appliedEntriesSince(since: Date): Promise<LedgerEntry[]> {
    const rows = await this.knex('plan_decisions')
      .select(
        'plan_id',
        'decision_index',
        'cluster',
        'namespace',
        'kind',
        'name',
        'applied_at',
      )
      .where('applied_at', '>', since);
    return rows.map(row => ({
      id: `${row.plan_id}:${row.decision_index}`,
      at: iso(row.applied_at),
      workload: `${row.cluster}/${row.namespace}/${row.kind}/${row.name}`,
    }));
  }

  #version(row: {
    version: number | string;
    document: string;
    changed_by: string;
    changed_at: Date | number | string;
  }): PolicyVersion {
    return {
      version: Number(row.version),
      document: JSON.parse(row.document),
      changedBy: row.changed_by,
      changedAt: iso(row.changed_at),
    };
  }
}
