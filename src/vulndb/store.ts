// The vulnerability store as one object (a facade): the source readers (source-reader.ts) feed the
// transactional import (import.ts); reads go through cached lookups (lookups.ts).
import type { Database } from '../db/client.ts';
import { verifyZip, type DocumentLimits } from './documents.ts';
import { cleanup, importSources, removeSource, type ImportOptions } from './import.ts';
import { readStatus, VulnLookups } from './lookups.ts';
import type { SeverityRecord } from './severity-records.ts';
import type { DbStatus, ImportResult, SourceStatus, StoredAdvisory } from './types.ts';

export { sourceName } from './source-name.ts';
export type { ImportOptions } from './import.ts';

/** Verify a downloaded zip to its last CRC without importing it. */
export const verifyOsvZip = (path: string, opts: Partial<DocumentLimits> = {}) => verifyZip(path, opts);

/**
 * The vulnerability store, one source at a time. A source is a configured feed or an imported path:
 * importing it again replaces that source only. Each import writes under its own import id; the
 * switch is one transaction that points the source (vuln_source) at the new id and moves the database
 * generation (vuln_current) to it, so readers see the old or the new data of a source, never a mix,
 * and the database version changes whenever any source does. Rows of replaced imports are deleted after.
 */
export class VulnStore {
  readonly database: Database;
  private readonly reads: VulnLookups;
  constructor(database: Database) {
    this.database = database;
    this.reads = new VulnLookups(database);
  }

  /** Import each path as its own source (directories, JSON/YAML files, zips, gzip JSON): OSV advisories,
   *  NVD CVE API 2.0 records, CVE JSON 5 records; GitHub advisories also rate their GHSA id and CVE
   *  aliases. All given sources switch together. Throws CustomsError when a source is unreadable, over a
   *  cap, corrupt or empty; every source then keeps its previous data. */
  importFrom(paths: string[], opts: ImportOptions = {}): Promise<ImportResult> { return importSources(this.database, paths, opts); }

  /** Drop a source (by name, or by the path / URL it was imported from). Returns what it held, or
   *  undefined when no such source is loaded. The generation moves, so stored scans are re-matched. */
  removeSource(nameOrPath: string): Promise<SourceStatus | undefined> { return removeSource(this.database, nameOrPath); }

  /** Delete the rows of replaced and failed imports (and of runs abandoned more than a day ago). */
  cleanup(): Promise<void> { return cleanup(this.database); }

  /** The database generation (changes with every import and removal); undefined before the first. */
  generation(): Promise<number | undefined> { return this.reads.generation(); }

  /** Status of the database (what scans record as the database version) and of each source. */
  status(): Promise<DbStatus> { return readStatus(this.database); }

  /**
   * Advisories naming any of `names` in ecosystem base `ecosystem` ("Debian", "Go"…; names as given,
   * normalised here), from one consistent snapshot of every source. Returns normalised name →
   * advisories. Pass several queries to `lookupMany` to read them all from one snapshot.
   */
  lookup(ecosystem: string, names: string[]): Promise<Map<string, StoredAdvisory[]>> { return this.reads.lookup(ecosystem, names); }

  lookupMany(queries: { ecosystem: string; names: string[] }[]): Promise<Map<string, StoredAdvisory[]>[]> { return this.reads.lookupMany(queries); }

  /** Severity records (NVD, CVE 5, GHSA) of these vulnerability ids, from every source: id → records. */
  severities(ids: string[]): Promise<Map<string, SeverityRecord[]>> { return this.reads.severities(ids); }

  /** One advisory by its id (the newest record when several sources hold it). */
  getAdvisory(id: string): Promise<StoredAdvisory | undefined> { return this.reads.getAdvisory(id); }
}

/** Status of the current vulnerability database. */
export function dbStatus(store: VulnStore): Promise<DbStatus> { return store.status(); }
