import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@libsql/client';
import type { LibSQLDatabase } from 'drizzle-orm/libsql';
import { drizzle } from 'drizzle-orm/libsql/sqlite3';
import { migrate } from 'drizzle-orm/libsql/migrator';
import type { Config } from '../config/schema.ts';
import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';
import * as schema from './schema.ts';

export type Db = LibSQLDatabase<typeof schema>;
export type Dialect = 'sqlite' | 'postgres';
export interface Database {
  db: Db; client: Client; url: string; dialect: Dialect; close(): void;
  /** PostgreSQL: wake the other replicas (NOTIFY) / be woken by them (LISTEN); absent on a file */
  signals?: { notify(channel: string): Promise<void>; listen(channel: string, fn: () => void): () => void };
}

const MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), '../../migrations');
const PG_MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), '../../migrations-pg');

/** `postgres://` and `postgresql://` select PostgreSQL; everything else is libsql (file or server). */
export function dialectOf(url: string): Dialect {
  return /^postgres(ql)?:\/\//i.test(url) ? 'postgres' : 'sqlite';
}

/** Open the database (embedded file by default, or a libsql server) and bring its schema up to date. */
export async function openDatabase(cfg: Config): Promise<Database> {
  const url = cfg.database.url!;
  let client: Client;
  try {
    if (dialectOf(url) === 'postgres') return await openPostgres(cfg, url);
    if (url.startsWith('file:')) mkdirSync(dirname(resolve(url.slice('file:'.length))), { recursive: true });
    // `timeout` is the busy timeout of every pooled connection (a PRAGMA would reach one of them):
    // several Customs processes on one host wait for the file's write lock rather than fail.
    client = await createClient({ url, timeout: BUSY_TIMEOUT_MS, ...(cfg.database.authToken ? { authToken: cfg.database.authToken } : {}) });
    // WAL (a property of the file, not of a connection) lets readers run beside the writer.
    if (url.startsWith('file:')) await client.execute('PRAGMA journal_mode=WAL');
    const db = drizzle(client, { schema });
    await migrate(db, { migrationsFolder: MIGRATIONS });
    log.debug({ db: redactUrl(url) }, 'database ready');
    return { db, client, url, dialect: 'sqlite', close: () => client.close() };
  } catch (e: any) {
    throw new CustomsError('config', `cannot open database ${redactUrl(url)}: ${e.message}`, { cause: e });
  }
}

/**
 * A second connection for derived data (verdicts recomputed by re-evaluation): on an embedded file
 * it commits with synchronous=NORMAL, durable against a process crash and only at risk on power
 * loss — where the data can be recomputed anyway — instead of an fsync per commit. A libsql server
 * decides durability itself: there the same database is returned, and close() does nothing.
 */
export async function openDerivedWriter(database: Database): Promise<Database> {
  if (!database.url.startsWith('file:')) return { ...database, close: () => {} };
  // One connection, so the PRAGMA holds for every statement this writer runs.
  const client = await createClient({ url: database.url, timeout: BUSY_TIMEOUT_MS, concurrency: 1 });
  await client.execute('PRAGMA synchronous=NORMAL');
  return { db: drizzle(client, { schema }), client, url: database.url, dialect: 'sqlite', close: () => client.close() };
}

const BUSY_TIMEOUT_MS = 10_000;

/**
 * PostgreSQL: a pool through the dialect adapter; migrations from migrations-pg/ under an advisory
 * lock, so replicas starting together apply them once (the others wait, then find nothing to do).
 */
async function openPostgres(cfg: Config, url: string): Promise<Database> {
  const { createPgClient } = await import('./postgres.ts');
  const pgc = cfg.database.postgres;
  const client = await createPgClient({ url, poolSize: pgc.poolSize, caFile: pgc.caFile, rejectUnauthorized: pgc.rejectUnauthorized, statementTimeoutMs: pgc.statementTimeoutMs });
  try {
    const conn = await client.pool.connect();
    try {
      await conn.query('SELECT pg_advisory_lock(7243010001)');
      const { drizzle: pgDrizzle } = await import('drizzle-orm/node-postgres');
      const { migrate: pgMigrate } = await import('drizzle-orm/node-postgres/migrator');
      await pgMigrate(pgDrizzle(conn as any), { migrationsFolder: PG_MIGRATIONS, migrationsSchema: 'public' });
    } finally {
      await conn.query('SELECT pg_advisory_unlock(7243010001)').catch(() => {});
      conn.release();
    }
  } catch (e) {
    client.close();
    throw e;
  }
  log.debug({ db: redactUrl(url) }, 'database ready');
  const { listen } = await import('./postgres.ts');
  const signals = {
    notify: async (channel: string) => { await client.execute({ sql: 'SELECT pg_notify(?, ?)', args: [channel, ''] }); },
    listen: (channel: string, fn: () => void) => listen(url, { caFile: pgc.caFile, rejectUnauthorized: pgc.rejectUnauthorized }, channel, fn,
      (e) => log.warn({ channel, err: e.message }, 'database notifications lost; reconnecting (workers poll meanwhile)')),
  };
  return { db: drizzle(client, { schema }), client, url, dialect: 'postgres', signals, close: () => client.close() };
}

/**
 * The embedded file needs only libsql's sqlite3 client; the remote protocols (hrana over WebSocket
 * and HTTP, ~60 modules) are loaded only for a server URL — a CLI command starts that much sooner.
 */
async function createClient(config: { url: string; authToken?: string; timeout?: number; concurrency?: number }): Promise<Client> {
  const lib = config.url.startsWith('file:') ? await import('@libsql/client/sqlite3') : await import('@libsql/client');
  return lib.createClient(config);
}

/** Database URLs may carry credentials (authToken query, user:pass@); keep them out of logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//[redacted]@').replace(/([?&](authToken|token)=)[^&]*/gi, '$1[redacted]');
}

/** Answer a trivial query (health check); throws when the database is unavailable. */
export async function pingDatabase(database: Database): Promise<void> {
  await database.client.execute('SELECT 1');
}

/** How many schema migrations this version ships for the dialect (readiness compares). */
export function shippedMigrations(dialect: Dialect): number {
  const journal = join(dialect === 'postgres' ? PG_MIGRATIONS : MIGRATIONS, 'meta/_journal.json');
  return (JSON.parse(readFileSync(journal, 'utf8')) as { entries: unknown[] }).entries.length;
}

/** How many schema migrations the database has applied (readiness). */
export async function appliedMigrations(database: Database): Promise<number> {
  const rs = await database.client.execute('SELECT COUNT(*) AS n FROM __drizzle_migrations');
  return Number(rs.rows[0]!.n);
}
