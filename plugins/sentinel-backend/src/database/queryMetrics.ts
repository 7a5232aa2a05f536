import { metrics } from '@opentelemetry/api';
import type { Knex } from 'knex';

export type StatementKind =
  | 'select'
  | 'insert'
  | 'update'
  | 'delete'
  | 'lock'
  | 'other';

const KINDS = /\b(select|insert|update|delete)\b/i;

/** The kind of an SQL statement: its first keyword, or for a WITH … the statement it leads to. */
export function statementKind(sql: string): StatementKind {
  // The apply gate's wait for its scope locks: a queue by design, not a slow query.
  if (/\bpg_advisory(_xact)?_lock\b/i.test(sql)) return 'lock';
  let text = sql;
  if (/^\s*with\b/i.test(text)) {
    // The common table expressions' bodies out, innermost first: the first keyword left is
    // the statement's own.
    let previous;
    do {
      previous = text;
      text = text.replace(/\([^()]*\)/g, '');
    } while (text !== previous);
    const kind = KINDS.exec(text)?.[1];
    return kind ? (kind.toLowerCase() as StatementKind) : 'other';
  }
  const head = /^\s*(\w+)/.exec(text)?.[1]?.toLowerCase();
  return KINDS.test(head ?? '') ? (head as StatementKind) : 'other';
}

// Seconds: the objective is p95 under 10 ms (docs/slo.md); a second is a problem whatever it is.
const QUERY_SECONDS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];

/**
 * Times every query of Sentinel's own database client (sentinel_db_query_duration_seconds),
 * from knex's query events: the pool's wait for a connection is not part of it.
 */
export function observeQueries(knex: Knex): void {
  const duration = metrics
    .getMeter('sentinel')
    .createHistogram('sentinel_db_query_duration_seconds', {
      description: "Sentinel's database queries, by statement kind",
      unit: 's',
      advice: { explicitBucketBoundaries: QUERY_SECONDS },
    });
  const started = new Map<string, { at: bigint; statement: StatementKind }>();
  const ended = (query: { __knexQueryUid?: string }, outcome: string) => {
    const uid = query.__knexQueryUid;
    const start = uid === undefined ? undefined : started.get(uid);
    if (!start || uid === undefined) return;
    started.delete(uid);
    const seconds = Number(process.hrtime.bigint() - start.at) / 1e9;
    duration.record(seconds, { statement: start.statement, outcome });
  };
  knex.on('query', (query: { __knexQueryUid?: string; sql: string }) => {
    if (query.__knexQueryUid === undefined) return;
    started.set(query.__knexQueryUid, {
      at: process.hrtime.bigint(),
      statement: statementKind(query.sql),
    });
  });
  knex.on(
    'query-response',
    (_response: unknown, query: { __knexQueryUid?: string }) =>
      ended(query, 'ok'),
  );
  knex.on(
    'query-error',
    (_error: unknown, query: { __knexQueryUid?: string }) =>
      ended(query, 'error'),
  );
}
