// Stored scans (table `scans`): the report and the summary columns derived from it. The counts are
// only ever computed by toScanRecord, for a new scan and for a re-match alike, so they cannot drift
// from the findings they count.
import { desc, eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { scans } from '../db/schema.ts';
import type { ScanReport } from './types.ts';
import { toScanRecord } from './scan-record.ts';

export type ScanSummary = Omit<typeof scans.$inferSelect, 'report' | 'jobId'>;

export class ScanStore {
  readonly database: Database;
  constructor(database: Database) { this.database = database; }

  /** The summary columns of a scan (no report parsed). */
  async summary(scanId: string): Promise<ScanSummary | undefined> {
    const rows = await this.database.db.select({
      id: scans.id, registry: scans.registry, repository: scans.repository, digest: scans.digest, ref: scans.ref,
      dbVersion: scans.dbVersion, startedAt: scans.startedAt, finishedAt: scans.finishedAt, platforms: scans.platforms,
      packages: scans.packages, findings: scans.findings, critical: scans.critical, high: scans.high, medium: scans.medium, low: scans.low, unknown: scans.unknown,
    }).from(scans).where(eq(scans.id, scanId)).limit(1);
    return rows[0];
  }

  /** The stored report of a scan. */
  async report(scanId: string): Promise<ScanReport | undefined> {
    const rows = await this.database.db.select({ report: scans.report }).from(scans).where(eq(scans.id, scanId)).limit(1);
    return rows[0] ? JSON.parse(rows[0].report) as ScanReport : undefined;
  }

  /** The newest scan of each image (registry, repository, digest), newest first, at most `limit` images. */
  async latestPerImage(limit: number): Promise<{ registry: string; repository: string; digest: string; report: ScanReport }[]> {
    const rows = await this.database.db.select({ registry: scans.registry, repository: scans.repository, digest: scans.digest, report: scans.report })
      .from(scans).orderBy(desc(scans.finishedAt)).limit(limit * 4);
    const seen = new Set<string>();
    const out: { registry: string; repository: string; digest: string; report: ScanReport }[] = [];
    for (const r of rows) {
      const key = `${r.registry}/${r.repository}@${r.digest}`;
      if (seen.has(key) || out.length >= limit) continue;
      seen.add(key);
      try { out.push({ registry: r.registry, repository: r.repository, digest: r.digest, report: JSON.parse(r.report) as ScanReport }); } catch { /* a report that does not parse is skipped */ }
    }
    return out;
  }

  /** A report re-matched against a newer database replaces the stored one, counts included. */
  async rematched(scanId: string, report: ScanReport, database: Database = this.database): Promise<void> {
    const r = toScanRecord(report);
    await database.db.update(scans).set({
      report: r.report, dbVersion: r.dbVersion, findings: r.findings,
      critical: r.critical, high: r.high, medium: r.medium, low: r.low, unknown: r.unknown,
    }).where(eq(scans.id, scanId));
  }
}
