#!/usr/bin/env node
// The dependency audit of the security suite (docs/security.md, "Dependency audit"): every
// production dependency, direct and transitive, of every workspace against the registry's
// advisories. Fails on a high or critical finding unless docs/security.md lists it with its
// reason and a date to revisit that has not passed.
//
//   node scripts/dependency-audit.mjs
//
// Where the registry has no advisory endpoint (a mirror answering 404 or 405), it prints
// "NOT RUN" with the registry's answer and exits 0: the audit did not happen, and the suite's
// output says so rather than counting it as a pass. SENTINEL_REQUIRE_AUDIT=1 makes that a failure.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BLOCKING = new Set(['high', 'critical']);

/** Accepted findings: rows `| <advisory id or URL> | <package> | <reason> | <YYYY-MM-DD> |`. */
function acceptedFindings() {
  const doc = readFileSync(resolve(root, 'docs/security.md'), 'utf8');
  const section = doc.split(/^## Dependency audit$/m)[1]?.split(/^## /m)[0];
  const accepted = new Map();
  for (const line of (section ?? '').split('\n')) {
    const cells = line
      .split('|')
      .slice(1, -1)
      .map(c => c.trim());
    if (cells.length === 4 && /^\d{4}-\d{2}-\d{2}$/.test(cells[3])) {
      accepted.set(cells[0].replace(/`/g, ''), {
        reason: cells[2],
        revisit: cells[3],
      });
    }
  }
  return accepted;
}

/** Yarn's NDJSON: one advisory per line, `{ value: <package>, children: { ID, Severity, … } }`. */
function findings(stdout) {
  const found = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line);
    const details = entry.children ?? {};
    found.push({
      pkg: entry.value,
      id: String(details.ID ?? details.URL ?? 'unknown'),
      url: details.URL,
      severity: String(details.Severity ?? 'unknown').toLowerCase(),
      issue: details.Issue,
    });
  }
  return found;
}

const audit = spawnSync(
  'yarn',
  [
    'npm',
    'audit',
    '--environment',
    'production',
    '--all',
    '--recursive',
    '--json',
  ],
  { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
);
const output = `${audit.stdout}\n${audit.stderr}`;
const unavailable = output.match(/Response [Cc]ode:? (404|405|501)[^\n]*/);
if (unavailable) {
  const url = output.match(/Request URL: (\S+)/)?.[1] ?? 'the registry';
  console.log(
    `dependency audit: NOT RUN: ${url} answered ${unavailable[0].replace(
      'Response Code: ',
      '',
    )}; no advisories were checked (docs/security.md, "Dependency audit")`,
  );
  process.exit(process.env.SENTINEL_REQUIRE_AUDIT === '1' ? 1 : 0);
}
if (audit.status !== 0 && !output.includes('"Severity"')) {
  console.error(
    `dependency audit: yarn npm audit failed:\n${output.slice(0, 2000)}`,
  );
  process.exit(1);
}

const accepted = acceptedFindings();
const today = new Date().toISOString().slice(0, 10);
const all = findings(audit.stdout);
const problems = [];
for (const finding of all.filter(f => BLOCKING.has(f.severity))) {
  const entry = accepted.get(finding.id) ?? accepted.get(finding.url);
  if (!entry) {
    problems.push(
      `${finding.severity} ${finding.id} in ${finding.pkg}: ${finding.issue} (not listed in docs/security.md)`,
    );
  } else if (entry.revisit < today) {
    problems.push(
      `${finding.severity} ${finding.id} in ${finding.pkg}: accepted until ${entry.revisit}, which has passed`,
    );
  }
}
console.log(
  `dependency audit: ${all.length} advisories in production dependencies, ${
    all.filter(f => BLOCKING.has(f.severity)).length
  } high or critical, ${problems.length} not accepted`,
);
for (const problem of problems) console.log(`  ${problem}`);
process.exit(problems.length ? 1 : 0);
