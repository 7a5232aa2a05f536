// Prints one closing line over every test runner of `scripts/dev.sh test`:
//   Tests: 41 passed, 0 failed, 0 skipped (jest 30, security 9, browser 2)
//   node scripts/test-summary.mjs <jest.json> <e2e.json> [<security.json>]
// Runners that did not write results (they crashed or were not reached) count as failed.
import { readFileSync } from 'node:fs';

const [jestFile, e2eFile, securityFile] = process.argv.slice(2);

function read(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

const e2e = read(e2eFile);
const counts = { passed: 0, failed: 0, skipped: 0 };
const parts = [];

function addJest(name, file) {
  const results = read(file);
  if (!results) {
    counts.failed += 1;
    parts.push(`${name}: no results`);
    return;
  }
  counts.passed += results.numPassedTests;
  counts.failed += results.numFailedTests + results.numRuntimeErrorTestSuites;
  counts.skipped += results.numPendingTests + results.numTodoTests;
  parts.push(`${name} ${results.numTotalTests}`);
}

addJest('jest', jestFile);
if (securityFile) addJest('security', securityFile);

if (e2e) {
  const s = e2e.stats;
  counts.passed += s.expected + s.flaky;
  counts.failed += s.unexpected;
  counts.skipped += s.skipped;
  parts.push(`browser ${s.expected + s.flaky + s.unexpected + s.skipped}`);
} else {
  counts.failed += 1;
  parts.push('browser: no results');
}

console.log(`(${parts.join(', ')})`);
console.log(
  `Tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`,
);
