import { combinedResource, type RequestAttributes } from './attributes';

/**
 * Kubernetes RBAC's matching of rules and subjects, as the kube-apiserver does it
 * (k8s.io/kubernetes/pkg/apis/rbac/v1/evaluation_helpers.go and
 * plugin/pkg/auth/authorizer/rbac/rbac.go). Pure.
 */

/**
 * A rule of a Role or ClusterRole (`rbac.authorization.k8s.io/v1` PolicyRule).
 */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** A subject of a RoleBinding or ClusterRoleBinding. */
export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

/**
 * Who a request comes from, as the authenticator found it.
 */
export interface UserInfo {
  /** e.g. `system:serviceaccount:sentinel-system:sentinel` */
  username: string;
  groups: string[];
}

/**
 * One permission a rule grants: one verb on one resource of one API group (and one name,
 * when the rule lists resourceNames), or one verb on one non-resource URL. The entries are
 * the rule's own, wildcards included (`*`, `*\/scale`, `/apis/*`).
 *
 * @public
 */
export interface RbacPermission {
  /** The index of the rule in the role's `rules`. */
  rule: number;
  /** An entry of the rule's `verbs`. */
  verb: string;
  /** An entry of the rule's `apiGroups` ('' for the core group). */
  apiGroup?: string;
  /** An entry of the rule's `resources` (`deployments/scale` for a subresource). */
  resource?: string;
  /** An entry of the rule's `resourceNames`, when it has any. */
  resourceName?: string;
  /** An entry of the rule's `nonResourceURLs`. */
  nonResourceURL?: string;
}

const ALL = '*';

function verbEntry(rule: PolicyRule, verb: string): string | undefined {
  return rule.verbs.find(v => v === ALL || v === verb);
}

/** ResourceMatches: `*`, the exact `resource[/subresource]`, or `*\/subresource`. */
function resourceEntry(
  rule: PolicyRule,
  combined: string,
  subresource: string,
): string | undefined {
  return (rule.resources ?? []).find(
    entry =>
      entry === ALL ||
      entry === combined ||
      (subresource !== '' && entry === `*/${subresource}`),
  );
}

/** NonResourceURLMatches: `*`, the exact path, or a prefix ending in `*`. */
function urlEntry(rule: PolicyRule, path: string): string | undefined {
  return (rule.nonResourceURLs ?? []).find(
    entry =>
      entry === ALL ||
      entry === path ||
      (entry.endsWith('*') && path.startsWith(entry.replace(/\*+$/, ''))),
  );
}

/**
 * Whether `rule` allows the request (RBAC's RuleAllows), and if so the permission it used:
 * the rule's entries that matched. An empty `resourceNames` allows every name; a non-empty
 * one allows only requests that name one of them (a create, or a list without a
 * `metadata.name` field selector, names none).
 */
export function ruleAllows(
  rule: PolicyRule,
  index: number,
  attributes: RequestAttributes,
): RbacPermission | undefined {
  const verb = verbEntry(rule, attributes.verb);
  if (!verb) return undefined;
  if (!attributes.resourceRequest) {
    const nonResourceURL = urlEntry(rule, attributes.path);
    return nonResourceURL ? { rule: index, verb, nonResourceURL } : undefined;
  }
  const apiGroup = (rule.apiGroups ?? []).find(
    g => g === ALL || g === attributes.apiGroup,
  );
  const resource = resourceEntry(
    rule,
    combinedResource(attributes),
    attributes.subresource,
  );
  if (apiGroup === undefined || resource === undefined) return undefined;
  const names = rule.resourceNames ?? [];
  if (names.length === 0) {
    return { rule: index, verb, apiGroup, resource };
  }
  const resourceName = names.find(n => n === attributes.name);
  return resourceName === undefined
    ? undefined
    : { rule: index, verb, apiGroup, resource, resourceName };
}

/** `system:serviceaccount:<namespace>:<name>`, a ServiceAccount's user name. */
export function serviceAccountUsername(namespace: string, name: string) {
  return `system:serviceaccount:${namespace}:${name}`;
}

/**
 * Whether a binding's subject is the user (RBAC's appliesToUser). A ServiceAccount subject
 * without a namespace is one of the binding's namespace (none for a ClusterRoleBinding).
 */
export function subjectIs(
  subject: Subject,
  user: UserInfo,
  bindingNamespace: string,
): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.username;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const namespace = subject.namespace || bindingNamespace;
      return (
        namespace !== '' &&
        serviceAccountUsername(namespace, subject.name) === user.username
      );
    }
    default:
      return false;
  }
}

/** How RBAC names a subject in its reasons: `ServiceAccount "sentinel/sentinel-system"`. */
export function describeSubject(
  subject: Subject,
  bindingNamespace: string,
): string {
  if (subject.kind === 'ServiceAccount') {
    return `${subject.kind} "${subject.name}/${
      subject.namespace || bindingNamespace
    }"`;
  }
  return `${subject.kind} "${subject.name}"`;
}

/** Every permission a rule grants, one per combination of its entries, in order. */
export function permissionsOf(rule: PolicyRule, index: number) {
  const permissions: RbacPermission[] = [];
  for (const verb of rule.verbs) {
    for (const apiGroup of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        const names = rule.resourceNames?.length
          ? rule.resourceNames
          : [undefined];
        for (const resourceName of names) {
          permissions.push({
            rule: index,
            verb,
            apiGroup,
            resource,
            ...(resourceName !== undefined && { resourceName }),
          });
        }
      }
    }
    for (const nonResourceURL of rule.nonResourceURLs ?? []) {
      permissions.push({ rule: index, verb, nonResourceURL });
    }
  }
  return permissions;
}

/** A key that tells permissions apart, entries and rule index included. */
export function permissionKey(permission: RbacPermission): string {
  return JSON.stringify([
    permission.rule,
    permission.verb,
    permission.apiGroup ?? null,
    permission.resource ?? null,
    permission.resourceName ?? null,
    permission.nonResourceURL ?? null,
  ]);
}

/**
 * A permission in a line, the group before the resource as in a REST path:
 * `create apps/deployments`, `patch apps/deployments/scale`, `list pods` (the core group),
 * `get apps/deployments "cart"` (one name), `get /apis/*` (a non-resource URL).
 *
 * @public
 */
export function describePermission(permission: RbacPermission): string {
  if (permission.nonResourceURL !== undefined) {
    return `${permission.verb} ${permission.nonResourceURL}`;
  }
  const group = permission.apiGroup ? `${permission.apiGroup}/` : '';
  const name = permission.resourceName ? ` "${permission.resourceName}"` : '';
  return `${permission.verb} ${group}${permission.resource}${name}`;
}

/** Reads a role's `rules` from a stored object, defensively. */
export function rulesOf(role: { rules?: unknown } | undefined): PolicyRule[] {
  return Array.isArray(role?.rules)
    ? role!.rules.filter(
        (r): r is PolicyRule =>
          typeof r === 'object' && r !== null && Array.isArray(r.verbs),
      )
    : [];
}

/** Reads a binding's `subjects`. */
export function subjectsOf(binding: { subjects?: unknown }): Subject[] {
  return Array.isArray(binding.subjects)
    ? binding.subjects.filter(
        (s): s is Subject =>
          typeof s === 'object' &&
          s !== null &&
          typeof s.kind === 'string' &&
          typeof s.name === 'string',
      )
    : [];
}
