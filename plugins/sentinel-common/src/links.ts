import { parseEntityRef } from '@backstage/catalog-model';

/**
 * The Sentinel tab of a catalog entity's page, as a path of the portal: where notifications,
 * template outputs and the Overview card send people.
 *
 * @public
 */
export function sentinelTabPath(entityRef: string): string {
  const { kind, namespace, name } = parseEntityRef(entityRef);
  return `/catalog/${encodeURIComponent(namespace)}/${encodeURIComponent(
    kind.toLocaleLowerCase('en-US'),
  )}/${encodeURIComponent(name)}/sentinel`;
}
