#!/usr/bin/env node
// yarn test:security: the security suite (docs/security.md, "The security suite").
//   1. every *.security.test.ts: TLS handshakes with openssl s_client, the access matrix,
//      hostile bodies to every endpoint, secrets in logs, responses and audit records, and
//      secrets in the rendered manifests;
//   2. the dependency audit of production dependencies (scripts/dependency-audit.mjs).
// Arguments go to jest (scripts/dev.sh passes --json --outputFile=…). Exits non-zero when
// either part fails; both always run.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const run = (command, args) =>
  spawnSync(command, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

const tests = run('yarn', [
  'backstage-cli',
  'repo',
  'test',
  '--testPathPatterns',
  '\\.security\\.test\\.ts$',
  ...process.argv.slice(2),
]);
const audit = run('node', ['scripts/dependency-audit.mjs']);
process.exit(tests || audit);
