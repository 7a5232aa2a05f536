import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sentinelPermissions } from './permissions';
import { renderRoleTable, ROLE_TABLE_START, withRoleTable } from './roleTable';

const DOCS = [
  'README.md',
  'docs/permissions.md',
  'plugins/permission-backend-module-sentinel/README.md',
];

describe('the role table', () => {
  it('has a row for every permission, saying what it allows', () => {
    const table = renderRoleTable();
    for (const { name } of sentinelPermissions) {
      expect(table).toMatch(new RegExp(`\\| \`${name}\` \\| [a-z]`));
    }
    // Operators act only on what their groups own; the optimizer approves nothing.
    expect(table).toContain(
      '| `sentinel.plan.approve` | approve or reject a plan |  | owned | yes |  |',
    );
  });

  it.each(DOCS)('is current in %s (yarn generate:roles)', doc => {
    const text = readFileSync(join(__dirname, '../../..', doc), 'utf8');
    expect(text).toContain(ROLE_TABLE_START);
    expect(text).toBe(withRoleTable(text));
  });
});
