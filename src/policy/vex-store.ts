// OpenVEX documents imported as exceptions: stored as given, parsed again whenever a verdict is
// evaluated, so a document that no longer parses is skipped (with a log line) rather than lost.
import { max } from 'drizzle-orm';
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

/** Exceptions from every imported OpenVEX document (documents that no longer parse are skipped, with a log line). */
export async function vexExceptions(database: Database): Promise<ActiveException[]> {
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
