// Re-evaluation: when a policy changes, the vulnerability database is updated, an OpenVEX document
// is imported or an exception expires, every stored image is judged again from its stored inventory (re-matched against the new database), without
// pulling a layer; images whose verdict changes are acted on like a fresh push.
import type { Lease } from '../db/leases.ts';
import { openDerivedWriter } from '../db/client.ts';
import { ScanStore } from '../scan/scan-store.ts';
import { judge, type JudgeContext, type NewFindings } from './judge.ts';
import { formatPlatform } from '../image/manifest.ts';
import { log } from '../log.ts';
import { expiryTime } from '../policy/exceptions.ts';
import { PolicyStore } from '../policy/store.ts';
import { vexExceptions, vexGeneration } from '../policy/vex-store.ts';
import { currentDbVersion, rematchReport } from '../scan/scan-image.ts';
import type { ScanReport } from '../scan/types.ts';
import type { VulnStore } from '../vulndb/store.ts';

export interface ReevaluationSummary {
  images: number;
  rematched: number;
  changed: number;
  quarantined: number;
  failed: number;
  /** verdicts whose publication (attestations, status tag) was queued */
  published: number;
  ms: number;
}

const REPORT_PAGE = 200;

/** Judge every image that has a scan and is not deleted. `rematch` re-matches inventories first. */
export async function reevaluateAll(ctx: JudgeContext, store: VulnStore, opts: { rematch: boolean; limit?: number }): Promise<ReevaluationSummary> {
  const t0 = performance.now();
  const policies = await new PolicyStore(ctx.database).current();
  const exceptions = await vexExceptions(ctx.database);
  const dbVersion = opts.rematch ? await currentDbVersion(store) : undefined;
  // verdicts are derived data: written on a relaxed-sync connection (no fsync per image); the
  // publications they queue ride in the same commits, so they are exactly as durable as the verdicts
  const writer = await openDerivedWriter(ctx.database);
  const scanStore = new ScanStore(writer);
  const judging: JudgeContext = { ...ctx, database: writer };
  // the keys first, the reports a page at a time: ten thousand reports held at once are half a
  // gigabyte of strings the garbage collector walks for the whole run
  const reading = new ScanStore(ctx.database);
  const keys = await reading.liveImageKeys(opts.limit ?? 1_000_000);
  const summary: ReevaluationSummary = { images: 0, rematched: 0, changed: 0, quarantined: 0, failed: 0, published: 0, ms: 0 };
  try {
  for (let page = 0; page < keys.length; page += REPORT_PAGE) {
  const chunk = keys.slice(page, page + REPORT_PAGE);
  const stored = new Map((await reading.reportsOf(chunk.map((k) => k.scanId!))).map((x) => [x.id, x]));
  for (const k of chunk) {
    const s = stored.get(k.scanId!);
    if (!s) continue; // deleted meanwhile
    const r = { ...k, report: s.report, scanDb: s.scanDb };
    summary.images++;
    try {
      let report = JSON.parse(r.report) as ScanReport;
      let findingsChanged = false;
      if (opts.rematch && dbVersion && r.scanDb !== dbVersion.version) {
        const before = findingsKey(report);
        const previous = report;
        report = await rematchReport(report, store, ctx.match);
        findingsChanged = findingsKey(report) !== before;
        summary.rematched++;
        await scanStore.rematched(r.scanId!, report);
        if (findingsChanged && ctx.onNewFindings) {
          const added = addedFindings(previous, report);
          if (added.length) {
            try { ctx.onNewFindings({ registry: r.registry, repository: r.repository, digest: r.digest }, added); } catch (e) { log.warn({ err: (e as Error).message }, 'new-findings listener failed'); }
          }
        }
      }
      const res = await judge(judging, { registry: r.registry, repository: r.repository, digest: r.digest }, report, r.scanId, { findingsChanged, exceptions, policies });
      if (res.change.before?.verdict !== res.change.after.verdict) summary.changed++;
      if (res.change.quarantinedNow) summary.quarantined++;
      if (res.change.published) summary.published++;
    } catch (e) {
      summary.failed++;
      log.warn({ image: `${r.registry}/${r.repository}@${r.digest}`, err: (e as Error)?.message }, 're-evaluation failed for an image');
    }
  }
  }
  } finally {
    writer.close();
  }
  summary.ms = Math.round(performance.now() - t0);
  log.info(summary, 're-evaluation done');
  if (summary.published) ctx.onPublicationQueued?.();
  return summary;
}

/** Per platform, the findings of `after` that `before` did not have (by id, package and version). */
function addedFindings(before: ScanReport, after: ScanReport): NewFindings[] {
  const key = (f: { id: string; package: { name: string; version: string } }) => `${f.id}\0${f.package.name}\0${f.package.version}`;
  const out: NewFindings[] = [];
  for (const p of after.platforms) {
    const was = before.platforms.find((b) => b.inventory.manifestDigest === p.inventory.manifestDigest);
    const known = new Set((was?.findings ?? []).map(key));
    const findings = p.findings.filter((f) => !known.has(key(f)));
    if (findings.length) out.push({ manifestDigest: p.inventory.manifestDigest, platform: formatPlatform(p.inventory.platform), findings });
  }
  return out;
}

/** The findings of a report as one comparable string (what the vulnerability statement carries). */
function findingsKey(report: ScanReport): string {
  return JSON.stringify(report.platforms.map((p) => p.findings));
}

/**
 * Judge the images whose latest scan has no verdict: the process stopped between storing the scan
 * and judging it. Only scans older than `olderThanMs` (policy.unjudgedAfterMs) are taken, so a
 * judgement in progress (here or in another replica) is never doubled.
 */
export async function judgeUnjudged(ctx: JudgeContext, olderThanMs: number, limit = 1000): Promise<number> {
  const rows = await new ScanStore(ctx.database).unjudged(new Date(Date.now() - olderThanMs), limit);
  for (const r of rows) {
    try {
      await judge(ctx, { registry: r.registry, repository: r.repository, digest: r.digest }, JSON.parse(r.report) as ScanReport, r.scanId, { findingsChanged: true });
    } catch (e) {
      log.warn({ image: `${r.registry}/${r.repository}@${r.digest}`, err: (e as Error)?.message }, 'judging an unjudged scan failed');
    }
  }
  if (rows.length) log.info({ images: rows.length }, 'scans stored without a verdict were judged');
  return rows.length;
}

/**
 * Watch for policy changes (from any process: CLI, API, another replica) and database updates, and
 * re-evaluate when either moves; judge scans a crash left without a verdict. Returns stop().
 */
export function startReevaluationWatcher(ctx: JudgeContext, store: VulnStore, intervalMs = 15_000, unjudgedAfterMs = 120_000, lease?: Lease): () => void {
  let last: { policy: number; db: string | null; vex: number; nextExpiry: number } | undefined;
  let running = false;
  let holding = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      // several replicas: one watches at a time; the others take over when its lease lapses
      if (lease) {
        const held = await lease.hold();
        // taking over (or back): start from what the last holder had acted on, not from our own old view
        if (held && !holding) last = parseWatched(await lease.state()) ?? last;
        holding = held;
        if (!held) return;
      }
      const policy = await new PolicyStore(ctx.database).generation();
      const vex = await vexGeneration(ctx.database);
      const d = await currentDbVersion(store);
      const now = { policy, db: d?.version ?? null, vex, nextExpiry: last?.nextExpiry ?? Infinity };
      const changed = {
        policy: !!last && now.policy !== last.policy,
        database: !!last && now.db !== last.db,
        openvex: !!last && now.vex !== last.vex,
        // an exception ran out: the findings it covered count again
        expiry: !!last && Date.now() >= last.nextExpiry,
      };
      if (changed.policy || changed.database || changed.openvex || changed.expiry) {
        log.info(changed, 're-evaluating stored images');
        await reevaluateAll(ctx, store, { rematch: changed.database });
      }
      if (!last || changed.policy || changed.openvex || changed.expiry) now.nextExpiry = await nextExceptionExpiry(ctx);
      last = now;
      if (lease) await lease.saveState(JSON.stringify({ ...now, nextExpiry: Number.isFinite(now.nextExpiry) ? now.nextExpiry : null }));
      await judgeUnjudged(ctx, unjudgedAfterMs);
    } catch (e) {
      log.warn({ err: (e as Error)?.message }, 're-evaluation check failed');
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => { clearInterval(timer); void lease?.release().catch(() => {}); };
}

/** The watched generations a holder saved (Infinity stored as null); undefined when none or unreadable. */
function parseWatched(s: string | null): { policy: number; db: string | null; vex: number; nextExpiry: number } | undefined {
  if (!s) return undefined;
  try {
    const v = JSON.parse(s) as { policy: number; db: string | null; vex: number; nextExpiry: number | null };
    return { policy: v.policy, db: v.db, vex: v.vex, nextExpiry: v.nextExpiry ?? Infinity };
  } catch { return undefined; }
}

/** When the next policy or OpenVEX exception expires (Infinity: none will). */
async function nextExceptionExpiry(ctx: JudgeContext): Promise<number> {
  const now = Date.now();
  const policies = await new PolicyStore(ctx.database).current();
  const all = [...policies.flatMap((p) => p.policy.spec.exceptions), ...await vexExceptions(ctx.database)];
  let next = Infinity;
  for (const e of all) {
    const t = e.expires ? expiryTime(e.expires) : NaN;
    if (t > now && t < next) next = t;
  }
  return next;
}
