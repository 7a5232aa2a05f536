// Writes the role table (from ROLE_GRANTS in sentinel-common) into the docs that show it.
import { readFileSync, writeFileSync } from 'node:fs';
import { withRoleTable } from '../plugins/sentinel-common/src/roleTable';

for (const doc of [
  'README.md',
  'docs/permissions.md',
  'plugins/permission-backend-module-sentinel/README.md',
]) {
  const text = readFileSync(doc, 'utf8');
  const updated = withRoleTable(text);
  if (updated !== text) {
    writeFileSync(doc, updated);
    console.log(`updated ${doc}`);
  }
}
