import type { ObjectStore } from '../store';
import { combinedResource, type RequestAttributes } from './attributes';
import type { BindingRef, Decision, RoleRef } from './RbacAuthorizer';
import {
  permissionKey,
  permissionsOf,
  rulesOf,
  type RbacPermission,
  type UserInfo,
} from './rules';

/**
 * Requests of one kind that RBAC decided on, and what decided them: for a least-privilege
 * report, which rule of which role allowed each, and the 403 message of each denial.
 *
 * @public
 */
export interface AuthorizationRecord {
  /** The user name, e.g. `system:serviceaccount:sentinel-system:sentinel`. */
  user: string;
  /** Whether RBAC allowed it (else the client got a 403). */
  allowed: boolean;
  /** The request's verb: get, list, watch, create, update, patch, delete, ... */
  verb: string;
  /** Resource requests: the API group ('' for the core group). */
  apiGroup?: string;
  /** Resource requests: the resource, with its subresource (`deployments/scale`). */
  resource?: string;
  /** Resource requests in a namespace. */
  namespace?: string;
  /** Resource requests for one object. */
  name?: string;
  /** Non-resource requests: the path. */
  path?: string;
  /** Allowed: the role whose rule allowed it. */
  role?: RoleRef;
  /** Allowed: the binding that granted the role. */
  binding?: BindingRef;
  /** Allowed: the permission of the rule that matched (its entries, wildcards included). */
  permission?: RbacPermission;
  /** Denied: the message of the 403 the client got. */
  message?: string;
  /** How many such requests there were. */
  count: number;
}

function roleKey(role: RoleRef): string {
  return `${role.kind}/${role.namespace ?? ''}/${role.name}`;
}

/**
 * What RBAC decided, request by request (those of `system:masters` are not RBAC's and are
 * not kept), so that a test can list the permissions of a role no request used.
 */
export class AuthorizationLog {
  private readonly records = new Map<string, AuthorizationRecord>();
  /** Permission keys used, by role. */
  private readonly used = new Map<string, Set<string>>();

  constructor(private readonly store: ObjectStore) {}

  record(
    user: UserInfo,
    attributes: RequestAttributes,
    decision: Decision,
    message?: string,
  ): void {
    const record: Omit<AuthorizationRecord, 'count'> = {
      user: user.username,
      allowed: decision.allowed,
      verb: attributes.verb,
      ...(attributes.resourceRequest
        ? {
            apiGroup: attributes.apiGroup,
            resource: combinedResource(attributes),
            ...(attributes.namespace && { namespace: attributes.namespace }),
            ...(attributes.name && { name: attributes.name }),
          }
        : { path: attributes.path }),
      ...(decision.grant && {
        role: decision.grant.role,
        binding: decision.grant.binding,
        permission: decision.grant.permission,
      }),
      ...(!decision.allowed && message !== undefined && { message }),
    };
    const key = JSON.stringify(record);
    const seen = this.records.get(key);
    if (seen) {
      seen.count += 1;
    } else {
      this.records.set(key, { ...record, count: 1 });
    }
    if (decision.grant) {
      const role = roleKey(decision.grant.role);
      const used = this.used.get(role) ?? new Set<string>();
      used.add(permissionKey(decision.grant.permission));
      this.used.set(role, used);
    }
  }

  /** Every kind of request decided so far, in the order first seen. */
  list(): AuthorizationRecord[] {
    return [...this.records.values()].map(r => structuredClone(r));
  }

  clear(): void {
    this.records.clear();
    this.used.clear();
  }

  /**
   * The permissions of a role, as it is stored now, that allowed no request since the log
   * began: one per verb, API group, resource (and name, where the rule lists names) of each
   * rule, wildcards as written. A rule that only repeats an earlier rule of a role bound to
   * the same user is never used (the first rule that allows wins), so it shows here too.
   * Throws when there is no such role.
   */
  unusedPermissions(role: RoleRef): RbacPermission[] {
    const object =
      role.kind === 'ClusterRole'
        ? this.store.find('clusterroles', '', role.name)
        : this.store.find('roles', role.namespace ?? '', role.name);
    if (!object) {
      throw new Error(
        `${role.kind} ${role.namespace ? `${role.namespace}/` : ''}${
          role.name
        } does not exist`,
      );
    }
    const used = this.used.get(roleKey(role)) ?? new Set<string>();
    return rulesOf(object)
      .flatMap((rule, index) => permissionsOf(rule, index))
      .filter(permission => !used.has(permissionKey(permission)));
  }
}
