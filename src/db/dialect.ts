import type { Dialect } from './client.ts';

// The few SQL fragments the two databases spell differently. Stores write everything else in SQL
// both understand (ON CONFLICT, RETURNING, COALESCE, CASE); these are the exceptions, kept here.

/** Row locks for a claim: PostgreSQL skips rows another transaction is claiming; SQLite has one writer. */
export function skipLocked(d: Dialect): string {
  return d === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : '';
}

/** A JSON array (as text) of `expr` over the rows of a subquery; '[]' when there are none. */
export function jsonArrayAgg(d: Dialect, expr: string): string {
  return d === 'postgres' ? `COALESCE(json_agg(${expr}), '[]'::json)` : `json_group_array(${expr})`;
}

/** A JSON object from key/value pairs: `jsonObject(d, "'type'", 'a.type', …)`. */
export function jsonObject(d: Dialect, ...pairs: string[]): string {
  return `${d === 'postgres' ? 'json_build_object' : 'json_object'}(${pairs.join(', ')})`;
}

/** LIKE ignoring ASCII case, as SQLite's LIKE does (PostgreSQL's LIKE is case-sensitive). */
export function likeAnyCase(d: Dialect): string {
  return d === 'postgres' ? 'ILIKE' : 'LIKE';
}

/** Lock the selected rows until the transaction ends (PostgreSQL); SQLite's writer holds the whole file. */
export function forUpdate(d: Dialect): string {
  return d === 'postgres' ? 'FOR UPDATE' : '';
}
