// Prints one closing line over every test runner of `scripts/dev.sh test`:
//   Tests: 41 passed, 0 failed, 0 skipped (jest 39, browser 2)
// Runners that did not write results (they crashed or were not reached) count as failed.
import { readFileSync } from 'node:fs';

const [jestFile, e2eFile] = process.argv.slice(2);

function read(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

const jest = read(jestFile);
const e2e = read(e2eFile);
const counts = { passed: 0, failed: 0, skipped: 0 };
const parts = [];

if (jest) {
  counts.passed += jest.numPassedTests;
  counts.failed += jest.numFailedTests + jest.numRuntimeErrorTestSuites;
  counts.skipped += jest.numPendingTests + jest.numTodoTests;
  parts.push(`jest ${jest.numTotalTests}`);
} else {
  counts.failed += 1;
  parts.push('jest: no results');
}

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
