import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/*
 * Schema changes are expand/contract (ADR 016): the release before runs on the schema after,
 * during an upgrade and after a rollback. This test enforces what can be read off the
 * migration files; the upgrade drill (`yarn drill:upgrade`) runs the previous release on the
 * new schema, which proves the rest.
 */

const packageRoot = join(__dirname, '../..');
const migrationsDir = join(packageRoot, 'migrations');

/**
 * Migrations written before the rule, when no two releases ever ran at once: their `up`
 * drops and replaces indexes and a unique constraint. Frozen: never add to this list.
 */
const BEFORE_THE_RULE = [
  '20261126000000_init.js',
  '20261126000001_policies.js',
  '20261127000000_reconciler.js',
  '20261127000001_due_index.js',
  '20261128000000_rollouts.js',
  '20261128000001_idempotency_per_principal.js',
  '20261128000002_access_control.js',
  '20261204000000_sent_notices.js',
];

/**
 * Contract steps: migrations allowed to remove or tighten what an earlier release added,
 * because the release before this one no longer uses it. Each names what it removes (`table`
 * or `table.column`) and the commit of the release that stopped using it, which must be an
 * earlier release than the one shipping the migration. Example:
 *
 *   '20270110000000_drop_plans_legacy_reason.js': {
 *     removes: ['plans.legacy_reason'],
 *     stoppedUsingIn: 'a1b2c3d (release 2027.01.1): reads and writes status_detail instead',
 *   },
 */
const CONTRACT_STEPS: Record<
  string,
  { removes: string[]; stoppedUsingIn: string }
> = {};

/** What an `up` may not do unless it is a contract step, and how it shows in the source. */
const DESTRUCTIVE: ReadonlyArray<readonly [string, RegExp]> = [
  ['drops a column', /\.dropColumns?\s*\(/],
  ['drops a table', /\.dropTable(IfExists)?\s*\(/],
  ['renames a column or table', /\.rename(Column|Table)?\s*\(/],
  ['alters a column (type or nullability)', /\.alter\s*\(/],
  ['makes a column NOT NULL', /\.dropNullable\s*\(/],
  [
    'drops an index or constraint the previous release may rely on',
    /\.drop(Index|Unique|Primary|Foreign|Check)\s*\(/,
  ],
  [
    'drops or renames in SQL',
    /\b(DROP\s+(TABLE|COLUMN|INDEX|CONSTRAINT)|RENAME\s+(TO|COLUMN))\b/i,
  ],
  ['alters a column in SQL', /\bALTER\s+COLUMN\b/i],
];

/**
 * Tables that stay small (a row per policy version, window, override, binding or notice): an
 * index on one is built in a moment, so it needs no CONCURRENTLY.
 */
const SMALL_TABLES = [
  'policy_versions',
  'policy_revision',
  'freeze_windows',
  'freeze_overrides',
  'rbac_bindings',
  'sent_notices',
];

const LOCKING_INDEX =
  'builds an index on a large existing table while blocking its writes (use CREATE INDEX CONCURRENTLY)';

/** Column types of knex's table builder, as a new column starts. */
const COLUMN_BUILDER =
  /\.(string|text|integer|bigInteger|bigint|float|double|decimal|boolean|date|datetime|time|timestamp|json|jsonb|uuid|binary|enum|enu|specificType)\s*\(/;

/** The source without comments (so that prose in the doc comment matches nothing). */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

/** The body of `exports.<name> = ...` up to the next export (or the end). */
function exported(source: string, name: 'up' | 'down'): string | undefined {
  const start = source.search(new RegExp(`exports\\.${name}\\s*=`));
  if (start < 0) return undefined;
  const rest = source.slice(start + 1);
  const next = rest.search(/exports\.\w+\s*=/);
  return next < 0 ? rest : rest.slice(0, next);
}

/** The text of each `alterTable(...)` call: up to its matching parenthesis. */
function alterTableCalls(up: string): string[] {
  const calls: string[] = [];
  const pattern = /\.alterTable\s*\(/g;
  for (let match = pattern.exec(up); match; match = pattern.exec(up)) {
    let depth = 1;
    let i = match.index + match[0].length;
    for (; i < up.length && depth > 0; i++) {
      if (up[i] === '(') depth += 1;
      if (up[i] === ')') depth -= 1;
    }
    calls.push(up.slice(match.index, i));
  }
  return calls;
}

/**
 * What an `up` does that the release before may not survive. `file` is the whole migration
 * (comments removed), for its `exports.config`.
 */
function unsafeOperations(up: string, file = up): string[] {
  const found = DESTRUCTIVE.filter(([, pattern]) => pattern.test(up)).map(
    ([what]) => what,
  );
  const created = [...up.matchAll(/\.createTable\s*\(\s*['"`](\w+)/g)].map(
    m => m[1],
  );
  for (const call of alterTableCalls(up)) {
    const table = /^\.alterTable\s*\(\s*['"`](\w+)/.exec(call)?.[1] ?? '';
    for (const statement of call.split(/;|\n\s*\n/)) {
      // A column added to an existing table: the release before inserts rows without it.
      if (
        COLUMN_BUILDER.test(statement) &&
        /\.notNullable\s*\(/.test(statement) &&
        !/\.defaultTo\s*\(/.test(statement) &&
        !/\.alter\s*\(/.test(statement)
      ) {
        found.push('adds a NOT NULL column without a default');
      }
      if (
        /\.(index|unique)\s*\(/.test(statement) &&
        !SMALL_TABLES.includes(table)
      ) {
        found.push(LOCKING_INDEX);
      }
    }
  }
  // In SQL, on a table this migration did not create: CONCURRENTLY on PostgreSQL, which
  // cannot run inside a transaction (so the file sets `exports.config = { transaction: false }`).
  for (const m of up.matchAll(
    /CREATE\s+(UNIQUE\s+)?INDEX\b[^;]*?\bON\s+["`]?(\w+)/gi,
  )) {
    const table = m[2];
    const concurrent =
      /CONCURRENTLY/.test(up) && /transaction\s*:\s*false/.test(file);
    if (
      !created.includes(table) &&
      !SMALL_TABLES.includes(table) &&
      !concurrent
    ) {
      found.push(LOCKING_INDEX);
    }
  }
  return [...new Set(found)];
}

/** The backend's own source, tests aside: where a removed column would still be read. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      return name === '__testUtils__' ? [] : sourceFiles(path);
    }
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

/** Where the code still names what a contract step removes (a column or table name). */
function stillNamed(
  removes: readonly string[],
  sources: readonly { path: string; text: string }[],
): string[] {
  return removes.flatMap(removed => {
    const word = new RegExp(`\\b${removed.split('.').at(-1)}\\b`);
    return sources
      .filter(source => word.test(source.text))
      .map(source => `${removed} is named in ${source.path}`);
  });
}

const migrations = readdirSync(migrationsDir).filter(f => f.endsWith('.js'));
const migration = (file: string) => {
  const source = code(readFileSync(join(migrationsDir, file), 'utf8'));
  return { up: exported(source, 'up'), down: exported(source, 'down'), source };
};
const sources = sourceFiles(join(packageRoot, 'src')).map(path => ({
  path: relative(packageRoot, path),
  text: code(readFileSync(path, 'utf8')),
}));

describe('schema changes are expand/contract (ADR 016)', () => {
  it.each([
    ['createTable("t", t => { t.string("a").notNullable(); })', []],
    ['alterTable("plans", t => { t.string("note", 200).nullable(); })', []],
    [
      'alterTable("plans", t => { t.integer("tries").notNullable().defaultTo(0); })',
      [],
    ],
    [
      'alterTable("plans", t => { t.string("note").notNullable(); })',
      ['adds a NOT NULL column without a default'],
    ],
    ['alterTable("plans", t => { t.dropColumn("note"); })', ['drops a column']],
    ['dropTable("plans")', ['drops a table']],
    [
      'alterTable("plans", t => { t.renameColumn("a", "b"); })',
      ['renames a column or table'],
    ],
    [
      'alterTable("plans", t => { t.string("a").notNullable().alter(); })',
      ['alters a column (type or nullability)'],
    ],
    [
      'raw("ALTER TABLE plans ALTER COLUMN a SET NOT NULL")',
      ['alters a column in SQL'],
    ],
    ['raw("ALTER TABLE plans DROP COLUMN a")', ['drops or renames in SQL']],
    [
      'alterTable("plans", t => { t.dropIndex(["a"], "plans_a_idx"); })',
      ['drops an index or constraint the previous release may rely on'],
    ],
    [
      'alterTable("plans", t => { t.index(["a"], "plans_a_idx"); })',
      [LOCKING_INDEX],
    ],
    ['raw("CREATE INDEX plans_a_idx ON plans (a)")', [LOCKING_INDEX]],
    ['alterTable("freeze_windows", t => { t.index(["a"], "fw_a_idx"); })', []],
    [
      'createTable("things", t => { t.string("a"); }); raw("CREATE INDEX things_a_idx ON things (a)")',
      [],
    ],
    [
      'config = { transaction: false }; raw("CREATE INDEX CONCURRENTLY IF NOT EXISTS plans_a_idx ON plans (a)")',
      [],
    ],
  ])('the check itself: %s finds %p', (up, expected) => {
    expect(unsafeOperations(code(`await knex.schema.${up};`))).toEqual(
      expected,
    );
  });

  it('the check itself: finds what the migrations before the rule did', () => {
    expect(
      unsafeOperations(migration('20261127000001_due_index.js').up!),
    ).toEqual([
      'drops an index or constraint the previous release may rely on',
      LOCKING_INDEX,
    ]);
    expect(
      unsafeOperations(
        migration('20261128000001_idempotency_per_principal.js').up!,
      ),
    ).toEqual([
      'drops an index or constraint the previous release may rely on',
      LOCKING_INDEX,
    ]);
    expect(
      unsafeOperations(migration('20261204000000_sent_notices.js').up!),
    ).toEqual([]);
  });

  it('the check itself: finds where the code still names a removed column', () => {
    expect(stillNamed(['plans.idempotency_key'], sources)).toContain(
      'plans.idempotency_key is named in src/plans/store/insertPlan.ts',
    );
    expect(
      stillNamed(['plans.no_such_column', 'no_such_table'], sources),
    ).toEqual([]);
  });

  it('names every migration by time and gives it an up and a down', () => {
    const malformed = migrations.filter(file => {
      const { up, down } = migration(file);
      return !/^\d{14}_[a-z0-9_]+\.js$/.test(file) || !up || !down;
    });
    expect(malformed).toEqual([]);
  });

  it('only expands the schema, except in contract steps', () => {
    const offending = migrations
      .filter(file => !BEFORE_THE_RULE.includes(file) && !CONTRACT_STEPS[file])
      .map(file => {
        const { up, source } = migration(file);
        return [file, unsafeOperations(up ?? '', source)];
      })
      .filter(([, found]) => found.length > 0);
    // A release only adds: nullable columns (or with a default), tables, indexes built
    // concurrently. Removing or tightening waits for the release after the one that stopped
    // using it: list that migration in CONTRACT_STEPS (docs/adr/016-schema-changes.md).
    expect(offending).toEqual([]);
  });

  it('lists only migrations that exist, the ones before the rule before any other', () => {
    const listed = [...BEFORE_THE_RULE, ...Object.keys(CONTRACT_STEPS)];
    expect(listed.filter(file => !migrations.includes(file))).toEqual([]);
    const after = migrations.filter(file => !BEFORE_THE_RULE.includes(file));
    expect(after.filter(file => file < BEFORE_THE_RULE.at(-1)!)).toEqual([]);
  });

  it('removes in a contract step only what the code no longer names', () => {
    for (const [file, step] of Object.entries(CONTRACT_STEPS)) {
      expect([file, step.removes.length > 0, step.stoppedUsingIn]).toEqual([
        file,
        true,
        expect.stringMatching(/^[0-9a-f]{7,40}\b/),
      ]);
    }
    const stillUsed = Object.values(CONTRACT_STEPS).flatMap(step =>
      stillNamed(step.removes, sources),
    );
    expect(stillUsed).toEqual([]);
  });
});
