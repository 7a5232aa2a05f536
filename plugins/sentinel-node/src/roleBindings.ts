import type { Config } from '@backstage/config';
import {
  SENTINEL_ROLES,
  type RoleBindings,
  type SentinelRole,
} from '@internal/backstage-plugin-sentinel-common';

/**
 * The role bindings of `sentinel.rbac` in app-config: the seed of Sentinel's bindings store and
 * the role policy's bindings until it has read the store.
 *
 * @public
 */
export function readRoleBindings(config: Config): {
  roles: RoleBindings;
  defaultRole?: SentinelRole;
} {
  const rbac = config.getOptionalConfig('sentinel.rbac');
  const roles: RoleBindings = {};
  for (const role of SENTINEL_ROLES) {
    roles[role] = rbac?.getOptionalStringArray(`roles.${role}`) ?? [];
  }
  const defaultRole = rbac?.getOptionalString('defaultRole');
  if (
    defaultRole !== undefined &&
    !(SENTINEL_ROLES as readonly string[]).includes(defaultRole)
  ) {
    throw new Error(
      `sentinel.rbac.defaultRole must be one of ${SENTINEL_ROLES.join(
        ', ',
      )}, got '${defaultRole}'`,
    );
  }
  return { roles, defaultRole: defaultRole as SentinelRole | undefined };
}
