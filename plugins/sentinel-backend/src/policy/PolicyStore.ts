import { ConflictError } from '@backstage/errors';
import type {
  FreezeOverride,
  FreezeWindow,
  PolicyDocument,
} from '@internal/backstage-plugin-sentinel-common';
import type { Knex } from 'knex';
import { writeAudit } from '../audit/auditRecord';
import { isUniqueViolation } from '../database/uniqueViolation';
import { iso } from '../database/time';

/** One stored version of the policy document. */
export interface PolicyVersion {
  version: number;
  document: PolicyDocument;
  changedBy: string;
  changedAt: string;
}

/**
 * Policy versions, freeze windows and break-glass overrides, on knex. Every change bumps the
 * policy revision in the same transaction, so that each replica notices it with one read.
 */
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
    return this.knex
      .transaction(async tx =>
        this.#save(tx, document, changedBy, at, expectedVersion),
      )
      .catch(async error => {
        // Another admin saved the same version a moment earlier: stale, not a 500.
        if (isUniqueViolation(error) && expectedVersion !== undefined) {
          const latest = await this.currentPolicy();
          throw new ConflictError(
            `the policy is at version ${
              latest?.version ?? 0
            }, not ${expectedVersion}; reload it and apply your change again`,
          );
        }
        throw error;
      });
  }

  async #save(
    tx: Knex.Transaction,
    document: PolicyDocument,
    changedBy: string,
    at: Date,
    expectedVersion?: number,
  ): Promise<PolicyVersion> {
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
    await bumpRevision(tx);
    await writeAudit(
      tx,
      {
        actor: changedBy,
        action: 'policy.update',
        outcome: 'succeeded',
        details: { version },
      },
      at,
    );
    return {
      version,
      document: stored,
      changedBy,
      changedAt: at.toISOString(),
    };
  }

  async listFreezeWindows(): Promise<FreezeWindow[]> {
    const rows = await this.knex('freeze_windows').orderBy('created_at');
    return rows.map(row => JSON.parse(row.window));
  }

  async addFreezeWindow(window: FreezeWindow): Promise<void> {
    await this.knex.transaction(async tx => {
      await tx('freeze_windows').insert({
        id: window.id,
        window: JSON.stringify(window),
        created_by: window.createdBy,
        created_at: new Date(window.createdAt),
      });
      await bumpRevision(tx);
      await writeAudit(
        tx,
        {
          actor: window.createdBy,
          action: 'freeze.create',
          outcome: 'succeeded',
          reason: window.reason,
          details: { windowId: window.id, name: window.name },
        },
        new Date(window.createdAt),
      );
    });
  }

  async deleteFreezeWindow(
    id: string,
    deletedBy: string,
    at: Date,
  ): Promise<boolean> {
    return this.knex.transaction(async tx => {
      const deleted = await tx('freeze_windows').where({ id }).delete();
      if (deleted > 0) {
        await bumpRevision(tx);
        await writeAudit(
          tx,
          {
            actor: deletedBy,
            action: 'freeze.delete',
            outcome: 'succeeded',
            details: { windowId: id },
          },
          at,
        );
      }
      return deleted > 0;
    });
  }

  async addOverride(override: FreezeOverride): Promise<void> {
    await this.knex.transaction(async tx => {
      await tx('freeze_overrides').insert({
        id: override.id,
        scope: JSON.stringify(override.scope),
        reason: override.reason,
        created_by: override.createdBy,
        created_at: new Date(override.createdAt),
        expires_at: new Date(override.expiresAt),
      });
      await bumpRevision(tx);
      await writeAudit(
        tx,
        {
          actor: override.createdBy,
          action: 'override.create',
          outcome: 'succeeded',
          reason: override.reason,
          details: {
            overrideId: override.id,
            scope: override.scope,
            expiresAt: override.expiresAt,
          },
        },
        new Date(override.createdAt),
      );
    });
  }

  /** The revision of everything stored here; a new one after every change. */
  async revision(): Promise<number> {
    return readPolicyRevision(this.knex);
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

async function bumpRevision(tx: Knex.Transaction): Promise<void> {
  await tx('policy_revision').where({ id: 1 }).increment('revision', 1);
}

/** The policy revision (see the reconciler migration); read inside the gate's transaction too. */
export async function readPolicyRevision(knex: Knex): Promise<number> {
  const row = await knex('policy_revision').where({ id: 1 }).first('revision');
  return Number(row?.revision ?? 0);
}
