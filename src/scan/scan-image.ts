import type { Config } from '../config/schema.ts';
import { openDatabase, type Database } from '../db/client.ts';
import type { Platform } from '../types.ts';
import { takeInventory, type ProgressFactory } from './inventory.ts';
import { formatPlatform } from '../image/manifest.ts';
import { hygieneReport } from './hygiene.ts';
import { matchInventory, type MatchOptions } from '../vulndb/match.ts';
import { VulnStore } from '../vulndb/store.ts';
import type { DbVersion, PlatformReport, ScanReport } from './types.ts';
import type { DbStatus } from '../vulndb/types.ts';
import type { ImageInventory } from '../types.ts';
import { coverageOf } from '../vulndb/coverage.ts';
import type { Narrowing } from './narrow.ts';
import type { RegistryClient } from '../registry/client.ts';
import type { Credentials } from '../registry/credentials.ts';

export interface ScanDeps {
  cfg: Config;
  /** the service's open database (layer cache, and advisories unless `store` is given); opened from cfg otherwise */
  database?: Database;
  /** advisories from another database (`--db`) */
  store?: VulnStore;
  /** one platform of a multi-arch image ("linux/amd64" or a Platform) */
  platform?: string | Platform;
  /** read/write the per-layer cache (default true) */
  cache?: boolean;
  /** the scan's deadline: every registry request aborts when it passes (CustomsError 'unreachable') */
  signal?: AbortSignal;
  /** --scanners, --pkg-types, --skip-dirs/--skip-files (the CLI); everything when absent */
  narrow?: Narrowing;
  /** registry → credentials for this pull only (a Harbor scan request's robot account) */
  credentials?: Record<string, Credentials>;
  /** a download progress display (the CLI's, on a terminal); none in the service */
  progress?: ProgressFactory;
  /** the process's registry client (the service's): the scan pulls through a view of it (its pools and
   *  token cache, this scan's deadline and credentials); a one-shot command gets a client of its own */
  client?: RegistryClient;
}

export const EMPTY_DB_WARNING = 'the vulnerability database is empty: no vulnerabilities can be reported (run "customs db update" or "customs db import <path>")';

/** The vulnerability database version findings are matched against now; null when it is empty. */
export async function currentDbVersion(store: VulnStore): Promise<DbVersion | null> {
  return dbVersionOf(await store.status());
}

function dbVersionOf(status: DbStatus): DbVersion | null {
  return status.importId === undefined ? null : {
    importId: status.importId, importedAt: status.updatedAt!, sources: status.sources,
    version: status.version!, advisories: status.advisories,
  };
}

/**
 * Match a stored report's inventories again against the current database (after an update): new
 * findings and database version, no layer pulled.
 */
export async function rematchReport(report: ScanReport, store: VulnStore, match: MatchOptions = {}): Promise<ScanReport> {
  const { dbVersion, judged } = await judgeInventories(store, report.platforms.map((p) => p.inventory), match);
  const platforms = report.platforms.map((p, i) => ({ ...p, ...judged[i]! }));
  return { ...report, dbVersion, platforms, warnings: dbVersion ? report.warnings.filter((w) => w !== EMPTY_DB_WARNING) : [...new Set([...report.warnings, EMPTY_DB_WARNING])] };
}

/**
 * What is derived from inventories and the database, in one place for a new scan and a re-match:
 * the findings, and the coverage saying which packages could be judged at all.
 */
async function judgeInventories(store: VulnStore, inventories: ImageInventory[], match: MatchOptions): Promise<{ dbVersion: DbVersion | null; judged: Pick<PlatformReport, 'findings' | 'coverage'>[] }> {
  const status = await store.status();
  const dbVersion = dbVersionOf(status);
  const judged = [];
  for (const inventory of inventories) {
    judged.push({ findings: dbVersion ? await matchInventory(store, inventory, match) : [], coverage: coverageOf(inventory, dbVersion ? status.ecosystems : {}) });
  }
  return { dbVersion, judged };
}

/**
 * The one scanning entry point of the CLI and the service: inventory of every platform, then
 * vulnerability matching against the current advisory import, recorded in the report as dbVersion.
 */
export async function scanImage(refText: string, deps: ScanDeps): Promise<ScanReport> {
  const ownDb = deps.database ? undefined : await openDatabase(deps.cfg);
  const database = deps.database ?? ownDb!;
  try {
    const store = deps.store ?? new VulnStore(database);
    const platform = typeof deps.platform === 'object' ? formatPlatform(deps.platform) : deps.platform;
    const run = await takeInventory(refText, deps.cfg, {
      cache: deps.cache ?? true, database,
      ...(platform ? { platform } : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
      ...(deps.narrow ? { narrow: deps.narrow } : {}),
      ...(deps.credentials ? { credentials: deps.credentials } : {}),
      ...(deps.progress ? { progress: deps.progress } : {}),
      ...(deps.client ? { client: deps.client } : {}),
    });
    const scanners = deps.narrow?.scanners;
    const { dbVersion, judged } = await judgeInventories(store, run.inventories, matchOptions(deps.cfg));
    const platforms = run.inventories.map((inventory, i) => {
      const hygiene = hygieneReport(inventory, deps.cfg);
      return {
        inventory, ...judged[i]!,
        ...(scanners && !scanners.has('vuln') ? { findings: [], coverage: [] } : {}),
        hygiene: scanners && !scanners.has('misconfig') ? { ...hygiene, config: [], eol: [] } : hygiene,
      };
    });
    return {
      ref: run.ref.original,
      rootDigest: run.inventories[0]?.rootDigest ?? '',
      startedAt: run.startedAt,
      finishedAt: new Date().toISOString(),
      dbVersion,
      platforms,
      // with --scanners leaving out vuln, an empty database is nothing to warn about
      warnings: dbVersion || (scanners && !scanners.has('vuln')) ? [] : [EMPTY_DB_WARNING],
    };
  } finally {
    ownDb?.close();
  }
}

/** The matching choices a configuration makes. */
export function matchOptions(cfg: Config): MatchOptions {
  return cfg.vulndb.includeNonSecurityAdvisories ? { includeNonSecurityAdvisories: true } : {};
}
