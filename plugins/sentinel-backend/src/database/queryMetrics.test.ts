import { statementKind } from './queryMetrics';

describe('statementKind', () => {
  it.each([
    ['select * from plans where id = ?', 'select'],
    ['  INSERT INTO plans (id) values (?)', 'insert'],
    ['update "plans" set "status" = ?', 'update'],
    ['delete from sent_notices', 'delete'],
    [
      'with due as (select id from plans where next_check_at <= ?) update plans set lease_owner = ? where id in (select id from due)',
      'update',
    ],
    ['with recent as (select 1) select * from recent', 'select'],
    [
      'SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest(?::text[]) WITH ORDINALITY AS t(k, i)',
      'lock',
    ],
    ['BEGIN', 'other'],
    ['LISTEN sentinel', 'other'],
  ])('%s is %s', (sql, kind) => {
    expect(statementKind(sql)).toBe(kind);
  });
});
