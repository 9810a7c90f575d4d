// Re-evaluation: when a policy changes or the vulnerability database is updated, every stored
// image is judged again from its stored inventory (re-matched against the new database), without
// pulling a layer; images whose verdict changes are acted on like a fresh push.
import { eq, isNull, max } from 'drizzle-orm';
import { openDerivedWriter, type Database } from '../db/client.ts';
import { images, policyVersions, scans } from '../db/schema.ts';
import { log } from '../log.ts';
import { PolicyStore } from '../policy/store.ts';
import { currentDbVersion, rematchReport } from '../scan/scan-image.ts';
import type { ScanReport } from '../scan/types.ts';
import type { VulnStore } from '../vulndb/store.ts';
import type { ActionContext } from './actions.ts';
import { enforce, vexExceptions } from './enforce.ts';

export interface ReevaluationSummary {
  images: number;
  rematched: number;
  changed: number;
  quarantined: number;
  failed: number;
  ms: number;
}

/** Judge every image that has a scan and is not deleted. `rematch` re-matches inventories first. */
export async function reevaluateAll(deps: { database: Database; actions: ActionContext; store: VulnStore }, opts: { rematch: boolean; limit?: number }): Promise<ReevaluationSummary> {
  const t0 = performance.now();
  const db = deps.database.db;
  const policies = await new PolicyStore(deps.database).current();
  const exceptions = await vexExceptions(deps.database);
  const dbVersion = opts.rematch ? await currentDbVersion(deps.store) : undefined;
  // verdicts are derived data: written on a relaxed-sync connection (no fsync per image)
  const writer = await openDerivedWriter(deps.database);
  const rows = await db.select({ registry: images.registry, repository: images.repository, digest: images.digest, scanId: images.lastScanId, report: scans.report, scanDb: scans.dbVersion })
    .from(images).innerJoin(scans, eq(scans.id, images.lastScanId))
    .where(isNull(images.deletedAt)).limit(opts.limit ?? 1_000_000);
  const summary: ReevaluationSummary = { images: 0, rematched: 0, changed: 0, quarantined: 0, failed: 0, ms: 0 };
  try {
  for (const r of rows) {
    summary.images++;
    try {
      let report = JSON.parse(r.report) as ScanReport;
      if (opts.rematch && dbVersion && r.scanDb !== dbVersion.version) {
        report = await rematchReport(report, deps.store);
        summary.rematched++;
        await writer.db.update(scans).set({ report: JSON.stringify(report), dbVersion: report.dbVersion?.version ?? null, findings: report.platforms.reduce((n, p) => n + p.findings.length, 0) }).where(eq(scans.id, r.scanId!));
      }
      const res = await enforce({ database: writer, actions: deps.actions, exceptions, policies }, { registry: r.registry, repository: r.repository, digest: r.digest }, report, r.scanId);
      if (res.change.before?.verdict !== res.change.after.verdict) summary.changed++;
      if (res.change.quarantinedNow) summary.quarantined++;
    } catch (e) {
      summary.failed++;
      log.warn({ image: `${r.registry}/${r.repository}@${r.digest}`, err: (e as Error)?.message }, 're-evaluation failed for an image');
    }
  }
  } finally {
    writer.close();
  }
  summary.ms = Math.round(performance.now() - t0);
  log.info(summary, 're-evaluation done');
  return summary;
}

/**
 * Watch for policy changes (from any process: CLI, API, another replica) and database updates, and
 * re-evaluate when either moves. Returns stop().
 */
export function startReevaluationWatcher(deps: { database: Database; actions: ActionContext; store: VulnStore }, intervalMs = 15_000): () => void {
  let last: { policy: number; db: string | null } | undefined;
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const p = await deps.database.db.select({ v: max(policyVersions.id) }).from(policyVersions);
      const d = await currentDbVersion(deps.store);
      const now = { policy: p[0]?.v ?? 0, db: d?.version ?? null };
      if (last && (now.policy !== last.policy || now.db !== last.db)) {
        log.info({ policyChanged: now.policy !== last.policy, databaseChanged: now.db !== last.db }, 're-evaluating stored images');
        await reevaluateAll(deps, { rematch: now.db !== last.db });
      }
      last = now;
    } catch (e) {
      log.warn({ err: (e as Error)?.message }, 're-evaluation check failed');
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

