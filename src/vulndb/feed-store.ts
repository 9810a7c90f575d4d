// Feed downloads (table `vuln_feed`): per source, the validators of the last download, the file it
// went to, when it was checked and changed, and the last error. Raw SQL as before (upserts on the
// source; the status read is one read batch with the enrichment row counts, one snapshot).
import type { Database } from '../db/client.ts';

export interface FeedRow { etag: string | null; last_modified: string | null; file: string | null }

/** What the last download of a source left (validators and file), if any. */
export async function feedRow(database: Database, source: string): Promise<FeedRow | undefined> {
  const r = await database.client.execute({ sql: 'SELECT etag, last_modified, file FROM vuln_feed WHERE source = ?', args: [source] });
  return r.rows[0] as unknown as FeedRow | undefined;
}

/** The source was checked and had not changed. */
export async function feedUnchanged(database: Database, source: string, now: number): Promise<void> {
  await database.client.execute({ sql: 'UPDATE vuln_feed SET checked_at = ?, last_error = NULL WHERE source = ?', args: [now, source] });
}

/** The source was downloaded anew to `file`. */
export async function feedDownloaded(database: Database, source: string, kind: string, res: { etag?: string; lastModified?: string; bytes: number }, file: string, now: number): Promise<void> {
  await database.client.execute({
    sql: `INSERT INTO vuln_feed (source, kind, etag, last_modified, file, bytes, checked_at, changed_at, last_error) VALUES (?,?,?,?,?,?,?,?,NULL)
            ON CONFLICT(source) DO UPDATE SET kind = excluded.kind, etag = excluded.etag, last_modified = excluded.last_modified, file = excluded.file,
            bytes = excluded.bytes, checked_at = excluded.checked_at, changed_at = excluded.changed_at, last_error = NULL`,
    args: [source, kind, res.etag ?? null, res.lastModified ?? null, file, res.bytes, now, now],
  });
}

/** Checking or downloading the source failed. */
export async function feedFailed(database: Database, source: string, kind: string, error: string, now: number): Promise<void> {
  await database.client.execute({
    sql: `INSERT INTO vuln_feed (source, kind, checked_at, last_error) VALUES (?,?,?,?)
            ON CONFLICT(source) DO UPDATE SET checked_at = excluded.checked_at, last_error = excluded.last_error`,
    args: [source, kind, now, error],
  });
}

/** Every feed (by kind and source) and the EPSS and KEV row counts, read together. */
export async function feedStatusRows(database: Database): Promise<{ feeds: { source: string; kind: string; checkedAt: number | null; changedAt: number | null; lastError: string | null }[]; epss: number; kev: number }> {
  const [f, e, k] = await database.client.batch([
    'SELECT source, kind, checked_at, changed_at, last_error FROM vuln_feed ORDER BY kind, source',
    'SELECT count(*) AS n FROM vuln_epss', 'SELECT count(*) AS n FROM vuln_kev',
  ], 'read');
  return {
    feeds: f!.rows.map((r) => ({
      source: String(r.source), kind: String(r.kind),
      checkedAt: r.checked_at != null ? Number(r.checked_at) : null,
      changedAt: r.changed_at != null ? Number(r.changed_at) : null,
      lastError: r.last_error != null ? String(r.last_error) : null,
    })),
    epss: Number(e!.rows[0]!.n), kev: Number(k!.rows[0]!.n),
  };
}
