#!/usr/bin/env node
// Proof that the access matrix guards every authorization call: for each call of
// authorize() or listAccess() in the Sentinel backend's routes, run the matrix test
// (src/permissions/accessMatrix.test.ts) with that one call replaced by a bare
// authentication (credentials only) and expect the test to fail. Prints one line per call
// and exits non-zero if any mutant survives. Files are restored after each run.
//
//   node scripts/authz-mutations.mjs            (about 15 s per call site)
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const pkg = new URL('../plugins/sentinel-backend/', import.meta.url).pathname;
const routes = join(pkg, 'src/routes');
// `await authorize(req, …)` (possibly over several lines) and `await listAccess(req, …)`.
const CALL = /await (authorize|listAccess)\(\s*req,[\s\S]*?\)(?=;|\s*$|\))/gm;

function mutants() {
  const found = [];
  for (const file of readdirSync(routes).filter(
    f => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'support.ts',
  )) {
    const text = readFileSync(join(routes, file), 'utf8');
    for (const match of text.matchAll(CALL)) {
      const line = text.slice(0, match.index).split('\n').length;
      const replacement =
        match[1] === 'listAccess'
          ? 'await credentials(req).then(() => ({ filter: undefined }))'
          : 'await credentials(req)';
      let mutated =
        text.slice(0, match.index) +
        replacement +
        text.slice(match.index + match[0].length);
      // Make `credentials` reachable in the route function.
      mutated = mutated.replace(/\{([^{}]*)\}: RouteSupport/g, (all, names) =>
        /\bcredentials\b/.test(names)
          ? all
          : `{ credentials, ${names.trim()} }: RouteSupport`,
      );
      found.push({
        file,
        line,
        call: match[0].replace(/\s+/g, ' '),
        text,
        mutated,
      });
    }
  }
  return found;
}

function matrixPasses() {
  try {
    execFileSync(
      'yarn',
      [
        'backstage-cli',
        'package',
        'test',
        'src/permissions/accessMatrix.test.ts',
      ],
      { cwd: pkg, stdio: 'ignore', env: { ...process.env, CI: 'true' } },
    );
    return true;
  } catch {
    return false;
  }
}

const all = mutants();
let survived = 0;
for (const m of all) {
  const path = join(routes, m.file);
  writeFileSync(path, m.mutated);
  let caught;
  try {
    caught = !matrixPasses();
  } finally {
    writeFileSync(path, m.text);
  }
  if (!caught) survived += 1;
  console.log(
    `${caught ? 'caught  ' : 'SURVIVED'} ${m.file}:${m.line} ${m.call}`,
  );
}
console.log(
  `${all.length - survived} of ${
    all.length
  } removed authorization calls make the matrix fail`,
);
process.exit(survived === 0 && all.length > 0 ? 0 : 1);
