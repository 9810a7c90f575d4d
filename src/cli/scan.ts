import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import { openDatabase, type Database } from '../db/client.ts';
import { CustomsError } from '../errors.ts';
import { toCosignVuln } from '../report/cosign-vuln.ts';
import { toCycloneDxWithVulns } from '../report/cyclonedx-vulns.ts';
import { filterReport, meetsThreshold, parseSeverity, parseSeverityList } from '../report/filter.ts';
import { scanJson } from '../report/json.ts';
import { toSarif } from '../report/sarif.ts';
import { findingsTable } from '../report/table.ts';
import { scanImage } from '../scan/scan-image.ts';
import { terminalWidth, warnUser } from './terminal.ts';
import { createProgress } from './progress.ts';
import { ignoreFileExceptions, suppress, vexFileExceptions } from './suppress.ts';
import { parseReference } from '../image/reference.ts';
import { warnIncomplete } from './incomplete.ts';
import { VulnStore } from '../vulndb/store.ts';
import { narrowing, type Narrowing } from '../scan/narrow.ts';

export interface ScanCommandFlags {
  format?: string; output?: string; platform?: string; cache: boolean;
  severity?: string; ignoreUnfixed?: boolean; failOn?: string; db?: string;
  /** --exit-code: what --fail-on exits with */
  exitCode?: string;
  /** --vex FILE (repeatable) and --ignorefile FILE: suppressions brought by the pipeline */
  vex?: string[];
  ignorefile?: string;
  /** --timeout: the whole scan's deadline */
  signal?: AbortSignal;
  /** --scanners, --pkg-types, --skip-dirs, --skip-files, --list-all-pkgs */
  scanners?: string; pkgTypes?: string; skipDirs?: string[]; skipFiles?: string[]; listAllPkgs?: boolean;
}

export const SCAN_FORMATS = ['table', 'json', 'sarif', 'cyclonedx', 'cosign-vuln', 'inventory'];

/** `customs scan` (every format but `inventory`, the package table): returns the exit code (1 when --fail-on is met). */
export async function runScan(refText: string, cfg: Config, flags: ScanCommandFlags, emit: (text: string) => void): Promise<number> {
  const format = flags.format ?? 'table';
  if (!SCAN_FORMATS.includes(format)) throw new CustomsError('usage', `unknown --format "${format}" for scan: use ${SCAN_FORMATS.join(', ')}`);
  const severities = flags.severity ? parseSeverityList(flags.severity) : undefined;
  const failOn = flags.failOn ? parseSeverity(flags.failOn, '--fail-on') : undefined;
  const failCode = flags.exitCode === undefined ? 1 : parseExitCode(flags.exitCode);
  // suppressions are read (and refused when malformed) before anything is pulled
  const exceptions = [...(flags.vex ?? []).flatMap(vexFileExceptions), ...(flags.ignorefile ? ignoreFileExceptions(flags.ignorefile) : [])];
  const narrow = narrowing(flags);
  const ref = parseReference(refText);
  const vulnDb = flags.db ? await openVulnDb(cfg, flags.db) : undefined;
  try {
    const scanned = await scanImage(refText, {
      cfg: narrowedConfig(cfg, narrow), cache: flags.cache, narrow, progress: createProgress,
      ...(vulnDb ? { store: new VulnStore(vulnDb) } : {}),
      ...(flags.platform ? { platform: flags.platform } : {}),
      ...(flags.signal ? { signal: flags.signal } : {}),
    });
    const { report: kept, suppressed } = suppress(scanned, exceptions, { repository: ref.kind === 'registry' ? ref.repository : '' });
    const report = filterReport(kept, { ...(severities ? { severities } : {}), ...(flags.ignoreUnfixed ? { ignoreUnfixed: true } : {}) });
    if (suppressed.length) warnUser(`${suppressed.length} ${suppressed.length === 1 ? 'finding' : 'findings'} suppressed by --vex/--ignorefile (${[...new Set(suppressed.map((s) => s.id))].slice(0, 5).join(', ')}${suppressed.length > 5 ? ', …' : ''})`);
    // an empty database must never read as "no vulnerabilities"
    for (const w of report.warnings) warnUser(w);
    warnIncomplete(report.platforms.map((p) => p.inventory));
    const doc = format === 'json' ? { ...scanJson(report), suppressed } : format === 'sarif' ? toSarif(report)
      : format === 'cyclonedx' ? toCycloneDxWithVulns(report) : format === 'cosign-vuln' ? toCosignVuln(report) : undefined;
    emit(doc ? JSON.stringify(doc, null, 2) + '\n' : findingsTable(report, { listAllPkgs: !!flags.listAllPkgs, ...widthOpt() }));
    return failOn && meetsThreshold(report, failOn) ? failCode : 0;
  } finally {
    vulnDb?.close();
  }
}

/** --exit-code N: 1-125 and none of the codes Customs gives errors (2-11), so CI can still tell them apart. */
function parseExitCode(text: string): number {
  const n = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 125) || (n >= 2 && n <= 11)) throw new CustomsError('usage', `--exit-code must be 1 or 12-125 (2-11 are Customs' own error codes), not "${text}"`);
  return n;
}

/** --db: a Customs database file or a libsql URL holding the advisories. A missing file is an error, not a new empty database. */
async function openVulnDb(cfg: Config, spec: string): Promise<Database> {
  const isUrl = /^(file:|libsql:\/\/|https?:\/\/|wss?:\/\/)/.test(spec);
  if (!isUrl && !existsSync(spec)) throw new CustomsError('not-found', `--db ${spec}: no such database file`);
  return openDatabase({ ...cfg, database: { ...cfg.database, url: isUrl ? spec : `file:${resolve(spec)}` } });
}

/** Without the secret scanner the secrets analyzer does not run at all (faster; cached apart by its own analyzer key). */
export function narrowedConfig(cfg: Config, narrow: Narrowing): Config {
  return narrow.scanners.has('secret') ? cfg : { ...cfg, secrets: { ...cfg.secrets, enabled: false } };
}

function widthOpt(): { width?: number } {
  const width = terminalWidth();
  return width ? { width } : {};
}
