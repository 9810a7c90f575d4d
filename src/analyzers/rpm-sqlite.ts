// Reads the header blobs of rpm's SQLite database (rpmdb.sqlite, rpm ≥ 4.16: table Packages(hnum,
// blob)). SQLite needs a file: the bytes go to a private temp directory, are opened read-only with
// Node's built-in SQLite (defensive mode, untrusted schema) and deleted afterwards.
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { DbValues } from './rpm-bdb.ts';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
/** more rows than any distribution installs; a hostile file cannot make us read forever */
const MAX_ROWS = 500_000;

export class SqliteDbError extends Error {}

export function isSqlite(buf: Buffer): boolean {
  return buf.length >= 100 && buf.subarray(0, 16).equals(SQLITE_MAGIC);
}

export function readSqliteValues(content: Buffer, maxValueBytes: number): DbValues {
  if (!isSqlite(content)) throw new SqliteDbError('not an SQLite database (bad magic)');
  // a WAL-mode file would want -wal/-shm files beside it; the copy says "rollback journal" instead
  // (bytes 18-19 are the read/write format versions: 2 = WAL, 1 = legacy). Only the first page
  // header is copied to change them: databases can be tens of megabytes.
  const head = Buffer.from(content.subarray(0, 100));
  if (head[18] === 2) head[18] = 1;
  if (head[19] === 2) head[19] = 1;
  const dir = mkdtempSync(join(tmpdir(), 'customs-rpmdb-'));
  let db: DatabaseSync | undefined;
  try {
    const file = join(dir, 'rpmdb.sqlite');
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeAll(fd, head);
      writeAll(fd, content.subarray(100));
    } finally { closeSync(fd); }
    db = new DatabaseSync(file, { readOnly: true, defensive: true, allowExtension: false });
    db.exec('PRAGMA trusted_schema = OFF; PRAGMA cell_size_check = ON; PRAGMA mmap_size = 0');
    // a view named Packages could compute forever; only a real table is read
    const kind = db.prepare("SELECT type FROM sqlite_master WHERE name = 'Packages'").get() as { type?: string } | undefined;
    if (kind?.type !== 'table') throw new SqliteDbError('no Packages table');
    const values: Buffer[] = [];
    const warnings: string[] = [];
    let total = 0, rows = 0;
    for (const row of db.prepare('SELECT hnum, blob FROM Packages').iterate() as Iterable<{ hnum: unknown; blob: unknown }>) {
      if (++rows > MAX_ROWS) { warnings.push(`more than ${MAX_ROWS} rows: the rest ignored`); break; }
      if (!(row.blob instanceof Uint8Array)) { warnings.push(`row ${String(row.hnum)}: blob is not a BLOB`); continue; }
      if (row.blob.length > maxValueBytes) { warnings.push(`row ${String(row.hnum)}: blob of ${row.blob.length} bytes is above the cap`); continue; }
      // rows of a sound file do not share pages: their total stays below the file size
      if ((total += row.blob.length) > content.length) throw new SqliteDbError('blobs add up to more than the file');
      values.push(Buffer.from(row.blob));
    }
    return { values, warnings };
  } catch (e) {
    if (e instanceof SqliteDbError) throw e;
    throw new SqliteDbError(`cannot read rpmdb.sqlite: ${(e as Error)?.message ?? e}`);
  } finally {
    try { db?.close(); } catch { /* already closed */ }
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length;) {
    const n = writeSync(fd, buf, off, buf.length - off);
    if (n <= 0) throw new SqliteDbError('cannot write the temporary copy');
    off += n;
  }
}
