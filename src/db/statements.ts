import type { InStatement, InValue } from '@libsql/client';

/** One multi-row statement: `head` then `row` once per row, then `tail`; the rows' values in order. */
export function multiRow(head: string, row: string, tail: string, rows: InValue[][]): InStatement {
  return { sql: `${head} ${rows.map(() => row).join(', ')}${tail}`, args: rows.flat() };
}

/** A condition a write is made under (a lease still held): SQL for a WHERE clause and its arguments. */
export interface Guard { sql: string; args: InValue[] }

/**
 * Multi-row inserts of `rows` (values in `columns` order), `per` rows a statement. On a key already
 * present the row replaces it (`replace`) or is dropped (`ignore`) — spelled ON CONFLICT, which both
 * databases read. Rows repeating a key keep the last (PostgreSQL refuses a statement that touches
 * one row twice; SQLite's INSERT OR REPLACE kept the last).
 */
export function insertRows(table: string, columns: readonly string[], keys: readonly string[], onConflict: 'replace' | 'ignore',
  rows: readonly InValue[][], per: number): InStatement[] {
  const keyAt = keys.map((k) => columns.indexOf(k));
  const unique = new Map<string, InValue[]>();
  for (const r of rows) {
    const k = JSON.stringify(keyAt.map((i) => r[i]));
    unique.delete(k);
    unique.set(k, r);
  }
  const all = [...unique.values()];
  const set = columns.filter((c) => !keys.includes(c)).map((c) => `${c} = excluded.${c}`).join(', ');
  const tail = onConflict === 'ignore' || !set ? ` ON CONFLICT (${keys.join(', ')}) DO NOTHING` : ` ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${set}`;
  const row = `(${columns.map(() => '?').join(', ')})`;
  const out: InStatement[] = [];
  for (let i = 0; i < all.length; i += per) out.push(multiRow(`INSERT INTO ${table} (${columns.join(', ')}) VALUES`, row, tail, all.slice(i, i + per)));
  return out;
}

/** Where a page of changed rows ended (keyset paging): the change time, then the row's key — the next page starts after it. */
export interface ChangeCursor { at: number; k1: string; k2: string; k3: string }
