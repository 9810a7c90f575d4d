import { readFileSync } from 'node:fs';
import type { Client, InStatement, InValue, ResultSet, Row, Transaction, TransactionMode } from '@libsql/client';
import type pg from 'pg';

// The PostgreSQL side of the dialect layer. Stores are written once, against the libsql client's
// interface (execute / batch / transaction) in SQL both databases understand; this adapter gives
// PostgreSQL that interface: `?` and `?N` placeholders become `$N`, values are converted as libsql
// converts them (booleans → 0/1), and results come back as libsql shapes them (rows readable by
// name and by position, BIGINT and NUMERIC as numbers, booleans as 0/1, JSON as text) — so drizzle's
// query builder and every store read the same values from both databases.

export interface PgOptions {
  url: string;
  /** connections per process */
  poolSize: number;
  /** PEM CA bundle for TLS; `sslmode` in the URL still applies */
  caFile?: string | undefined;
  rejectUnauthorized?: boolean | undefined;
  /** per-statement timeout (ms), set on every pooled connection */
  statementTimeoutMs: number;
}

const INT8 = 20, NUMERIC = 1700, BOOL = 16, JSON_OID = 114, JSONB = 3802;

export async function createPgClient(opts: PgOptions): Promise<Client & { pool: pg.Pool }> {
  const { default: pgLib } = await import('pg');
  const base = pgLib.types;
  const types = {
    getTypeParser(oid: number, format?: any) {
      if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v);
      if (oid === BOOL) return (v: string) => (v === 't' ? 1 : 0);
      if (oid === JSON_OID || oid === JSONB) return (v: string) => v;
      return base.getTypeParser(oid, format);
    },
  };
  const ssl = sslOptions(opts);
  const pool = new pgLib.Pool({
    connectionString: opts.url, max: opts.poolSize, types: types as any, ...(ssl ? { ssl } : {}),
    application_name: 'customs', statement_timeout: opts.statementTimeoutMs, connectionTimeoutMillis: 10_000,
  });
  // An idle connection the server drops must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const conn = await pool.connect();
  conn.release();
  return new PgClient(pool) as unknown as Client & { pool: pg.Pool };
}

/**
 * LISTEN on `channel` over a connection of its own (a pooled one would be handed to others), and
 * call `fn` on each NOTIFY; the connection is re-made after a failure. Returns the stop function.
 */
export function listen(url: string, opts: Omit<PgOptions, 'url' | 'poolSize' | 'statementTimeoutMs'>, channel: string, fn: () => void, onError: (e: Error) => void): () => void {
  let stopped = false;
  let conn: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const connect = async () => {
    if (stopped) return;
    const { default: pgLib } = await import('pg');
    const ssl = sslOptions(opts);
    const c = new pgLib.Client({ connectionString: url, application_name: 'customs-listen', ...(ssl ? { ssl } : {}) });
    const again = (e: Error) => {
      onError(e);
      c.removeAllListeners();
      void c.end().catch(() => {});
      if (!stopped) { retry = setTimeout(() => void connect(), 1_000); retry.unref(); }
    };
    c.on('error', again);
    c.on('notification', () => fn());
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
      conn = c;
      if (stopped) void c.end().catch(() => {});
    } catch (e) { again(e as Error); }
  };
  void connect();
  return () => { stopped = true; if (retry) clearTimeout(retry); void conn?.end().catch(() => {}); };
}

function sslOptions(opts: { caFile?: string | undefined; rejectUnauthorized?: boolean | undefined }) {
  return opts.caFile || opts.rejectUnauthorized === false
    ? { ...(opts.caFile ? { ca: readFileSync(opts.caFile, 'utf8') } : {}), rejectUnauthorized: opts.rejectUnauthorized ?? true }
    : undefined;
}

class PgClient {
  readonly pool: pg.Pool;
  closed = false;
  protocol = 'postgres';
  constructor(pool: pg.Pool) { this.pool = pool; }

  execute(stmt: InStatement | string, args?: InValue[]): Promise<ResultSet> {
    return run(this.pool, typeof stmt === 'string' && args ? { sql: stmt, args } : stmt);
  }

  async batch(stmts: InStatement[], mode: TransactionMode = 'deferred'): Promise<ResultSet[]> {
    const conn = await this.pool.connect();
    try {
      await conn.query(begin(mode));
      const out: ResultSet[] = [];
      for (const s of stmts) out.push(await run(conn, s));
      await conn.query('COMMIT');
      return out;
    } catch (e) {
      await conn.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      conn.release();
    }
  }

  async transaction(mode: TransactionMode = 'write'): Promise<Transaction> {
    const conn = await this.pool.connect();
    try { await conn.query(begin(mode)); } catch (e) { conn.release(); throw e; }
    return new PgTransaction(conn) as unknown as Transaction;
  }

  async migrate(stmts: InStatement[]): Promise<ResultSet[]> { return this.batch(stmts, 'write'); }
  async executeMultiple(sql: string): Promise<void> { await this.pool.query(sql); }
  async sync(): Promise<undefined> { return undefined; }
  close(): void { this.closed = true; void this.pool.end().catch(() => {}); }
}

class PgTransaction {
  #conn: pg.PoolClient | undefined;
  constructor(conn: pg.PoolClient) { this.#conn = conn; }
  get closed(): boolean { return !this.#conn; }
  execute(stmt: InStatement): Promise<ResultSet> { return run(this.#open(), stmt); }
  async batch(stmts: InStatement[]): Promise<ResultSet[]> {
    const out: ResultSet[] = [];
    for (const s of stmts) out.push(await run(this.#open(), s));
    return out;
  }
  async executeMultiple(sql: string): Promise<void> { await this.#open().query(sql); }
  async commit(): Promise<void> { await this.#finish('COMMIT'); }
  async rollback(): Promise<void> { await this.#finish('ROLLBACK'); }
  close(): void { void this.#finish('ROLLBACK').catch(() => {}); }
  #open(): pg.PoolClient {
    if (!this.#conn) throw new Error('transaction is closed');
    return this.#conn;
  }
  async #finish(sql: string): Promise<void> {
    const conn = this.#conn;
    if (!conn) return;
    this.#conn = undefined;
    try { await conn.query(sql); } finally { conn.release(); }
  }
}

function begin(mode: TransactionMode): string {
  return mode === 'read' ? 'BEGIN READ ONLY' : 'BEGIN';
}

async function run(q: pg.Pool | pg.PoolClient, stmt: InStatement): Promise<ResultSet> {
  const sql = typeof stmt === 'string' ? stmt : stmt.sql;
  const args = typeof stmt === 'string' ? [] : Array.isArray(stmt.args) ? stmt.args : [];
  if (typeof stmt !== 'string' && stmt.args && !Array.isArray(stmt.args)) throw new Error('named SQL arguments are not supported on PostgreSQL');
  const res = await q.query({ text: toPgPlaceholders(sql), values: args.map(toPgValue), rowMode: 'array' });
  return toResultSet(res);
}

function toPgValue(v: InValue | undefined): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  return v;
}

function toResultSet(res: pg.QueryResult<any[]>): ResultSet {
  const columns = (res.fields ?? []).map((f) => f.name);
  const rows = (res.rows ?? []).map((values) => {
    const row: Record<string | number, unknown> = {};
    // As libsql builds a Row: named fields enumerable, positions and length not.
    columns.forEach((name, i) => { row[name] = values[i]; });
    values.forEach((v, i) => Object.defineProperty(row, i, { value: v, enumerable: false }));
    Object.defineProperty(row, 'length', { value: values.length, enumerable: false });
    return row as unknown as Row;
  });
  const affected = res.command === 'SELECT' ? 0 : (res.rowCount ?? 0);
  return {
    columns, columnTypes: columns.map(() => ''), rows, rowsAffected: affected, lastInsertRowid: undefined,
    toJSON() { return { columns, rows: rows.map((r) => columns.map((c) => (r as any)[c])), rowsAffected: affected }; },
  };
}

const translated = new Map<string, string>();

/**
 * SQLite placeholders → PostgreSQL's: `?N` is $N, a bare `?` is one more than the largest number
 * used so far (SQLite's rule). String literals, quoted identifiers and comments are left alone.
 */
export function toPgPlaceholders(sql: string): string {
  const hit = translated.get(sql);
  if (hit !== undefined) return hit;
  let out = '';
  let max = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      const end = closing(sql, i, c);
      // Backtick-quoted identifiers (drizzle-kit's SQLite style) are double-quoted in PostgreSQL.
      out += c === '`' ? `"${sql.slice(i + 1, end)}"` : sql.slice(i, end + 1);
      i = end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '?') {
      let j = i + 1;
      while (j < sql.length && sql.charCodeAt(j) >= 48 && sql.charCodeAt(j) <= 57) j++;
      const n = j > i + 1 ? Number(sql.slice(i + 1, j)) : max + 1;
      max = Math.max(max, n);
      out += `$${n}`;
      i = j - 1;
    } else out += c;
  }
  // drizzle's SQLite builder qualifies conflict-target columns ("t"."c"); PostgreSQL wants them bare.
  out = out.replace(/on conflict \(([^)]*)\)/gi, (_m, cols: string) => `on conflict (${cols.replace(/"[^"]+"\."/g, '"')})`);
  if (translated.size > 2000) translated.clear();
  translated.set(sql, out);
  return out;
}

function closing(sql: string, start: number, quote: string): number {
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) { i++; continue; }
      return i;
    }
  }
  return sql.length - 1;
}
