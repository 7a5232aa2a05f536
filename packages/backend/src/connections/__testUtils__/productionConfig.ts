import { ConfigSources, FileConfigSource } from '@backstage/config-loader';
import type { Config } from '@backstage/config';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { repoRoot } from '../../deployment/__testUtils__/render';

/**
 * A folder standing in for a pod's /etc/sentinel: the files app-config.production.yaml reads
 * with $file, written by the test.
 */
export class PodFiles {
  constructor(readonly root: string) {}

  /** Writes `content` where the pod would have /etc/sentinel/<path>. */
  write(path: string, content: string): void {
    const file = join(this.root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

/**
 * Sections of app-config.production.yaml (dotted paths, e.g. `backend.database`) as Backstage
 * loads them, $file and ${VARIABLES} included, with /etc/sentinel/ read from `files` instead
 * and the variables from `env`.
 */
export async function loadProductionConfig(
  files: PodFiles,
  env: Record<string, string>,
  sections: string[],
): Promise<Config> {
  const whole = parse(
    readFileSync(join(repoRoot, 'app-config.production.yaml'), 'utf8'),
  );
  const picked: Record<string, any> = {};
  for (const section of sections) {
    const keys = section.split('.');
    const value = keys.reduce((node, key) => node?.[key], whole);
    if (value === undefined) {
      throw new Error(`app-config.production.yaml has no ${section}`);
    }
    let node = picked;
    for (const key of keys.slice(0, -1)) node = node[key] ??= {};
    node[keys.at(-1)!] = value;
  }
  const path = join(files.root, 'app-config.production.yaml');
  writeFileSync(
    path,
    stringify(picked).replaceAll('/etc/sentinel/', `${files.root}/`),
  );
  const config = await ConfigSources.toConfig(
    FileConfigSource.create({
      path,
      substitutionFunc: async name => env[name],
      watch: false,
    }),
  );
  config.close();
  return config;
}
