// What to fix first: the findings of one platform grouped by the package they are in, each package
// with the one upgrade that removes all its fixable findings (the highest fixed version any of them
// needs, compared with the ecosystem's own version order), ordered by what the upgrade removes —
// critical first, then high… then how many. And which of them come from the base image's layers
// versus the application's: a base-image finding is fixed by a newer base, not in the app.
import type { PlatformReport } from '../scan/types.ts';
import type { ImageConfigSummary } from '../types.ts';
import { compareVersions, hasComparator } from '../ecosystems/index.ts';
import type { Finding, Rating } from '../vulndb/types.ts';

export type LayerOrigin = 'base' | 'application' | 'unknown';

export interface Upgrade {
  /** the package as installed (for OS packages also its source package) */
  package: { type: string; name: string; version: string; sourceName?: string };
  /** the version that fixes every fixable finding of the package */
  upgradeTo: string;
  /** findings the upgrade removes, and how many of each rating */
  fixes: number;
  bySeverity: Partial<Record<Rating, number>>;
  /** the most severe ids it removes (at most 5) */
  ids: string[];
  /** findings of the package no upgrade removes yet */
  unfixable: number;
  origin: LayerOrigin;
  /** "upgrade libssl3 (source openssl) to 3.0.9-1: fixes 12 (critical 1, high 4, …)" */
  guidance: string;
}

export interface FixPlan {
  upgrades: Upgrade[];
  /** fixable findings in all, and how many the first three upgrades remove */
  fixable: number;
  fixedByTopThree: number;
  /** findings no upgrade removes yet */
  unfixable: number;
  /** findings per layer origin (base image layers vs the application's), when the base is known */
  origin: Record<LayerOrigin, number>;
  /** how the base layers were told apart, or why they could not be */
  baseLayers: { count: number; how: string } | { count: undefined; how: string };
}

const RANK: Record<string, number> = { critical: 5, high: 4, medium: 3, low: 2, unknown: 1, none: 0 };
const SEVERITIES: Rating[] = ['critical', 'high', 'medium', 'low', 'unknown', 'none'];

/**
 * The base image's layers, from the build history as docker and BuildKit write it: the last
 * CMD/ENTRYPOINT instruction (an empty layer) before the application's first layer ends the base
 * image — the heuristic Trivy uses too. Undefined when the history does not show one.
 */
export function baseLayerCount(config: ImageConfigSummary, layers: number): { count: number; how: string } | { count: undefined; how: string } {
  const history = config.history ?? [];
  if (!history.length) return { count: undefined, how: 'no build history in the image config' };
  const nonEmpty = history.filter((h) => !h.emptyLayer).length;
  if (nonEmpty !== layers) return { count: undefined, how: `the build history lists ${nonEmpty} layers, the image has ${layers}` };
  let seenLayer = false;
  let end = -1;
  for (let i = history.length - 1; i >= 0; i--) {
    const h = history[i]!;
    if (!h.emptyLayer) { seenLayer = true; continue; }
    if (seenLayer && /^(\/bin\/sh -c #\(nop\)\s+)?(CMD|ENTRYPOINT)\b/.test((h.createdBy ?? '').trim())) { end = i; break; }
  }
  if (end < 0) return { count: undefined, how: 'no CMD/ENTRYPOINT of a base image in the build history' };
  const count = history.slice(0, end + 1).filter((h) => !h.emptyLayer).length;
  return { count, how: `build history: the base image ends at history[${end}] (${(history[end]!.createdBy ?? '').trim().slice(0, 60)})` };
}

export function fixPlan(findings: Finding[], base: { count: number; how: string } | { count: undefined; how: string }): FixPlan {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = `${f.package.type}\0${f.package.name}\0${f.package.version}`;
    const g = groups.get(key);
    if (g) g.push(f); else groups.set(key, [f]);
  }
  const originOf = (f: Finding): LayerOrigin =>
    base.count === undefined || f.layerIndex === undefined ? 'unknown' : f.layerIndex < base.count ? 'base' : 'application';
  const origin: Record<LayerOrigin, number> = { base: 0, application: 0, unknown: 0 };
  for (const f of findings) origin[originOf(f)]++;

  const upgrades: Upgrade[] = [];
  let unfixable = 0;
  for (const fs of groups.values()) {
    const fixable = fs.filter((f) => f.fixedVersion !== undefined);
    unfixable += fs.length - fixable.length;
    if (!fixable.length) continue;
    const eco = fixable[0]!.ecosystem;
    const upgradeTo = fixable.map((f) => f.fixedVersion!).reduce((a, b) => (newer(eco, b, a) ? b : a));
    const bySeverity: Partial<Record<Rating, number>> = {};
    for (const f of fixable) bySeverity[f.severity.rating] = (bySeverity[f.severity.rating] ?? 0) + 1;
    const p = fixable[0]!.package;
    const ids = [...fixable].sort((a, b) => (RANK[b.severity.rating] ?? 0) - (RANK[a.severity.rating] ?? 0)).map((f) => f.id);
    const counts = SEVERITIES.filter((r) => bySeverity[r]).map((r) => `${r} ${bySeverity[r]}`).join(', ');
    const source = p.sourceName && p.sourceName !== p.name ? ` (source ${p.sourceName})` : '';
    upgrades.push({
      package: { type: p.type, name: p.name, version: p.version, ...(p.sourceName ? { sourceName: p.sourceName } : {}) },
      upgradeTo, fixes: fixable.length, bySeverity, ids: [...new Set(ids)].slice(0, 5),
      unfixable: fs.length - fixable.length, origin: originOf(fixable[0]!),
      guidance: `upgrade ${p.name}${source} to ${upgradeTo}: fixes ${fixable.length} (${counts})`,
    });
  }
  // most severe first (critical removed, then high…), then the most removed
  upgrades.sort((a, b) => {
    for (const r of SEVERITIES) {
      const d = (b.bySeverity[r] ?? 0) - (a.bySeverity[r] ?? 0);
      if (d) return d;
    }
    return a.package.name.localeCompare(b.package.name);
  });
  const fixable = upgrades.reduce((n, u) => n + u.fixes, 0);
  return {
    upgrades, fixable, fixedByTopThree: upgrades.slice(0, 3).reduce((n, u) => n + u.fixes, 0),
    unfixable, origin, baseLayers: base,
  };
}

/** The fix plan of one scanned platform (its findings, its layers told apart by its build history). */
export function platformFixPlan(p: Pick<PlatformReport, 'findings' | 'inventory'>): FixPlan {
  return fixPlan(p.findings, baseLayerCount(p.inventory.config, p.inventory.layers.length));
}

/** The plan as text lines for tables and messages (the first `n` upgrades). */
export function fixPlanLines(plan: FixPlan, n = 5): string[] {
  if (!plan.upgrades.length) return [];
  const lines = plan.upgrades.slice(0, n).map((u) => `${u.guidance}${u.origin !== 'unknown' ? ` [${u.origin} layer]` : ''}`);
  if (plan.upgrades.length > n) lines.push(`… ${plan.upgrades.length - n} more upgrades`);
  return lines;
}

/** b is a newer version than a in the ecosystem's order (string order when there is no comparator). */
function newer(ecosystem: string, b: string, a: string): boolean {
  try {
    if (hasComparator(ecosystem)) return compareVersions(ecosystem, b, a) > 0;
  } catch { /* an unparsable version: fall through */ }
  return b > a;
}
