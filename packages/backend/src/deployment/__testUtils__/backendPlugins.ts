import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { repoRoot } from './render';

const backendDir = resolve(repoRoot, 'packages/backend');

function files(dir: string, suffix: RegExp): string[] {
  return readdirSync(dir).flatMap(entry => {
    const path = join(dir, entry);
    if (entry === 'node_modules' || entry === '__testUtils__') return [];
    if (statSync(path).isDirectory()) return files(path, suffix);
    return suffix.test(entry) && !/\.test\.tsx?$/.test(entry) ? [path] : [];
  });
}

/**
 * The plugins the backend (packages/backend/src/index.ts) runs that ask for a database, by
 * pluginId: each gets a database of its own (backstage_plugin_<id>) and a connection pool of
 * its own in every replica. Modules are left out: they share their plugin's.
 */
export function pluginsWithDatabase(): string[] {
  const index = readFileSync(resolve(backendDir, 'src/index.ts'), 'utf8');
  const packages = [...index.matchAll(/import\('([^.'][^']*)'\)/g)].map(
    m => m[1],
  );
  return packages
    .flatMap(name => {
      const manifest = require.resolve(`${name}/package.json`, {
        paths: [backendDir],
      });
      const { backstage } = JSON.parse(readFileSync(manifest, 'utf8'));
      if (backstage?.role !== 'backend-plugin') return [];
      const root = dirname(manifest);
      // A workspace plugin's source, or a published one's build.
      const code = files(
        resolve(root, manifest.includes('node_modules') ? 'dist' : 'src'),
        /\.(c?js|ts)$/,
      );
      const asks = code.some(file =>
        /coreServices\.database\b/.test(readFileSync(file, 'utf8')),
      );
      return asks ? [backstage.pluginId as string] : [];
    })
    .sort();
}
