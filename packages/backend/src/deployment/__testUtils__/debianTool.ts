import { spawnSync } from 'node:child_process';
import { repoRoot } from './render';

/**
 * Runs a tool of a Debian package from the repository's root. A missing tool fails the test,
 * naming the package: the checks it stands for must not pass by being skipped.
 */
export function debianTool(
  binary: string,
  debianPackage: string,
  args: string[],
): { status: number; stdout: string; output: string } {
  const result = spawnSync(binary, args, { cwd: repoRoot, encoding: 'utf8' });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(
      `${binary} is not installed: install Debian's ${debianPackage} package (scripts/dev.sh does)`,
    );
  }
  if (result.error) throw result.error;
  return {
    status: result.status ?? -1,
    stdout: result.stdout,
    output: `${result.stdout}${result.stderr}`,
  };
}

export const promtool = (...args: string[]) =>
  debianTool('promtool', 'prometheus', args);

export const amtool = (...args: string[]) =>
  debianTool('amtool', 'prometheus-alertmanager', args);
