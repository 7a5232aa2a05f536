import { ConflictError, InputError } from '@backstage/errors';
import {
  SENTINEL_ROLES,
  type RoleBindings,
  type RoleBindingsVersion,
  type SentinelRole,
} from '@internal/backstage-plugin-sentinel-common';
import type { Knex } from 'knex';
import { z } from 'zod';
import { writeAudit } from '../audit/auditRecord';
import { iso } from '../database/time';
import { isUniqueViolation } from '../database/uniqueViolation';
import type { RoleBindingsSource } from './SentinelAccess';

// A user or group entity ref (`group:default/sre`) or a service principal's subject as
// `service:<subject>` (`service:external:inframind`), as the OpenAPI document writes them.
const bindingRef = z
  .string()
  .min(3)
  .max(255)
  .regex(
    /^([a-z][a-z0-9-]*:[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*|service:[a-z0-9][a-z0-9:._-]*)$/i,
    'must be an entity ref (group:default/sre) or service:<subject> (service:external:inframind)',
  );

/** The body of PUT /v1/rbac/bindings. */
export const roleBindingsInputSchema = z.strictObject({
  /** The version the admin read; a newer one saved meanwhile is a 409. */
  version: z.number().int().min(0),
  roles: z.strictObject(
    Object.fromEntries(
      SENTINEL_ROLES.map(role => [
        role,
        z.array(bindingRef).max(500).optional(),
      ]),
    ) as Record<SentinelRole, z.ZodOptional<z.ZodArray<typeof bindingRef>>>,
  ),
  defaultRole: z.enum(SENTINEL_ROLES).nullable().optional(),
  comment: z.string().max(2000).optional(),
});
export type RoleBindingsInput = z.infer<typeof roleBindingsInputSchema>;

interface BindingRow {
  version: number;
  roles: string;
  default_role: string | null;
  updated_by: string;
  updated_at: Date | string;
  comment: string | null;
}

function fromRow(row: BindingRow): RoleBindingsVersion {
  const roles = JSON.parse(row.roles) as RoleBindings;
  return {
    version: Number(row.version),
    roles: Object.fromEntries(
      SENTINEL_ROLES.map(role => [role, [...(roles[role] ?? [])]]),
    ) as Record<SentinelRole, string[]>,
    defaultRole: (row.default_role as SentinelRole | null) ?? null,
    updatedBy: row.updated_by,
    updatedAt: iso(row.updated_at),
    comment: row.comment,
  };
}

/**
 * Who holds which Sentinel role, versioned: app-config seeds the first version, the bindings
 * API saves the next ones. The newest version is in force on every replica (each reads it
 * again within `ttlMs`).
 */
export class RoleBindingStore implements RoleBindingsSource {
  #cache?: { at: number; value: Promise<RoleBindingsVersion | undefined> };

  constructor(private readonly knex: Knex, private readonly ttlMs = 2_000) {}

  /** Stores app-config's bindings as version 1 if there are none yet. */
  async seed(
    bindings: { roles: RoleBindings; defaultRole?: SentinelRole },
    at: Date,
  ): Promise<void> {
    if (await this.latest()) return;
    try {
      await this.knex('rbac_bindings').insert({
        version: 1,
        roles: JSON.stringify(bindings.roles),
        default_role: bindings.defaultRole ?? null,
        updated_by: 'app-config',
        updated_at: at,
        comment: 'seeded from sentinel.rbac',
      });
    } catch (error) {
      // Another replica seeded it at the same moment.
      if (!(await this.latest())) throw error;
    }
  }

  async latest(): Promise<RoleBindingsVersion | undefined> {
    const row = await this.knex<BindingRow>('rbac_bindings')
      .orderBy('version', 'desc')
      .first();
    return row && fromRow(row);
  }

  async history(limit: number): Promise<RoleBindingsVersion[]> {
    const rows = await this.knex<BindingRow>('rbac_bindings')
      .orderBy('version', 'desc')
      .limit(limit);
    return rows.map(fromRow);
  }

  /** The roles in force, read again at most every `ttlMs`. */
  async current(): Promise<RoleBindings> {
    const now = Date.now();
    if (!this.#cache || now - this.#cache.at > this.ttlMs) {
      const value = this.latest();
      this.#cache = { at: now, value };
      value.catch(() => {
        if (this.#cache?.value === value) this.#cache = undefined;
      });
    }
    return (await this.#cache.value)?.roles ?? {};
  }

  /** Saves a new version, refusing a stale one (409) and one that leaves no admin (400). */
  async save(
    input: RoleBindingsInput,
    actor: string,
    at: Date,
  ): Promise<RoleBindingsVersion> {
    if (!input.roles.admin?.length) {
      throw new InputError(
        'roles.admin: must name at least one user or group; Sentinel must always have an admin',
      );
    }
    const stale = (current: number) =>
      new ConflictError(
        `the role bindings are at version ${current}, not ${input.version}; reload them and apply your change again`,
      );
    const saved = await this.knex
      .transaction(async tx => {
        const latest = await tx('rbac_bindings').max({ v: 'version' }).first();
        const current =
          latest?.v === null || latest?.v === undefined ? 0 : Number(latest.v);
        if (input.version !== current) throw stale(current);
        const version = current + 1;
        // The primary key makes two concurrent saves of one version fail, never both win.
        await tx('rbac_bindings').insert({
          version,
          roles: JSON.stringify(input.roles),
          default_role: input.defaultRole ?? null,
          updated_by: actor,
          updated_at: at,
          comment: input.comment ?? null,
        });
        await writeAudit(
          tx,
          {
            actor,
            action: 'rbac.update',
            outcome: 'succeeded',
            reason: input.comment,
            details: { version },
          },
          at,
        );
        return version;
      })
      .catch(async error => {
        // Another admin saved the same version a moment earlier.
        if (isUniqueViolation(error)) {
          throw stale((await this.latest())?.version ?? 0);
        }
        throw error;
      });
    this.#cache = undefined;
    return (await this.history(1)).find(v => v.version === saved)!;
  }
}
