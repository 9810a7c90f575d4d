import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.ts';
import * as pgSchema from '../src/db/pg-schema.ts';
import { toPgPlaceholders } from '../src/db/postgres.ts';
import { jsonArrayAgg, jsonObject } from '../src/db/dialect.ts';
import { testConfig } from './helpers/registry.ts';
import { freshPgDatabase } from './helpers/postgres.ts';

// The two databases as their own migrations leave them (migrations/ for SQLite, migrations-pg/ for
// PostgreSQL) must hold the same tables, columns, nullability, keys and indexes: a table or column
// added to src/db/schema.ts without `npm run db:generate` (which writes both) fails here.

interface Shape { columns: Record<string, { notNull: boolean; type: string }>; pk: string[]; indexes: Record<string, { unique: boolean; columns: string[] }> }

async function sqliteShape(d: Database): Promise<Record<string, Shape>> {
  const out: Record<string, Shape> = {};
  const tables = await d.client.execute(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%'`);
  for (const t of tables.rows) {
    const name = String(t.name);
    const cols = await d.client.execute(`PRAGMA table_info(${name})`);
    const shape: Shape = { columns: {}, pk: [], indexes: {} };
    for (const c of [...cols.rows].sort((a, b) => Number(a.pk) - Number(b.pk))) {
      const type = String(c.type).toLowerCase() === 'text' ? 'text' : String(c.type).toLowerCase() === 'real' ? 'float' : 'integer';
      shape.columns[String(c.name)] = { notNull: Boolean(Number(c.notnull)) || Number(c.pk) > 0, type };
      if (Number(c.pk) > 0) shape.pk.push(String(c.name));
    }
    const idx = await d.client.execute(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`, [name]);
    for (const i of idx.rows) {
      const info = await d.client.execute(`PRAGMA index_info(${String(i.name)})`);
      shape.indexes[String(i.name)] = { unique: /^CREATE UNIQUE/i.test(String(i.sql)), columns: info.rows.map((r) => String(r.name)) };
    }
    out[name] = shape;
  }
  return out;
}

async function pgShape(d: Database): Promise<Record<string, Shape>> {
  const out: Record<string, Shape> = {};
  const cols = await d.client.execute(`SELECT table_name, column_name, is_nullable, data_type FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name NOT LIKE '__drizzle%' ORDER BY table_name, ordinal_position`);
  for (const c of cols.rows) {
    const t = (out[String(c.table_name)] ??= { columns: {}, pk: [], indexes: {} });
    const type = c.data_type === 'text' ? 'text' : c.data_type === 'double precision' ? 'float' : c.data_type === 'bigint' ? 'integer' : String(c.data_type);
    t.columns[String(c.column_name)] = { notNull: c.is_nullable === 'NO', type };
  }
  const idx = await d.client.execute(`SELECT t.relname AS tbl, i.relname AS idx, ix.indisunique AS uniq, ix.indisprimary AS pk,
      (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n)
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS cols
    FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public' AND t.relname NOT LIKE '__drizzle%'`);
  for (const r of idx.rows) {
    const t = out[String(r.tbl)]!;
    if (Number(r.pk)) t.pk = String(r.cols).split(',');
    else t.indexes[String(r.idx)] = { unique: Boolean(Number(r.uniq)), columns: String(r.cols).split(',') };
  }
  return out;
}

let dir: string;
let lite: Database;
let pg: Database;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'customs-dialects-'));
  lite = await openDatabase(testConfig({ dataDir: dir, database: { url: `file:${join(dir, 'c.db')}` } }));
  pg = await openDatabase(testConfig({ dataDir: dir, database: { url: await freshPgDatabase() } }));
});
afterAll(() => { lite?.close(); pg?.close(); rmSync(dir, { recursive: true, force: true }); });

describe('two dialects, one schema', () => {
  it('both databases, as migrated, have the same tables, columns, nullability, keys and indexes', async () => {
    const [a, b] = [await sqliteShape(lite), await pgShape(pg)];
    expect(Object.keys(a).length).toBeGreaterThan(20);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const name of Object.keys(a)) {
      expect({ table: name, ...b[name] }).toEqual({ table: name, ...a[name] });
    }
  });

  it('every SQLite table has its PostgreSQL twin exported (drizzle-kit finds tables by export)', () => {
    const twins = new Set(Object.keys(pgSchema).filter((k) => k !== 'pgTwin' && k !== 'sqliteTables'));
    expect([...twins].sort()).toEqual(Object.keys(pgSchema.sqliteTables).sort());
  });

  it('an omitted autoincrement id (drizzle writes NULL) gets the next value on PostgreSQL: every identity table has the trigger', async () => {
    const ident = await pg.client.execute(`SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND is_identity = 'YES' ORDER BY 1`);
    const trig = await pg.client.execute(`SELECT event_object_table AS t FROM information_schema.triggers WHERE trigger_name LIKE '%_identity_default' ORDER BY 1`);
    expect(ident.rows.length).toBeGreaterThan(5);
    expect(trig.rows.map((r) => r.t)).toEqual(ident.rows.map((r) => r.table_name));
    const { auditLog } = await import('../src/db/schema.ts');
    for (const d of [lite, pg]) {
      const rows = await d.db.insert(auditLog).values([{ at: new Date(), actor: 'a', action: 'b', subject: 'c' }, { at: new Date(), actor: 'a', action: 'b', subject: 'd' }]).returning();
      expect(rows.map((r) => typeof r.id), d.dialect).toEqual(['number', 'number']);
      expect(rows[1]!.id, d.dialect).toBe(rows[0]!.id + 1);
      expect(rows[0]!.at, d.dialect).toBeInstanceOf(Date);
    }
  });

  it('an unreachable or refused PostgreSQL is a clear configuration error that never shows the password', async () => {
    const { freePort } = await import('./helpers/registry.ts');
    const closed = `postgres://customs:s3cret-pw@127.0.0.1:${await freePort()}/x`;
    await expect(openDatabase(testConfig({ dataDir: dir, database: { url: closed } }))).rejects.toThrow(/^cannot open database postgres:\/\/\[redacted\]@127\.0\.0\.1:\d+\/x: .*ECONNREFUSED/);
    const missingDb = pg.url.replace(/\/[^/]+$/, '/no_such_database');
    const e = await openDatabase(testConfig({ dataDir: dir, database: { url: missingDb } })).catch((x) => x);
    expect(e.kind).toBe('config');
    expect(e.message).toMatch(/database "no_such_database" does not exist/);
    expect(e.message).not.toContain('s3cret');
  });

  it('both report the same applied migration count semantics and answer a ping', async () => {
    expect(pg.dialect).toBe('postgres');
    expect(lite.dialect).toBe('sqlite');
    expect(Number((await pg.client.execute('SELECT COUNT(*) AS n FROM __drizzle_migrations')).rows[0]!.n)).toBeGreaterThan(0);
  });
});

describe('leases (one replica at a time)', () => {
  it('one holder at a time; the state it saved is what the next holder starts from; a lost lease saves nothing', async () => {
    const { Lease } = await import('../src/db/leases.ts');
    for (const d of [lite, pg]) {
      const a = new Lease(d, `task-${d.dialect}`, 'replica-a', 60_000);
      const b = new Lease(d, `task-${d.dialect}`, 'replica-b', 60_000);
      expect(await a.hold(), d.dialect).toBe(true);
      expect(await b.hold(), d.dialect).toBe(false);
      expect(await a.hold(), d.dialect).toBe(true); // renewal
      expect(await a.saveState('{"policy":3}')).toBe(true);
      expect(await b.saveState('{"policy":99}')).toBe(false);
      await a.release();
      expect(await b.hold(), d.dialect).toBe(true);
      expect(await b.state()).toBe('{"policy":3}');
      expect(await a.saveState('{"policy":4}')).toBe(false);
      expect(await a.hold(), d.dialect).toBe(false);
      // a lapsed lease (its holder died) is taken without a release
      const c = new Lease(d, `lapse-${d.dialect}`, 'dead', 1);
      expect(await c.hold()).toBe(true);
      await new Promise((r) => setTimeout(r, 5));
      expect(await new Lease(d, `lapse-${d.dialect}`, 'alive', 60_000).hold()).toBe(true);
    }
  });
});

describe('connection settings reach every pooled connection', () => {
  it('the embedded file: a writer on any pooled connection waits for another process\'s write lock instead of failing', async () => {
    // another process holds the write lock for 400 ms (in this process, libsql's synchronous busy
    // wait would block the very event loop that has to release it)
    const script = `const { createClient } = await import(${JSON.stringify(new URL('../node_modules/@libsql/client/lib-esm/sqlite3.js', import.meta.url).href)});
      const c = createClient({ url: ${JSON.stringify(lite.url)} });
      const tx = await c.transaction('write');
      await tx.execute("INSERT INTO leases (key, owner, expires_at) VALUES ('held', 'other', 1)");
      console.log('locked');
      await new Promise((r) => setTimeout(r, 400));
      await tx.commit();`;
    const { spawn } = await import('node:child_process');
    const holder = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => holder.stdout!.once('data', () => r()));
    // a read transaction keeps the pool's first connection busy, so the writes below run on others
    const reader = await lite.client.transaction('read');
    await reader.execute('SELECT 1');
    const t0 = Date.now();
    const writes = await Promise.allSettled([
      lite.client.execute(`INSERT INTO leases (key, owner, expires_at) VALUES ('w1', 'me', 1)`),
      lite.client.batch([`INSERT INTO leases (key, owner, expires_at) VALUES ('w2', 'me', 1)`], 'write'),
    ]);
    reader.close();
    await new Promise((r) => holder.once('exit', r));
    expect(writes.map((w) => w.status === 'rejected' ? String((w.reason as Error).message) : 'ok')).toEqual(['ok', 'ok']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(Number((await lite.client.execute(`SELECT COUNT(*) AS n FROM leases WHERE owner = 'me'`)).rows[0]!.n)).toBe(2);
  });
});

describe('the PostgreSQL adapter speaks as libsql does', () => {
  it('translates placeholders as SQLite numbers them, leaving literals, identifiers and comments alone', () => {
    expect(toPgPlaceholders('SELECT ? , ?')).toBe('SELECT $1 , $2');
    expect(toPgPlaceholders('WHERE a = ?1 AND b < ?1 AND c = ?2 OR d = ?')).toBe('WHERE a = $1 AND b < $1 AND c = $2 OR d = $3');
    expect(toPgPlaceholders("SELECT '?', \"a?\", x FROM t WHERE y = ? -- what?\n AND z = ?")).toBe("SELECT '?', \"a?\", x FROM t WHERE y = $1 -- what?\n AND z = $2");
    expect(toPgPlaceholders("SELECT 'it''s ?' WHERE a = ?")).toBe("SELECT 'it''s ?' WHERE a = $1");
    expect(toPgPlaceholders('SELECT `col` FROM `t`')).toBe('SELECT "col" FROM "t"');
    expect(toPgPlaceholders('a = ?3 AND b = ?')).toBe('a = $3 AND b = $4');
  });

  it('rows are readable by name and position; BIGINT, COUNT and booleans are numbers; JSON stays text', async () => {
    for (const d of [lite, pg]) {
      const rs = await d.client.execute({
        sql: `SELECT COUNT(*) AS n, 1700000000000 + ? AS big, (1 = 1) AS yes, (1 = 0) AS no,
                (SELECT ${jsonArrayAgg(d.dialect, jsonObject(d.dialect, "'k'", 'v.x'))} FROM (SELECT 'a' AS x UNION ALL SELECT 'b') v) AS agg,
                (SELECT ${jsonArrayAgg(d.dialect, 'v.x')} FROM (SELECT 'a' AS x WHERE 1 = 0) v) AS empty`,
        args: [5],
      });
      const r = rs.rows[0]!;
      expect([r.n, r.big, r.yes, r.no, r[0], rs.rows.length], d.dialect).toEqual([1, 1700000000005, 1, 0, 1, 1]);
      expect(JSON.parse(String(r.agg)), d.dialect).toEqual([{ k: 'a' }, { k: 'b' }]);
      expect(JSON.parse(String(r.empty)), d.dialect).toEqual([]);
      expect(Object.keys(r)).toEqual(['n', 'big', 'yes', 'no', 'agg', 'empty']);
    }
  });

  it('a batch is one transaction: a failing statement rolls back the ones before it', async () => {
    for (const d of [lite, pg]) {
      await expect(d.client.batch([
        { sql: `INSERT INTO leases (key, owner, expires_at) VALUES (?, ?, ?)`, args: ['batch-test', 'me', 1] },
        { sql: `INSERT INTO leases (key, owner, expires_at) VALUES (?, ?, ?)`, args: ['batch-test', 'me', 2] },
      ], 'write')).rejects.toThrow();
      expect(Number((await d.client.execute(`SELECT COUNT(*) AS n FROM leases WHERE key = 'batch-test'`)).rows[0]!.n), d.dialect).toBe(0);
    }
  });

  it('NOTIFY from one replica wakes a LISTEN on another (PostgreSQL); the file has no signals', async () => {
    const other = await openDatabase(testConfig({ dataDir: dir, database: { url: pg.url } }));
    try {
      let woken = 0;
      const stop = other.signals!.listen('customs_test', () => { woken++; });
      // the listener connects asynchronously: notify until it hears (bounded)
      for (let i = 0; i < 50 && woken === 0; i++) { await pg.signals!.notify('customs_test'); await new Promise((r) => setTimeout(r, 50)); }
      stop();
      expect(woken).toBeGreaterThan(0);
      expect(lite.signals).toBeUndefined();
    } finally { other.close(); }
  });

  it('a read transaction sees one snapshot and is released on close', async () => {
    const tx = await pg.client.transaction('read');
    expect((await tx.execute('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    await expect(tx.execute({ sql: `INSERT INTO leases (key, owner, expires_at) VALUES ('ro', 'x', 1)`, args: [] })).rejects.toThrow(/read-only/);
    tx.close();
    expect((await pg.client.execute('SELECT 2 AS two')).rows[0]!.two).toBe(2);
  });
});
