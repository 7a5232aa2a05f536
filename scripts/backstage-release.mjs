#!/usr/bin/env node
// Every @backstage/* package resolves to its version in ONE Backstage release (backstage.json).
//
//   node scripts/backstage-release.mjs          check yarn.lock and every package.json
//   node scripts/backstage-release.mjs --pin    after `yarn install`: pin the @backstage/*
//                                               packages in yarn.lock that have no pin yet
//
// Why: the registry carries newer 1.x versions than the release (backend-plugin-api 1.12.0
// beside 1.55.0's 1.10.1, say), and a caret range takes the newest, so a fresh resolution mixes
// releases, one of which may lack a package Sentinel needs (as it lacked the events backend).
// The root package.json's `resolutions` therefore pin each @backstage/* package to the
// release's version, and this check keeps yarn.lock, the pins and the workspaces' ranges in step.
//
// Moving to another release: set each direct dependency from that release's manifest (the
// release's @backstage/create-app lists most of them in dist/lib/versions), replace the pins
// with the same versions, then `yarn install` and `--pin` until it pins nothing: a package the
// pinned ones depend on is pinned at the highest version they ask for, which is its version in
// their release (a release's packages ask for each other's versions, `^x.y.z`).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const read = path => readFileSync(resolve(root, path), 'utf8');

/** yarn.lock's @backstage/* entries: name, version, and their @backstage/* dependencies. */
function lockEntries() {
  const entries = [];
  for (const block of read('yarn.lock').split('\n\n')) {
    const head = block.match(
      /^"(@backstage\/[^@"]+)@[^\n]*":\n {2}version: (\S+)/,
    );
    if (!head) continue;
    const dependencies = {};
    const deps = block.match(/\n {2}dependencies:\n((?: {4}[^\n]*\n?)+)/);
    for (const line of deps ? deps[1].split('\n') : []) {
      const dep = line
        .trim()
        .match(/^"?(@backstage\/[^":]+)"?: "?npm:([^"]+)"?$/);
      if (dep) dependencies[dep[1]] = dep[2];
    }
    entries.push({ name: head[1], version: head[2], dependencies });
  }
  return entries;
}

/** The root package.json and every workspace's. */
function packageJsons() {
  const rootPkg = JSON.parse(read('package.json'));
  const result = [{ path: 'package.json', pkg: rootPkg }];
  for (const pattern of rootPkg.workspaces) {
    const base = pattern.replace(/\/\*$/, '');
    for (const dir of readdirSync(resolve(root, base), {
      withFileTypes: true,
    })) {
      if (!dir.isDirectory()) continue;
      const path = `${base}/${dir.name}/package.json`;
      try {
        result.push({ path, pkg: JSON.parse(read(path)) });
      } catch {
        // a folder without a package.json is no workspace
      }
    }
  }
  return result;
}

const compare = (a, b) => {
  const [x, y] = [a, b].map(v => v.split(/[.-]/).slice(0, 3).map(Number));
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
};

const release = JSON.parse(read('backstage.json')).version;
const rootPkg = JSON.parse(read('package.json'));
const pins = Object.fromEntries(
  Object.entries(rootPkg.resolutions ?? {}).filter(([name]) =>
    name.startsWith('@backstage/'),
  ),
);
const entries = lockEntries();

if (process.argv.includes('--pin')) {
  const wanted = {};
  for (const entry of entries) {
    if (pins[entry.name] !== entry.version) continue;
    for (const [name, range] of Object.entries(entry.dependencies)) {
      if (pins[name]) continue;
      const version = range.replace(/^[\^~]/, '');
      if (!wanted[name] || compare(version, wanted[name]) > 0)
        wanted[name] = version;
    }
  }
  const names = Object.keys(wanted);
  if (names.length > 0) {
    rootPkg.resolutions = Object.fromEntries(
      Object.entries({ ...rootPkg.resolutions, ...wanted }).sort(([a], [b]) =>
        a < b ? -1 : 1,
      ),
    );
    writeFileSync(
      resolve(root, 'package.json'),
      `${JSON.stringify(rootPkg, null, 2)}\n`,
    );
  }
  console.log(
    names.length > 0
      ? `pinned ${names
          .map(n => `${n}@${wanted[n]}`)
          .join(', ')}; run yarn install and --pin again`
      : 'nothing left to pin',
  );
  process.exit(0);
}

const problems = [];
const versions = new Map();
for (const { name, version } of entries) {
  versions.set(name, [...(versions.get(name) ?? []), version]);
}
for (const [name, found] of versions) {
  if (found.length > 1)
    problems.push(`${name}: yarn.lock holds ${found.join(' and ')}`);
  if (!pins[name]) problems.push(`${name}: no pin in package.json resolutions`);
  else if (!found.includes(pins[name])) {
    problems.push(
      `${name}: yarn.lock holds ${found.join(', ')}, the pin says ${
        pins[name]
      }`,
    );
  }
}
for (const name of Object.keys(pins)) {
  if (!versions.has(name))
    problems.push(`${name}: pinned but not in yarn.lock (drop the pin)`);
}
for (const { path, pkg } of packageJsons()) {
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
    for (const [name, range] of Object.entries(pkg[field] ?? {})) {
      if (!name.startsWith('@backstage/') || !pins[name]) continue;
      if (range !== `^${pins[name]}`) {
        problems.push(
          `${path} ${field}: ${name} ${range}, the release's is ^${pins[name]}`,
        );
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`Not one Backstage release (backstage.json says ${release}):`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log(
  `Backstage ${release}: ${versions.size} @backstage/* packages, one version each, as pinned`,
);
