/** A stored timestamp as ISO 8601: SQLite returns epoch milliseconds, PostgreSQL a Date. */
export function iso(value: Date | number | string): string {
  return new Date(value).toISOString();
}
