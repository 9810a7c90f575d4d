// What to fix first across the fleet: the stored latest scan of every image a workload runs, each finding
// scored with the workloads running it (score.ts), grouped into the upgrade that removes it in that image
// ("upgrade openssl to 3.0.9-1 in shop/web@sha256:…: fixes 3 findings (3 KEV) in 12 workloads (12
// internet-facing)"), the upgrades ordered by their highest finding priority, then by the sum.
import { alias } from 'drizzle-orm/sqlite-core';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { imageVerdicts, scans } from '../db/schema.ts';
import { listWorkloads } from '../workloads/store.ts';
import { platformFixPlan, type LayerOrigin } from '../report/fix-plan.ts';
import type { ScanReport } from '../scan/types.ts';
import type { Finding } from '../vulndb/types.ts';
import { scoreFindingIn, scoreOnly, summarizeWorkloads, type Factor, type ScoreOptions, type WorkloadSummary } from './score.ts';

export interface FleetWorkload {
  cluster: string; namespace: string; kind: string; name: string; container: string;
  digest: string; replicas: number; exposure: string; exposedBy: string[]; labels: Record<string, string>;
  /** the criticality label or annotation's value at the import (see ScoredWorkload) */
  criticality?: string | null;
}

export interface FleetImage { registry: string; repository: string; digest: string; report: ScanReport }

export interface PrioritizedFinding {
  id: string; severity: string; cvss?: number; epss?: number; kev: boolean; fixedVersion?: string;
  score: number; factors: Factor[];
}

export interface Fix {
  rank: number;
  image: { registry: string; repository: string; digest: string };
  package: { type: string; name: string; version: string; sourceName?: string };
  /** the version that removes every fixable finding of the package; null when none is fixed yet */
  upgradeTo: string | null;
  /** the package came from the base image's layers or the application's (fix-plan.ts) */
  origin: LayerOrigin;
  /** "upgrade openssl to 3.0.9-1 in registry/shop/web@sha256:…: fixes 3 findings (3 KEV) in 12 workloads (12 internet-facing)" */
  action: string;
  /** the highest priority of its findings (what orders the list), and their sum */
  priority: number;
  total: number;
  counts: { findings: number; kev: number; bySeverity: Record<string, number> };
  replicas: number;
  workloads: { cluster: string; namespace: string; kind: string; name: string; container: string; replicas: number; exposure: string; criticality: string | null }[];
  internetFacing: number;
  /** every finding it removes, the highest priority first, each with its factors */
  findings: PrioritizedFinding[];
}

export interface FleetPriorities {
  /** how many fixes in all; `fixes` holds the first `limit`, explained */
  total: number;
  fixes: Fix[];
  /** images that run but have no stored scan (their digests) */
  unscanned: string[];
  weights: string;
}

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'unknown', 'none'];
const short = (d: string) => d.slice(0, 19);
const s2 = alias(scans, 's2');

/** Pure: the ordered fixes of the images given, scored with the workloads running them (replicas > 0). */
export function prioritize(images: readonly FleetImage[], fleet: readonly FleetWorkload[], opts: ScoreOptions, limit = Infinity): FleetPriorities {
  const byDigest = new Map<string, FleetWorkload[]>();
  for (const w of fleet) {
    if (w.replicas <= 0 || !w.digest) continue;
    const l = byDigest.get(w.digest);
    if (l) l.push(w); else byDigest.set(w.digest, [w]);
  }
  const scanned = new Set(images.map((i) => i.digest));
  // every fix is scored (numbers only); the explanations are built for the fixes returned (limit)
  const fixes: Pending[] = [];
  for (const img of images) {
    const running = byDigest.get(img.digest);
    if (!running?.length) continue;
    // one group per package of the image (platforms of an index share their findings: counted once)
    const groups = new Map<string, { findings: Finding[]; ids: Set<string>; upgradeTo: string | null; origin: LayerOrigin }>();
    for (const p of img.report.platforms) {
      const plan = platformFixPlan(p);
      const upgrades = new Map(plan.upgrades.map((u) => [`${u.package.type}\0${u.package.name}\0${u.package.version}`, u]));
      for (const f of p.findings) {
        const key = `${f.package.type}\0${f.package.name}\0${f.package.version}`;
        let g = groups.get(key);
        if (!g) {
          const u = upgrades.get(key);
          g = { findings: [], ids: new Set(), upgradeTo: u?.upgradeTo ?? null, origin: u?.origin ?? 'unknown' };
          groups.set(key, g);
        }
        if (!g.ids.has(f.id)) { g.ids.add(f.id); g.findings.push(f); }
      }
    }
    // a workload counts once (two of its containers may run the image): its pods, whether it is exposed
    const perWorkload = new Map<string, FleetWorkload>();
    for (const w of running) {
      const k = `${w.cluster}/${w.namespace}/${w.kind}/${w.name}`;
      const seen = perWorkload.get(k);
      if (!seen || (w.exposure === 'internet' && seen.exposure !== 'internet')) perWorkload.set(k, w);
    }
    const summary = summarizeWorkloads([...perWorkload.values()], opts);
    for (const g of groups.values()) {
      let priority = 0, total = 0;
      for (const f of g.findings) { const x = scoreOnly(f, summary); total += x; if (x > priority) priority = x; }
      fixes.push({ img, running, summary, findings: g.findings, upgradeTo: g.upgradeTo, origin: g.origin, priority, total: Math.round(total * 100) / 100 });
    }
  }
  fixes.sort((a, b) => b.priority - a.priority || b.total - a.total || cmp(a.findings[0]!.package.name, b.findings[0]!.package.name) || cmp(a.img.digest, b.img.digest));
  return {
    total: fixes.length,
    fixes: fixes.slice(0, limit).map((f, i) => explain(f, i + 1)),
    unscanned: [...byDigest.keys()].filter((d) => !scanned.has(d)).sort(),
    weights: 'src/priorities/score.ts: severity CVSS×4 (0-40), EPSS×20, KEV +25, fix available +5, replicas 2.5×log2(1+n) ≤10, internet-facing +15, criticality critical 15/high 10/medium 5/low 0',
  };
}

interface Pending {
  img: FleetImage; running: FleetWorkload[]; summary: WorkloadSummary; findings: Finding[];
  upgradeTo: string | null; origin: LayerOrigin; priority: number; total: number;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function explain(p: Pending, rank: number): Fix {
  const { img, summary } = p;
  const scored: PrioritizedFinding[] = p.findings.map((f) => {
    const x = scoreFindingIn(f, summary);
    return {
      id: f.id, severity: f.severity.rating, ...(f.severity.score !== undefined ? { cvss: f.severity.score } : {}),
      ...(f.epss ? { epss: f.epss.score } : {}), kev: !!f.kev, ...(f.fixedVersion ? { fixedVersion: f.fixedVersion } : {}),
      score: x.score, factors: x.factors,
    };
  }).sort((a, b) => b.score - a.score || cmp(a.id, b.id));
  const pkg = p.findings[0]!.package;
  const kev = scored.filter((f) => f.kev).length;
  const bySeverity: Record<string, number> = {};
  for (const f of scored) bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
  const counts = [kev ? `${kev} KEV` : '', ...SEVERITIES.filter((s) => bySeverity[s]).map((s) => `${s} ${bySeverity[s]}`)].filter(Boolean).join(', ');
  const where = `${img.registry}/${img.repository}@${short(img.digest)}`;
  const source = pkg.sourceName && pkg.sourceName !== pkg.name ? ` (source ${pkg.sourceName})` : '';
  const n = scored.length;
  const what = `${n} finding${n === 1 ? '' : 's'} (${counts}) in ${summary.workloads} workload${summary.workloads === 1 ? '' : 's'} (${summary.exposed} internet-facing)`;
  return {
    rank,
    image: { registry: img.registry, repository: img.repository, digest: img.digest },
    package: { type: pkg.type, name: pkg.name, version: pkg.version, ...(pkg.sourceName ? { sourceName: pkg.sourceName } : {}) },
    upgradeTo: p.upgradeTo, origin: p.origin,
    action: p.upgradeTo ? `upgrade ${pkg.name}${source} to ${p.upgradeTo} in ${where}: fixes ${what}` : `no fix yet for ${pkg.name}${source} ${pkg.version} in ${where}: ${what}`,
    priority: p.priority, total: p.total,
    counts: { findings: n, kev, bySeverity }, replicas: summary.replicas,
    workloads: p.running.map((w) => ({
      cluster: w.cluster, namespace: w.namespace, kind: w.kind, name: w.name, container: w.container, replicas: w.replicas, exposure: w.exposure,
      criticality: w.labels[summary.criticalityLabel] ?? w.criticality ?? null,
    })),
    internetFacing: summary.exposed, findings: scored,
  };
}

/** The running workloads and the newest stored scan of each image they run, then prioritize(). */
export async function fleetPriorities(database: Database, opts: ScoreOptions, limit = Infinity): Promise<FleetPriorities> {
  const fleet: FleetWorkload[] = (await listWorkloads(database, { running: true })).map((w) => ({
    cluster: w.cluster, namespace: w.namespace, kind: w.kind, name: w.name, container: w.container, digest: w.digest!,
    replicas: w.replicas, exposure: w.exposure, exposedBy: w.exposedBy, labels: w.labels, criticality: w.criticality,
  }));
  const digests = [...new Set(fleet.map((w) => w.digest))];
  const images: FleetImage[] = [];
  for (const s of await newestScans(database, digests)) {
    try { images.push({ registry: s.registry, repository: s.repository, digest: s.digest, report: JSON.parse(s.report) as ScanReport }); } catch { /* a report that does not parse is skipped */ }
  }
  // a digest that runs may be one platform of a scanned index (the verdicts know its root): that platform's findings
  const scanned = new Set(images.map((i) => i.digest));
  const platformDigests = digests.filter((d) => !scanned.has(d));
  const roots = new Map<string, string>();
  for (let i = 0; i < platformDigests.length; i += 500) {
    const rows = await database.db.selectDistinct({ digest: imageVerdicts.digest, rootDigest: imageVerdicts.rootDigest }).from(imageVerdicts)
      .where(inArray(imageVerdicts.digest, platformDigests.slice(i, i + 500)));
    for (const r of rows) if (r.rootDigest !== r.digest) roots.set(r.digest, r.rootDigest);
  }
  if (roots.size) {
    const byRoot = new Map((await newestScans(database, [...new Set(roots.values())])).map((s) => [s.digest, s]));
    for (const [digest, root] of roots) {
      const s = byRoot.get(root);
      if (!s) continue;
      try {
        const report = JSON.parse(s.report) as ScanReport;
        const platforms = report.platforms.filter((p) => p.inventory.manifestDigest === digest);
        if (platforms.length) images.push({ registry: s.registry, repository: s.repository, digest, report: { ...report, platforms } });
      } catch { /* a report that does not parse is skipped */ }
    }
  }
  return prioritize(images, fleet, opts, limit);
}

/** The newest stored scan of each digest (index scans_digest: digest, finished_at), not every older report. */
async function newestScans(database: Database, digests: readonly string[]): Promise<{ registry: string; repository: string; digest: string; report: string }[]> {
  const out: { registry: string; repository: string; digest: string; report: string }[] = [];
  const seen = new Set<string>();
  // SQLite's bound-parameter limit: ask in chunks
  for (let i = 0; i < digests.length; i += 500) {
    const newest = database.db.select({ finishedAt: sql`max(${s2.finishedAt})` }).from(s2).where(eq(s2.digest, scans.digest));
    const found = await database.db.select({ registry: scans.registry, repository: scans.repository, digest: scans.digest, report: scans.report })
      .from(scans).where(and(inArray(scans.digest, digests.slice(i, i + 500)), eq(scans.finishedAt, sql`(${newest})`))).orderBy(desc(scans.finishedAt));
    for (const s of found) {
      if (seen.has(s.digest)) continue;
      seen.add(s.digest);
      out.push(s);
    }
  }
  return out;
}
