import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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
export interface Database { db: Db; client: Client; url: string; close(): void }

const MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), '../../migrations');

/** Open the database (embedded file by default, or a libsql server) and bring its schema up to date. */
export async function openDatabase(cfg: Config): Promise<Database> {
  const url = cfg.database.url!;
  let client: Client;
  try {
    if (url.startsWith('file:')) mkdirSync(dirname(resolve(url.slice('file:'.length))), { recursive: true });
    client = await createClient({ url, ...(cfg.database.authToken ? { authToken: cfg.database.authToken } : {}) });
    if (url.startsWith('file:')) {
      // WAL lets several Customs processes on one host share the file; wait rather than fail on a lock.
      await client.execute('PRAGMA journal_mode=WAL');
      await client.execute('PRAGMA busy_timeout=10000');
    }
    const db = drizzle(client, { schema });
    await migrate(db, { migrationsFolder: MIGRATIONS });
    log.debug({ db: redactUrl(url) }, 'database ready');
    return { db, client, url, close: () => client.close() };
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
  const client = await createClient({ url: database.url });
  await client.execute('PRAGMA busy_timeout=10000');
  await client.execute('PRAGMA synchronous=NORMAL');
  return { db: drizzle(client, { schema }), client, url: database.url, close: () => client.close() };
}

/**
 * The embedded file needs only libsql's sqlite3 client; the remote protocols (hrana over WebSocket
 * and HTTP, ~60 modules) are loaded only for a server URL — a CLI command starts that much sooner.
 */
async function createClient(config: { url: string; authToken?: string }): Promise<Client> {
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

/** How many schema migrations the database has applied (readiness). */
export async function appliedMigrations(database: Database): Promise<number> {
  const rs = await database.client.execute('SELECT COUNT(*) AS n FROM __drizzle_migrations');
  return Number(rs.rows[0]!.n);
}
