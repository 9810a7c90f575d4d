import type { ScanReport } from './types.ts';

/** The summary columns and report of a finished scan. */
export interface ScanRecord {
  digest: string;
  ref: string;
  dbVersion: string | null;
  startedAt: number;
  finishedAt: number;
  platforms: number;
  packages: number;
  findings: number;
  critical: number;
  high: number;
  medium: number;
  low: number;
  /** findings no loaded source rates */
  unknown: number;
  report: string;
}

/** Summary columns of a scan report: counts the API lists without parsing the report. */
export function toScanRecord(report: ScanReport): ScanRecord {
  const count = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
  let packages = 0;
  let findings = 0;
  for (const p of report.platforms) {
    packages += p.inventory.packages.length;
    findings += p.findings.length;
    for (const f of p.findings) {
      const r = f.severity.rating;
      if (r === 'critical' || r === 'high' || r === 'medium' || r === 'low' || r === 'unknown') count[r]++;
    }
  }
  return {
    digest: report.rootDigest, ref: report.ref, dbVersion: report.dbVersion?.version ?? null,
    startedAt: Date.parse(report.startedAt), finishedAt: Date.parse(report.finishedAt),
    platforms: report.platforms.length, packages, findings, ...count,
    report: JSON.stringify(report),
  };
}

/** Compressed bytes downloaded for a report (layers not answered from the cache). */
export function bytesPulled(report: ScanReport): number {
  let n = 0;
  for (const p of report.platforms) for (const l of p.inventory.layers) if (!l.cached) n += l.size;
  return n;
}
