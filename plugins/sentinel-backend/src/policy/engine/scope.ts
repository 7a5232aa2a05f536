/**
 * Whether a policy scope (of a rule, an exception, a freeze window or an override) applies to
 * a change: every field the scope gives must match, and a scope left out matches everything.
 */
import type { PolicyScope } from '@internal/backstage-plugin-sentinel-common';

/** Where a change lands, as scopes see it. */
export interface ScopeFacts {
  cluster: string;
  namespace: string;
  /** The catalog entity of the target; null or undefined if it has none. */
  entityRef?: string | null;
  /** The labels of that entity (metadata.labels). */
  labels?: Readonly<Record<string, string>>;
}

/** Whether the cluster, namespace and entityRef of a scope match (labels aside). */
export function placeMatches(
  scope: PolicyScope | undefined,
  facts: Pick<ScopeFacts, 'cluster' | 'namespace' | 'entityRef'>,
): boolean {
  return (
    !scope ||
    ((scope.cluster === undefined || scope.cluster === facts.cluster) &&
      (scope.namespace === undefined || scope.namespace === facts.namespace) &&
      (scope.entityRef === undefined || scope.entityRef === facts.entityRef))
  );
}

/** Whether the entity carries every label of the scope. */
export function labelsMatch(
  scope: PolicyScope | undefined,
  facts: Pick<ScopeFacts, 'labels'>,
): boolean {
  const wanted = scope?.labels;
  if (!wanted) {
    return true;
  }
  const labels = facts.labels;
  for (const key in wanted) {
    if (
      Object.prototype.hasOwnProperty.call(wanted, key) &&
      (labels === undefined ||
        !Object.prototype.hasOwnProperty.call(labels, key) ||
        labels[key] !== wanted[key])
    ) {
      return false;
    }
  }
  return true;
}

/** Whether the scope applies to the change: place and labels. */
export function scopeMatches(
  scope: PolicyScope | undefined,
  facts: ScopeFacts,
): boolean {
  return placeMatches(scope, facts) && labelsMatch(scope, facts);
}
