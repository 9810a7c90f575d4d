// Installed RPM packages from rpm's database in any of its three formats (BerkeleyDB `Packages`,
// NDB `Packages.db`, SQLite `rpmdb.sqlite`) in the directories distributions keep it in.
import type { Analyzer, AnalyzerFinding } from './analyzer.ts';
import type { FoundPackage } from '../types.ts';
import { normalizeEntryPath } from '../util/paths.ts';
import type { LanguagePaths } from './language-paths.ts';
import { isBdbHash, readBdbHashValues, type DbValues } from './rpm-bdb.ts';
import { parseRpmHeader, splitSourceRpm, type RpmHeader } from './rpm-header.ts';
import { parseRpmManifest, RPM_MANIFEST_PATH } from './rpm-manifest.ts';
import { isNdb, readNdbValues } from './rpm-ndb.ts';
import { isSqlite, readSqliteValues } from './rpm-sqlite.ts';

const DIRS = ['/var/lib/rpm/', '/usr/lib/sysimage/rpm/', '/usr/share/rpm/'];
const FILES = new Set(['Packages', 'Packages.db', 'rpmdb.sqlite']);
/** warnings kept per database file; the rest are counted */
const MAX_WARNINGS = 20;

export function isRpmDbPath(path: string): boolean {
  const dir = DIRS.find((d) => path.startsWith(d));
  return !!dir && FILES.has(path.slice(dir.length));
}

/** Header blobs of a database, the format told by its first bytes (not its name). */
export function readRpmDbValues(content: Buffer): DbValues {
  const cap = content.length;
  if (isSqlite(content)) return readSqliteValues(content, cap);
  if (isNdb(content)) return readNdbValues(content, cap);
  // key 0 holds rpm's next header instance number (lib/backend/db3.c), not a header
  if (isBdbHash(content)) return readBdbHashValues(content, cap, (key) => key.length === 4 && key.readUInt32LE(0) === 0);
  throw new Error('not an rpm database: neither SQLite, NDB nor BerkeleyDB hash');
}

export function rpmPackage(h: RpmHeader, foundIn: string): FoundPackage {
  const p: FoundPackage = { type: 'rpm', name: h.name, version: h.version, release: h.release, foundIn };
  if (h.epoch !== undefined) p.epoch = h.epoch;
  if (h.arch) p.arch = h.arch;
  const src = h.sourceRpm ? splitSourceRpm(h.sourceRpm) : undefined;
  p.sourceName = src?.name ?? h.name;
  p.sourceVersion = src?.version ?? `${h.version}-${h.release}`;
  if (h.vendor) p.vendor = h.vendor;
  if (h.license) p.license = h.license;
  if (h.modularityLabel) p.modularityLabel = h.modularityLabel;
  return p;
}

/** Packages (without gpg-pubkey pseudo packages), language files they own, and what was skipped. */
export function parseRpmDb(path: string, content: Buffer, paths: LanguagePaths): { packages: FoundPackage[]; ownedFiles: string[]; warnings: string[] } {
  const { values, warnings } = readRpmDbValues(content);
  const packages: FoundPackage[] = [];
  const owned = new Set<string>();
  let bad = 0;
  for (const v of values) {
    let h: RpmHeader;
    try {
      h = parseRpmHeader(v, { files: paths.mayBeMetadataFile });
    } catch (e) {
      if (bad++ < MAX_WARNINGS) warnings.push(`skipped a malformed header: ${(e as Error).message}`);
      continue;
    }
    if (h.name === 'gpg-pubkey') continue;
    packages.push(rpmPackage(h, path));
    for (const f of h.files ?? []) {
      const n = normalizeEntryPath(f);
      if (n && paths.isMetadataPath(n)) owned.add(n);
    }
  }
  if (bad > MAX_WARNINGS) warnings.push(`${bad - MAX_WARNINGS} more malformed headers`);
  return { packages, ownedFiles: [...owned].sort(), warnings: warnings.slice(0, MAX_WARNINGS + 1) };
}

/** The rpm database analyzer; file lists are reduced to the paths `paths` accepts (the rpm ecosystem builds it). */
export function makeRpmAnalyzer(paths: LanguagePaths): Analyzer {
  return {
    name: 'rpm',
    version: 1,
    completeness: 'strict',
    wants(path: string, _size: number): boolean {
      return isRpmDbPath(path) || path === RPM_MANIFEST_PATH;
    },
    analyze(path: string, content: Buffer): AnalyzerFinding | null {
      if (content.length === 0) return null; // rpm's lock and empty placeholder files
      // distroless CBL-Mariner: a text manifest (no file lists) instead of a database
      const { packages, ownedFiles, warnings } = path === RPM_MANIFEST_PATH ? { ...parseRpmManifest(path, content), ownedFiles: [] } : parseRpmDb(path, content, paths);
      // a database that yields nothing but problems is reported as a failure (a layer warning)
      if (!packages.length && warnings.length) throw new Error(warnings.slice(0, 3).join('; '));
      if (!packages.length) return null;
      return { packages, ...(ownedFiles.length ? { ownedFiles } : {}), ...(warnings.length ? { warnings } : {}) };
    },
  };
}
