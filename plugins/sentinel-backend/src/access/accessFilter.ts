import type { PermissionCriteria } from '@backstage/plugin-permission-common';
import type { SentinelResourceQuery } from '@internal/backstage-plugin-sentinel-node';
import type { Knex } from 'knex';

/** A list filter with ownership resolved to the entity refs the claims own. */
export type AccessQuery =
  | { entityRefs: readonly string[] }
  | { cluster: string }
  | { namespace: string }
  | { submittedBy: string };

/** What a caller may list: everything (undefined) or what the criteria let through. */
export type AccessFilter = PermissionCriteria<AccessQuery> | undefined;

const lower = (s: string) => s.toLocaleLowerCase('en-US');

/**
 * Resolves `ownedBy` claims into the managing entities they own, from the catalog's owners of
 * each entity (`entity ref -> owner refs`).
 */
export function resolveAccess(
  criteria: PermissionCriteria<SentinelResourceQuery>,
  entityOwners: ReadonlyMap<string, readonly string[]>,
): PermissionCriteria<AccessQuery> {
  if ('allOf' in criteria) {
    const [first, ...rest] = criteria.allOf;
    return {
      allOf: [
        resolveAccess(first, entityOwners),
        ...rest.map(c => resolveAccess(c, entityOwners)),
      ],
    };
  }
  if ('anyOf' in criteria) {
    const [first, ...rest] = criteria.anyOf;
    return {
      anyOf: [
        resolveAccess(first, entityOwners),
        ...rest.map(c => resolveAccess(c, entityOwners)),
      ],
    };
  }
  if ('not' in criteria) {
    return { not: resolveAccess(criteria.not, entityOwners) };
  }
  if ('ownedBy' in criteria) {
    const claims = new Set(criteria.ownedBy.map(lower));
    const entityRefs = [...entityOwners]
      .filter(([, owners]) => owners.some(o => claims.has(lower(o))))
      .map(([ref]) => ref);
    return { entityRefs };
  }
  return criteria;
}

/** Applies criteria to a knex query: `leaf` turns one query into a where clause. */
export function whereAccess(
  builder: Knex.QueryBuilder,
  criteria: PermissionCriteria<AccessQuery>,
  leaf: (builder: Knex.QueryBuilder, query: AccessQuery) => void,
): void {
  if ('allOf' in criteria) {
    builder.where(b => {
      for (const c of criteria.allOf)
        b.andWhere(bb => whereAccess(bb, c, leaf));
    });
  } else if ('anyOf' in criteria) {
    builder.where(b => {
      for (const c of criteria.anyOf) b.orWhere(bb => whereAccess(bb, c, leaf));
    });
  } else if ('not' in criteria) {
    builder.whereNot(b => whereAccess(b, criteria.not, leaf));
  } else {
    leaf(builder, criteria);
  }
}

/** Whether one target (a workload, a rollout's workload) passes the criteria. */
export function targetPasses(
  criteria: PermissionCriteria<AccessQuery>,
  target: {
    cluster: string;
    namespace: string;
    entityRef: string | null | undefined;
    submittedBy?: string;
  },
): boolean {
  if ('allOf' in criteria) {
    return criteria.allOf.every(c => targetPasses(c, target));
  }
  if ('anyOf' in criteria) {
    return criteria.anyOf.some(c => targetPasses(c, target));
  }
  if ('not' in criteria) return !targetPasses(criteria.not, target);
  if ('entityRefs' in criteria) {
    return !!target.entityRef && criteria.entityRefs.includes(target.entityRef);
  }
  if ('cluster' in criteria) return target.cluster === criteria.cluster;
  if ('namespace' in criteria) return target.namespace === criteria.namespace;
  return (
    target.submittedBy !== undefined &&
    lower(target.submittedBy) === lower(criteria.submittedBy)
  );
}
