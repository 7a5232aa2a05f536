import { sentinelPermissions } from './permissions';
import { ROLE_GRANTS, SENTINEL_ROLES } from './roles';

/** What each permission lets one do, in the role table's words. */
const WHAT: Record<string, string> = {
  'sentinel.plan.read': 'see plans, their decisions and timelines; rollouts',
  'sentinel.plan.create': 'submit plans',
  'sentinel.plan.approve': 'approve or reject a plan',
  'sentinel.plan.cancel': 'cancel a plan (rolls back what it applied)',
  'sentinel.workload.read': 'see managed workloads and their health',
  'sentinel.rollback.create': 'roll a workload back',
  'sentinel.rollout.manage': 'pause, resume, promote or abort a rollout',
  'sentinel.policy.read': 'read policies and freezes; dry-run evaluation',
  'sentinel.policy.update':
    'replace the policy; force a rollback over drift; promote skipping analysis',
  'sentinel.freeze.manage': 'create and delete freeze windows; break glass',
  'sentinel.audit.read': 'query the audit trail',
  'sentinel.rbac.manage': 'see and change role bindings',
};

/**
 * The role table of the README and docs/permissions.md, from ROLE_GRANTS: `yes` everywhere,
 * `owned` only for services the user's groups own, blank: no.
 *
 * @public
 */
export function renderRoleTable(): string {
  const header = `| permission | what it allows | ${SENTINEL_ROLES.join(
    ' | ',
  )} |`;
  const rule = `| --- | --- | ${SENTINEL_ROLES.map(() => ':-:').join(' | ')} |`;
  const rows = sentinelPermissions.map(({ name }) => {
    const cells = SENTINEL_ROLES.map(role => {
      const grant = ROLE_GRANTS[role][name];
      if (grant === 'all') return 'yes';
      return grant === 'owned' ? 'owned' : '';
    });
    return `| \`${name}\` | ${WHAT[name] ?? ''} | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}

// prettier keeps out of the block, so the table stays exactly as rendered.
/**
 * The marker before the generated role table in a Markdown file (see `withRoleTable`).
 *
 * @public
 */
export const ROLE_TABLE_START =
  '<!-- role-table:start (yarn generate:roles) -->\n<!-- prettier-ignore-start -->';
/**
 * The marker after the generated role table in a Markdown file (see `withRoleTable`).
 *
 * @public
 */
export const ROLE_TABLE_END =
  '<!-- prettier-ignore-end -->\n<!-- role-table:end -->';

/**
 * `text` with the block between the role-table markers replaced by the current table.
 *
 * @public
 */
export function withRoleTable(text: string): string {
  const start = text.indexOf(ROLE_TABLE_START);
  const end = text.indexOf(ROLE_TABLE_END);
  if (start < 0 || end < start) return text;
  return `${text.slice(
    0,
    start + ROLE_TABLE_START.length,
  )}\n\n${renderRoleTable()}\n\n${text.slice(end)}`;
}
