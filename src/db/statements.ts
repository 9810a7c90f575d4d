import type { InStatement, InValue } from '@libsql/client';

/** One multi-row statement: `head` then `row` once per row, then `tail`; the rows' values in order. */
export function multiRow(head: string, row: string, tail: string, rows: InValue[][]): InStatement {
  return { sql: `${head} ${rows.map(() => row).join(', ')}${tail}`, args: rows.flat() };
}

/** A condition a write is made under (a lease still held): SQL for a WHERE clause and its arguments. */
export interface Guard { sql: string; args: InValue[] }
