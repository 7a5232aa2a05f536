import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot } from './__testUtils__/render';

jest.setTimeout(60_000);

// What docs/promotion.md says about rolling back across a schema change, proven on
// Sentinel's own migrations.
const pluginDir = resolve(repoRoot, 'plugins/sentinel-backend');
const migrationsDir = resolve(pluginDir, 'migrations');
const migrations = readdirSync(migrationsDir)
  .filter(f => f.endsWith('.js'))
  .sort();

describe("Sentinel's migrations", () => {
  it('only add: no table or column is dropped or renamed on the way up', () => {
    const destructive = migrations.flatMap(file => {
      const source = readFileSync(join(migrationsDir, file), 'utf8');
      const up = source.slice(
        source.indexOf('exports.up'),
        source.indexOf('exports.down'),
      );
      return [
        ...up.matchAll(
          /\b(dropColumns?|dropTable(IfExists)?|renameColumn|renameTable)\(|\b(DROP (TABLE|COLUMN)|RENAME)\b/gi,
        ),
      ].map(m => `${file}: ${m[0]}`);
    });
    // So the previous release's queries still find every table and column they read.
    expect(destructive).toEqual([]);
  });

  it('keep the previous release from starting on a newer schema, unless migrations are skipped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sentinel-migrations-'));
    try {
      cpSync(migrationsDir, join(dir, 'new'), { recursive: true });
      cpSync(migrationsDir, join(dir, 'previous'), { recursive: true });
      rmSync(join(dir, 'previous', migrations[migrations.length - 1]));
      // As the plugin runs them (knex.migrate.latest), on SQLite, in the plugin's folder
      // where knex and better-sqlite3 resolve.
      const script = `
        const knex = require('knex')({ client: 'better-sqlite3',
          connection: { filename: ${JSON.stringify(
            join(dir, 'db.sqlite'),
          )} }, useNullAsDefault: true });
        (async () => {
          await knex.migrate.latest({ directory: ${JSON.stringify(
            join(dir, 'new'),
          )} });
          try {
            await knex.migrate.latest({ directory: ${JSON.stringify(
              join(dir, 'previous'),
            )} });
            console.log('started');
          } catch (error) { console.log(error.message); }
          await knex.destroy();
        })();`;
      const run = spawnSync(process.execPath, ['-e', script], {
        cwd: pluginDir,
        encoding: 'utf8',
      });
      expect(run.stderr).toBe('');
      expect(run.stdout.trim()).toBe(
        `The migration directory is corrupt, the following files are missing: ${
          migrations[migrations.length - 1]
        }`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The way past it: Backstage's skipMigrations, which the plugin honours.
    expect(
      readFileSync(resolve(pluginDir, 'src/service/createSentinel.ts'), 'utf8'),
    ).toMatch(
      /if \(!deps\.database\.migrations\?\.skip\) await applyDatabaseMigrations/,
    );
  });
});
