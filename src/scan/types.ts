import type { Finding } from '../vulndb/types.ts';
import type { HygieneReport } from '../hygiene/types.ts';
import type { ImageInventory } from '../types.ts';
import type { EcosystemCoverage } from '../vulndb/coverage.ts';

/** The vulnerability database a scan was matched against (recorded with every scan). */
export interface DbVersion {
  importId: number;
  /** when that import finished (ISO 8601) */
  importedAt: string;
  sources: string[];
  /** "osv-<importId>-<newest modified>" */
  version: string;
  advisories: number;
}

/** One platform of a scanned image: what is in it and what is vulnerable. */
export interface PlatformReport {
  inventory: ImageInventory;
  findings: Finding[];
  /** secrets, end-of-life and configuration findings (src/scan/hygiene.ts) */
  hygiene?: HygieneReport;
  /** per ecosystem: packages found and how many could be judged against loaded advisories (absent in reports stored before it existed) */
  coverage?: EcosystemCoverage[];
}

/** The result of scanning one reference. Plain JSON data: the CLI prints it, the service stores it. */
export interface ScanReport {
  /** the reference as given */
  ref: string;
  rootDigest: string;
  startedAt: string;
  finishedAt: string;
  /** null when the vulnerability database is empty (no findings can be reported) */
  dbVersion: DbVersion | null;
  platforms: PlatformReport[];
  /** scan-level warnings, e.g. "vulnerability database is empty" */
  warnings: string[];
}
