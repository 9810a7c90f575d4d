// What the console's pages read, one query per page section. Lists are filtered, sorted and paged
// in SQL (10,000+ images): only a page of rows, and only their summary columns, leaves the database.
import type { InValue } from '@libsql/client';
import type { Database } from '../db/client.ts';
import { jsonArrayAgg, jsonObject, likeAnyCase } from '../db/dialect.ts';
import type { ScanReport } from '../scan/types.ts';

export const SORTS = { seen: 'i.last_seen_at DESC', repository: 'i.registry, i.repository, i.digest', critical: 's.critical DESC NULLS LAST, s.high DESC NULLS LAST', findings: 's.findings DESC NULLS LAST', verdict: "CASE v.verdict WHEN 'fail' THEN 0 WHEN 'warn' THEN 1 WHEN 'pass' THEN 2 ELSE 3 END, i.last_seen_at DESC" } as const;
export type Sort = keyof typeof SORTS;
export const SEVERITY_FILTERS = ['critical', 'high', 'medium', 'low'] as const;

export interface ImageFilter {
  registry?: string; repository?: string; tag?: string;
  verdict?: 'pass' | 'warn' | 'fail' | 'none';
  /** at least one finding at this severity or above */
  severity?: typeof SEVERITY_FILTERS[number];
  quarantined?: boolean;
  sort: Sort; page: number; perPage: number;
}

export interface ImageRow {
  registry: string; repository: string; digest: string; lastSeenAt: number; tags: string[];
  scanId: string | null; findings: number | null; critical: number; high: number; medium: number; low: number; unknown: number;
  verdict: string | null; quarantine: string | null; policy: string | null;
}

const n = (v: unknown) => Number(v ?? 0);

export class ConsoleStore {
  private readonly database: Database;
  constructor(database: Database) { this.database = database; }
  private q(sql: string, args: InValue[] = []) { return this.database.client.execute({ sql, args }); }

  async overview(days = 30) {
    const since = Date.now() - days * 86_400_000;
    const [imgs, verdicts, jobs, perDay, quarantinesPerDay] = await Promise.all([
      this.q('SELECT COUNT(*) AS n FROM images WHERE deleted_at IS NULL'),
      this.q(`SELECT verdict, quarantine, COUNT(*) AS n FROM image_verdicts WHERE digest = root_digest GROUP BY verdict, quarantine`),
      this.q('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state'),
      this.q(`SELECT CAST(finished_at / 86400000 AS INTEGER) AS day, COUNT(*) AS scans, SUM(findings) AS findings, SUM(critical) AS critical, SUM(high) AS high
              FROM scans WHERE finished_at >= ? GROUP BY day ORDER BY day`, [since]),
      this.q(`SELECT CAST(created_at / 86400000 AS INTEGER) AS day, COUNT(DISTINCT registry || '/' || repository || '@' || digest) AS n
              FROM quarantine_actions WHERE trigger = 'fail' AND created_at >= ? GROUP BY day ORDER BY day`, [since]),
    ]);
    const byVerdict: Record<string, number> = { pass: 0, warn: 0, fail: 0 };
    let quarantined = 0;
    for (const r of verdicts.rows) {
      byVerdict[String(r.verdict)] = (byVerdict[String(r.verdict)] ?? 0) + n(r.n);
      if (r.quarantine === 'quarantined') quarantined += n(r.n);
    }
    const jobStates: Record<string, number> = { queued: 0, running: 0, succeeded: 0, failed: 0 };
    for (const r of jobs.rows) jobStates[String(r.state)] = n(r.n);
    const today = Math.floor(Date.now() / 86_400_000);
    const series = Array.from({ length: days }, (_, i) => today - days + 1 + i).map((day) => {
      const s = perDay.rows.find((r) => n(r.day) === day);
      const qd = quarantinesPerDay.rows.find((r) => n(r.day) === day);
      return { day, scans: n(s?.scans), findings: n(s?.findings), critical: n(s?.critical), high: n(s?.high), quarantines: n(qd?.n) };
    });
    return { images: n(imgs.rows[0]?.n), byVerdict, quarantined, jobs: jobStates, series };
  }

  async images(f: ImageFilter): Promise<{ rows: ImageRow[]; total: number }> {
    const where: string[] = ['i.deleted_at IS NULL'];
    const args: InValue[] = [];
    if (f.registry) { where.push('i.registry = ?'); args.push(f.registry); }
    if (f.repository) { where.push(`i.repository ${likeAnyCase(this.database.dialect)} ? ESCAPE '\\'`); args.push(`%${f.repository.replace(/[\\%_]/g, (m) => `\\${m}`)}%`); }
    if (f.tag) { where.push('EXISTS (SELECT 1 FROM tags t WHERE t.registry = i.registry AND t.repository = i.repository AND t.digest = i.digest AND t.tag = ? AND t.deleted_at IS NULL)'); args.push(f.tag); }
    if (f.verdict === 'none') where.push('v.verdict IS NULL');
    else if (f.verdict) { where.push('v.verdict = ?'); args.push(f.verdict); }
    if (f.quarantined) where.push("v.quarantine = 'quarantined'");
    if (f.severity) {
      const cols = SEVERITY_FILTERS.slice(0, SEVERITY_FILTERS.indexOf(f.severity) + 1).map((c) => `s.${c}`);
      where.push(`(${cols.join(' + ')}) > 0`);
    }
    const from = `FROM images i LEFT JOIN scans s ON s.id = i.last_scan_id
      LEFT JOIN image_verdicts v ON v.registry = i.registry AND v.repository = i.repository AND v.digest = i.digest
      WHERE ${where.join(' AND ')}`;
    // the page's keys first (sorting key columns only), then the columns shown for those 50 rows:
    // a select-list subquery in the sorted query would run for every matching image
    const [rows, total] = await Promise.all([
      this.q(`SELECT i.registry, i.repository, i.digest, i.last_seen_at, i.last_scan_id, s.findings, s.critical, s.high, s.medium, s.low, s.unknown,
                v.verdict, v.quarantine, v.policy_name || ' v' || v.policy_version AS policy,
                (SELECT ${jsonArrayAgg(this.database.dialect, 't.tag')} FROM tags t WHERE t.registry = i.registry AND t.repository = i.repository AND t.digest = i.digest AND t.deleted_at IS NULL) AS tags
              FROM (SELECT i.registry, i.repository, i.digest, ROW_NUMBER() OVER (ORDER BY ${SORTS[f.sort]}) AS pos ${from} ORDER BY ${SORTS[f.sort]} LIMIT ? OFFSET ?) k
              JOIN images i ON i.registry = k.registry AND i.repository = k.repository AND i.digest = k.digest
              LEFT JOIN scans s ON s.id = i.last_scan_id
              LEFT JOIN image_verdicts v ON v.registry = i.registry AND v.repository = i.repository AND v.digest = i.digest
              ORDER BY k.pos`, [...args, f.perPage, (f.page - 1) * f.perPage]),
      this.q(`SELECT COUNT(*) AS n ${from}`, args),
    ]);
    return {
      total: n(total.rows[0]?.n),
      rows: rows.rows.map((r) => ({
        registry: String(r.registry), repository: String(r.repository), digest: String(r.digest), lastSeenAt: n(r.last_seen_at),
        tags: JSON.parse(String(r.tags ?? '[]')) as string[], scanId: (r.last_scan_id as string | null) ?? null,
        findings: r.findings === null ? null : n(r.findings), critical: n(r.critical), high: n(r.high), medium: n(r.medium), low: n(r.low), unknown: n(r.unknown),
        verdict: (r.verdict as string | null) ?? null, quarantine: (r.quarantine as string | null) ?? null, policy: (r.policy as string | null) ?? null,
      })),
    };
  }

  async registries(): Promise<string[]> {
    return (await this.q('SELECT DISTINCT registry FROM images ORDER BY registry LIMIT 200')).rows.map((r) => String(r.registry));
  }

  /** The image's newest scan (report) and where it was seen. */
  async image(registry: string, repository: string, digest: string) {
    const row = (await this.q(`SELECT i.last_scan_id, i.first_seen_at, i.last_seen_at, s.report, s.finished_at
      FROM images i LEFT JOIN scans s ON s.id = i.last_scan_id WHERE i.registry = ? AND i.repository = ? AND i.digest = ?`, [registry, repository, digest])).rows[0];
    const fallback = row?.report ? undefined : (await this.q('SELECT id, report, finished_at FROM scans WHERE registry = ? AND repository = ? AND digest = ? ORDER BY finished_at DESC LIMIT 1', [registry, repository, digest])).rows[0];
    const report = row?.report ?? fallback?.report;
    const tags = (await this.q('SELECT tag FROM tags WHERE registry = ? AND repository = ? AND digest = ? AND deleted_at IS NULL ORDER BY tag', [registry, repository, digest])).rows.map((r) => String(r.tag));
    if (!row && !fallback) return undefined;
    return {
      report: report ? JSON.parse(String(report)) as ScanReport : undefined,
      scanId: String(row?.last_scan_id ?? fallback?.id ?? ''),
      firstSeenAt: n(row?.first_seen_at), lastSeenAt: n(row?.last_seen_at), tags,
    };
  }

  /** Verdicts of the image over time (the audit log's verdict entries) and the current rows. */
  async verdicts(registry: string, repository: string, digest: string) {
    const current = await this.q(`SELECT * FROM image_verdicts WHERE registry = ? AND repository = ? AND root_digest = ? ORDER BY digest = root_digest DESC, digest`, [registry, repository, digest]);
    const history = await this.q('SELECT id, at, actor, action, reason, details FROM audit_log WHERE subject = ? ORDER BY id DESC LIMIT 50', [digest]);
    return { current: current.rows, history: history.rows };
  }

  async quarantined(page: number, perPage: number) {
    const d = this.database.dialect;
    const rows = await this.q(`SELECT v.registry, v.repository, v.digest, v.summary, v.policy_name, v.policy_version, v.evaluated_at, v.gated,
        (SELECT ${jsonArrayAgg(d, jsonObject(d, "'type'", 'a.type', "'detail'", 'a.detail', "'ok'", 'a.ok'))} FROM quarantine_actions a
          WHERE a.registry = v.registry AND a.repository = v.repository AND a.digest = v.digest AND a.trigger = 'fail' AND a.undone_at IS NULL) AS actions
      FROM image_verdicts v WHERE v.digest = v.root_digest AND v.quarantine = 'quarantined' ORDER BY v.evaluated_at DESC LIMIT ? OFFSET ?`, [perPage, (page - 1) * perPage]);
    const total = await this.q(`SELECT COUNT(*) AS n FROM image_verdicts WHERE digest = root_digest AND quarantine = 'quarantined'`);
    return {
      total: n(total.rows[0]?.n),
      rows: rows.rows.map((r) => ({
        registry: String(r.registry), repository: String(r.repository), digest: String(r.digest), summary: String(r.summary),
        policyName: String(r.policy_name), policyVersion: n(r.policy_version), evaluatedAt: n(r.evaluated_at), gated: Boolean(r.gated),
        actions: JSON.parse(String(r.actions ?? '[]')) as { type: string; detail: string; ok: number }[],
      })),
    };
  }

  async jobs(state: string | undefined, page: number, perPage: number) {
    const args: InValue[] = state ? [state] : [];
    const rows = await this.q(`SELECT id, state, registry, repository, digest, tag, origin, attempts, max_attempts, last_error, created_at, updated_at, scan_id
      FROM jobs ${state ? 'WHERE state = ?' : ''} ORDER BY updated_at DESC LIMIT ? OFFSET ?`, [...args, perPage, (page - 1) * perPage]);
    return rows.rows;
  }

  async vexDocuments() {
    const rows = await this.q('SELECT doc_id, imported_at, imported_by, content FROM vex_documents ORDER BY imported_at DESC LIMIT 200');
    return rows.rows.map((r) => {
      let statements = 0;
      try { statements = (JSON.parse(String(r.content)).statements ?? []).length; } catch { /* kept as imported */ }
      return { docId: String(r.doc_id), importedAt: n(r.imported_at), importedBy: String(r.imported_by), statements };
    });
  }

  async job(id: string) {
    return (await this.q('SELECT id, registry, repository, digest, tag FROM jobs WHERE id = ?', [id])).rows[0];
  }
}
