import type { JsonObject } from '../patch';
import type { ObjectStore } from '../store';
import type { RequestAttributes } from './attributes';
import {
  describeSubject,
  type RbacPermission,
  ruleAllows,
  rulesOf,
  subjectIs,
  subjectsOf,
  type UserInfo,
} from './rules';

/** The group whose members may do anything, before RBAC is asked (as in Kubernetes). */
export const MASTERS = 'system:masters';

/**
 * A Role or ClusterRole, by kind and name (and namespace, for a Role).
 *
 * @public
 */
export interface RoleRef {
  /** `ClusterRole` or `Role`. */
  kind: 'ClusterRole' | 'Role';
  /** Its `metadata.name`. */
  name: string;
  /** The namespace of a Role. */
  namespace?: string;
}

/**
 * A RoleBinding or ClusterRoleBinding, by kind and name (and namespace, for a RoleBinding).
 *
 * @public
 */
export interface BindingRef {
  /** `ClusterRoleBinding` or `RoleBinding`. */
  kind: 'ClusterRoleBinding' | 'RoleBinding';
  /** Its `metadata.name`. */
  name: string;
  /** The namespace of a RoleBinding. */
  namespace?: string;
}

const byName = (objects: JsonObject[]) =>
  objects.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));

/** What allowed a request: a rule of a role, through a binding. */
export interface Grant {
  binding: BindingRef;
  role: RoleRef;
  permission: RbacPermission;
}

/** The authorizer's answer, with Kubernetes' reason text. */
export interface Decision {
  allowed: boolean;
  /**
   * When allowed by RBAC: `RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to
   * ServiceAccount "sentinel/sentinel-system"`. When denied: '' or the roles RBAC could not
   * find (`RBAC: clusterrole.rbac.authorization.k8s.io "y" not found`), as the 403 says.
   */
  reason: string;
  /** The rule that allowed it; none for system:masters. */
  grant?: Grant;
}

/**
 * Kubernetes RBAC over the objects in the store: a request is allowed when a rule of a role
 * bound to the user allows it. ClusterRoleBindings grant their ClusterRole everywhere;
 * RoleBindings grant their Role, or a ClusterRole, in their own namespace only. Bindings are
 * visited as the kube-apiserver does (ClusterRoleBindings, then the RoleBindings of the
 * request's namespace, each in name order), and the first rule that allows wins. Members of
 * `system:masters` are allowed everything without asking RBAC.
 */
export class RbacAuthorizer {
  constructor(private readonly store: ObjectStore) {}

  authorize(user: UserInfo, attributes: RequestAttributes): Decision {
    if (user.groups.includes(MASTERS)) {
      return { allowed: true, reason: '' };
    }
    const errors: string[] = [];
    const namespace = attributes.resourceRequest ? attributes.namespace : '';
    const bindings: Array<{ kind: BindingRef['kind']; object: JsonObject }> = [
      ...byName(this.store.scan('clusterrolebindings')).map(object => ({
        kind: 'ClusterRoleBinding' as const,
        object,
      })),
      ...(namespace
        ? byName(this.store.scan('rolebindings', namespace)).map(object => ({
            kind: 'RoleBinding' as const,
            object,
          }))
        : []),
    ];
    for (const { kind, object } of bindings) {
      const bindingNamespace =
        kind === 'RoleBinding' ? object.metadata.namespace : '';
      const subject = subjectsOf(object).find(s =>
        subjectIs(s, user, bindingNamespace),
      );
      if (!subject) continue;
      const roleRef = this.roleRefOf(object, bindingNamespace);
      const role = roleRef && this.roleOf(roleRef);
      if (!roleRef || !role) {
        errors.push(this.missing(object));
        continue;
      }
      const rules = rulesOf(role);
      for (let index = 0; index < rules.length; index++) {
        const permission = ruleAllows(rules[index], index, attributes);
        if (!permission) continue;
        const binding: BindingRef = {
          kind,
          name: object.metadata.name,
          ...(bindingNamespace && { namespace: bindingNamespace }),
        };
        const bindingName = bindingNamespace
          ? `${binding.name}/${bindingNamespace}`
          : binding.name;
        return {
          allowed: true,
          reason: `RBAC: allowed by ${kind} "${bindingName}" of ${
            roleRef.kind
          } "${roleRef.name}" to ${describeSubject(subject, bindingNamespace)}`,
          grant: { binding, role: roleRef, permission },
        };
      }
    }
    let reason = '';
    if (errors.length === 1) reason = `RBAC: ${errors[0]}`;
    if (errors.length > 1) reason = `RBAC: [${errors.join(', ')}]`;
    return { allowed: false, reason };
  }

  /** The role a binding refers to: a Role of its namespace, or a ClusterRole. */
  private roleRefOf(
    binding: JsonObject,
    bindingNamespace: string,
  ): RoleRef | undefined {
    const { kind, name } = binding.roleRef ?? {};
    if (kind === 'ClusterRole') return { kind, name };
    if (kind === 'Role' && bindingNamespace) {
      return { kind, name, namespace: bindingNamespace };
    }
    return undefined;
  }

  private roleOf(ref: RoleRef): JsonObject | undefined {
    return ref.kind === 'ClusterRole'
      ? this.store.find('clusterroles', '', ref.name)
      : this.store.find('roles', ref.namespace ?? '', ref.name);
  }

  /** RBAC's words for a binding whose role it cannot find. */
  private missing(binding: JsonObject): string {
    const { kind, name } = binding.roleRef ?? {};
    if (kind === 'ClusterRole' || kind === 'Role') {
      return `${String(
        kind,
      ).toLowerCase()}.rbac.authorization.k8s.io "${name}" not found`;
    }
    return `unsupported role reference kind: "${kind}"`;
  }
}
