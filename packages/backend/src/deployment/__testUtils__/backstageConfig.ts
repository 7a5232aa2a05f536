import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { repoRoot } from './render';

/** Runs the Backstage CLI as the container would see its configuration. */
export function backstageCli(args: string[], env: Record<string, string>) {
  return spawnSync(
    process.execPath,
    [
      resolve(repoRoot, 'node_modules/@backstage/cli/bin/backstage-cli'),
      ...args,
    ],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      // Only what the Deployment gives, and what a process needs to run at all.
      env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env },
    },
  );
}

/** The configuration the backend would run with, merged, secrets included. */
export function printConfig(configArgs: string[], env: Record<string, string>) {
  const print = backstageCli(
    ['config:print', '--with-secrets', '--format', 'json', ...configArgs],
    env,
  );
  if (print.status !== 0) throw new Error(print.stderr);
  return JSON.parse(print.stdout);
}
