// OpenVEX documents imported as exceptions: stored as given, parsed again whenever the stored set
// changes (not at every verdict: the parsed exceptions are cached per open database while it stays the
// same), so a document that no longer parses is skipped (with a log line) rather than lost.
import { count, max } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { vexDocuments } from '../db/schema.ts';
import { log } from '../log.ts';
import type { ActiveException } from './exceptions.ts';
import { openVexExceptions } from './openvex.ts';

/** The newest OpenVEX document id (0 when none): it moves whenever a document is imported. */
export async function vexGeneration(database: Database): Promise<number> {
  const x = await database.db.select({ v: max(vexDocuments.id) }).from(vexDocuments);
  return x[0]?.v ?? 0;
}

/**
 * Parsed exceptions per open database, valid for one stored state (newest document id and count: one
 * aggregate row read per use), so an import by any replica sharing the database is seen on the next
 * verdict. (The count catches a document committed after a higher id on PostgreSQL: documents are only
 * ever added.)
 */
const parsedCache = new WeakMap<Database, { state: string; list: ActiveException[] }>();

/** how often the stored OpenVEX documents were read and parsed (tests: the cache works) */
export const vexCacheStats = { parses: 0 };

/** Exceptions from every imported OpenVEX document (documents that no longer parse are skipped, with a log line). */
export async function vexExceptions(database: Database): Promise<ActiveException[]> {
  const s = await database.db.select({ v: max(vexDocuments.id), n: count() }).from(vexDocuments);
  const state = `${s[0]?.v ?? 0}:${s[0]?.n ?? 0}`;
  const hit = parsedCache.get(database);
  if (hit?.state === state) return [...hit.list];
  const list = await parseStored(database);
  parsedCache.set(database, { state, list });
  return [...list];
}

async function parseStored(database: Database): Promise<ActiveException[]> {
  vexCacheStats.parses++;
  const rows = await database.db.select().from(vexDocuments);
  const out: ActiveException[] = [];
  for (const r of rows) {
    try { out.push(...openVexExceptions(r.content, `OpenVEX ${r.docId}`)); } catch (e) { log.warn({ doc: r.docId, err: (e as Error).message }, 'stored OpenVEX document skipped'); }
  }
  return out;
}

/** Store an OpenVEX document (validated first); returns how many exceptions it yields. */
export async function importVex(database: Database, text: string, actor: string): Promise<{ docId: string; exceptions: number }> {
  const ex = openVexExceptions(text);
  const docId = ex[0]?.source.replace(/^openvex:/, '') ?? 'openvex';
  await database.db.insert(vexDocuments).values({ docId, content: text, importedAt: new Date(), importedBy: actor });
  return { docId, exceptions: ex.length };
}
