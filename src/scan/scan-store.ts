// Stored scans (table `scans`): the report and the summary columns derived from it. The counts are
// only ever computed by toScanRecord, for a new scan and for a re-match alike, so they cannot drift
// from the findings they count.
import { and, desc, eq, inArray, isNull, lt, ne, or } from 'drizzle-orm';
import type { InStatement } from '@libsql/client';
import type { Database } from '../db/client.ts';
import type { Guard } from '../db/statements.ts';
import { images, imageVerdicts, scans } from '../db/schema.ts';
import type { ScanReport } from './types.ts';
import { toScanRecord, type ScanRecord } from './scan-record.ts';

export type ScanSummary = Omit<typeof scans.$inferSelect, 'report' | 'jobId'>;
/** A stored scan row, report as stored (JSON text). */
export type ScanRow = typeof scans.$inferSelect;
/** An image (registry, repository, digest) with the id of its latest scan. */
export interface ImageScanKey { registry: string; repository: string; digest: string; scanId: string | null }

/**
 * A new scan stored (its id is its job's), written only while `guard` holds: a statement for the
 * job store's batch, which finishes the job in the same transaction.
 */
export function scanRecordedStatement(id: string, jobId: string, image: { registry: string; repository: string }, scan: ScanRecord, guard: Guard): InStatement {
  return {
    sql: `INSERT INTO scans (id, job_id, registry, repository, digest, ref, db_version, started_at, finished_at, platforms, packages, findings, critical, high, medium, low, unknown, report)
              SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE ${guard.sql}`,
    args: [id, jobId, image.registry, image.repository, scan.digest, scan.ref, scan.dbVersion, scan.startedAt, scan.finishedAt,
      scan.platforms, scan.packages, scan.findings, scan.critical, scan.high, scan.medium, scan.low, scan.unknown, scan.report, ...guard.args],
  };
}

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

  /** The id of the newest scan of an image, if any. */
  async latestIdOf(registry: string, repository: string, digest: string): Promise<string | undefined> {
    const rows = await this.database.db.select({ id: scans.id }).from(scans)
      .where(and(eq(scans.registry, registry), eq(scans.repository, repository), eq(scans.digest, digest))).orderBy(desc(scans.finishedAt)).limit(1);
    return rows[0]?.id;
  }

  /** A whole stored scan row, or undefined. */
  async byId(scanId: string): Promise<ScanRow | undefined> {
    return (await this.database.db.select().from(scans).where(eq(scans.id, scanId)).limit(1))[0];
  }

  /** The newest stored scan of a digest (in any repository), or undefined. */
  async latestOfDigest(digest: string): Promise<ScanRow | undefined> {
    return (await this.database.db.select().from(scans).where(eq(scans.digest, digest)).orderBy(desc(scans.finishedAt)).limit(1))[0];
  }

  /** Live (not deleted) images that have a stored latest scan: their keys, at most `limit`. */
  async liveImageKeys(limit: number): Promise<ImageScanKey[]> {
    return this.database.db.select({ registry: images.registry, repository: images.repository, digest: images.digest, scanId: images.lastScanId })
      .from(images).innerJoin(scans, eq(scans.id, images.lastScanId))
      .where(isNull(images.deletedAt)).limit(limit);
  }

  /**
   * Live images whose latest scan, finished before `finishedBefore`, has no verdict for it (joins the
   * verdicts table, read only): at most `limit`, with the report as JSON text.
   */
  async unjudged(finishedBefore: Date, limit: number): Promise<(ImageScanKey & { report: string })[]> {
    return this.database.db.select({ registry: images.registry, repository: images.repository, digest: images.digest, scanId: images.lastScanId, report: scans.report })
      .from(images).innerJoin(scans, eq(scans.id, images.lastScanId))
      .leftJoin(imageVerdicts, and(eq(imageVerdicts.registry, images.registry), eq(imageVerdicts.repository, images.repository), eq(imageVerdicts.digest, images.digest)))
      .where(and(isNull(images.deletedAt), lt(scans.finishedAt, finishedBefore), or(isNull(imageVerdicts.digest), ne(imageVerdicts.scanId, images.lastScanId))))
      .limit(limit);
  }

  /** The stored reports (JSON text) and database versions of some scans; ids not stored are absent. */
  async reportsOf(scanIds: string[]): Promise<{ id: string; report: string; scanDb: string | null }[]> {
    return this.database.db.select({ id: scans.id, report: scans.report, scanDb: scans.dbVersion }).from(scans)
      .where(inArray(scans.id, scanIds));
  }

  /** The latest scan (id and report JSON text) of one live image, or undefined when never scanned or deleted. */
  async latestOfLiveImage(image: { registry: string; repository: string; digest: string }): Promise<{ scanId: string | null; report: string } | undefined> {
    const rows = await this.database.db.select({ scanId: images.lastScanId, report: scans.report })
      .from(images).innerJoin(scans, eq(scans.id, images.lastScanId))
      .where(and(eq(images.registry, image.registry), eq(images.repository, image.repository), eq(images.digest, image.digest), isNull(images.deletedAt))).limit(1);
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
