import { renderTable } from '../util/table.ts';
import { packageVersion } from '../sbom/package-version.ts';
import { formatPlatform } from '../image/manifest.ts';
import { hygieneTable } from '../hygiene/table.ts';
import type { ScanReport } from '../scan/types.ts';
import { countBySeverity, SEVERITY_ORDER, severityRank } from './filter.ts';
import { fixPlanLines, platformFixPlan } from './fix-plan.ts';
import { coverageLines } from '../vulndb/coverage.ts';
import { ratingSourceName } from './rating-source.ts';

export interface FindingsTableOptions {
  /** --list-all-pkgs: every package of each platform after its findings */
  listAllPkgs?: boolean;
  /** the width to fit (the terminal's); titles and target paths are cut first */
  width?: number;
}

/** Findings as a plain-text table per platform, most severe first, with the database version and warnings. */
export function findingsTable(report: ScanReport, opts: FindingsTableOptions = {}): string {
  const parts: string[] = [];
  const db = report.dbVersion ? `vulnerability database ${report.dbVersion.version} (${report.dbVersion.advisories} advisories, imported ${report.dbVersion.importedAt})` : 'vulnerability database: EMPTY';
  parts.push(`${report.ref} ${report.rootDigest}\n${db}\n`);
  for (const p of report.platforms) {
    const inv = p.inventory;
    const os = inv.os ? inv.os.prettyName ?? `${inv.os.id} ${inv.os.versionId ?? ''}`.trim() : 'unknown OS';
    const counts = new Map<string, number>();
    for (const f of p.findings) counts.set(f.severity.rating, (counts.get(f.severity.rating) ?? 0) + 1);
    const summary = [...SEVERITY_ORDER].reverse().filter((r) => counts.get(r)).map((r) => `${r} ${counts.get(r)}`).join(', ') || 'none';
    parts.push(`${formatPlatform(inv.platform)}  ${os}; ${inv.packages.length} packages; ${p.findings.length} vulnerabilities (${summary})\n`);
    // honest coverage: which packages could be judged at all
    const uncovered = (p.coverage ?? []).filter((c) => c.judged < c.packages);
    if (p.coverage?.length) parts.push(`coverage: ${uncovered.length ? `NOT ALL JUDGED\n${coverageLines(p.coverage).map((l) => `  ${l}\n`).join('')}` : `all ${inv.packages.length} packages judged against loaded advisories\n`}`);
    const hygiene = p.hygiene ? hygieneTable(p.hygiene) : '';
    if (hygiene) parts.push(hygiene);
    if (!p.findings.length) continue;
    const rows = [...p.findings].sort((a, b) => severityRank(b.severity.rating) - severityRank(a.severity.rating) || a.package.name.localeCompare(b.package.name));
    const plan = platformFixPlan(p);
    const fixes = fixPlanLines(plan);
    if (fixes.length) {
      const origin = plan.baseLayers.count === undefined ? '' : `; from the base image's ${plan.baseLayers.count} layers: ${plan.origin.base}, from the application's: ${plan.origin.application}`;
      parts.push(`fix first (${plan.upgrades.length} upgrades remove ${plan.fixable} of ${p.findings.length} findings; the first three ${plan.fixedByTopThree}${origin}):\n${fixes.map((l) => `  ${l}\n`).join('')}`);
    }
    parts.push(findingRows(rows, opts.width));
    if (opts.listAllPkgs) parts.push(packageRows(p, opts.width));
  }
  if (opts.listAllPkgs) for (const p of report.platforms) if (!p.findings.length) parts.push(packageRows(p, opts.width));
  parts.push(summaryLines(report));
  for (const w of [...report.warnings, ...report.platforms.flatMap((p) => p.inventory.warnings)]) parts.push(`warning: ${w}\n`);
  return parts.join('\n');
}

const COLUMNS = ['PACKAGE', 'INSTALLED', 'VULNERABILITY', 'SEVERITY', 'RATED BY', 'STATUS', 'FIXED IN', 'TARGET', 'LAYER', 'EPSS', 'KEV', 'TITLE'];

function findingRows(rows: ScanReport['platforms'][number]['findings'], width: number | undefined): string {
  const cells = rows.map((f) => [
    f.package.name, f.package.version, f.id,
    f.severity.rating + (f.severity.score !== undefined ? ` ${f.severity.score.toFixed(1)}` : ''),
    ratingSourceName(f.severity), f.status, f.fixedVersion ?? '',
    // which file brought the package: a stdlib finding names its binary
    f.foundIn, f.layerIndex !== undefined ? String(f.layerIndex) : '',
    f.epss ? f.epss.score.toFixed(3) : '', f.kev ? `yes ${f.kev.dateAdded}` : '',
    (f.summary ?? '').replace(/\s+/g, ' ').trim(),
  ]);
  // EPSS and KEV columns only when a feed gave a value: no empty columns eating the width
  const keep = COLUMNS.map((h, i) => !(h === 'EPSS' || h === 'KEV') || cells.some((r) => r[i]));
  const pick = <T,>(xs: T[]) => xs.filter((_, i) => keep[i]);
  const headers = pick(COLUMNS);
  const at = (h: string) => headers.indexOf(h);
  return renderTable(headers, cells.map(pick), {
    ...(width ? { maxWidth: width } : {}),
    shrink: [{ column: at('TITLE'), min: 20, cut: 'end' }, { column: at('TARGET'), min: 16, cut: 'start' }, { column: at('INSTALLED'), min: 12, cut: 'end' }, { column: at('FIXED IN'), min: 12, cut: 'end' }],
  });
}

function packageRows(p: ScanReport['platforms'][number], width: number | undefined): string {
  const pkgs = [...p.inventory.packages].sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
  const headers = ['TYPE', 'NAME', 'VERSION', 'LICENSE', 'TARGET', 'LAYER'];
  return `packages of ${formatPlatform(p.inventory.platform)} (${pkgs.length}):\n` + renderTable(headers, pkgs.map((x) => [
    x.type, x.name, packageVersion(x),
    x.license ?? '', x.foundIn, x.layerIndex !== undefined ? String(x.layerIndex) : '',
  ]), { ...(width ? { maxWidth: width } : {}), shrink: [{ column: 3, min: 12, cut: 'end' }, { column: 4, min: 16, cut: 'start' }] });
}

/** The closing lines: counts per severity over every platform, and how much of the image could be judged. */
function summaryLines(report: ScanReport): string {
  const total = countBySeverity(report);
  const n = Object.values(total).reduce((a, b) => a + b, 0);
  const bySeverity = [...SEVERITY_ORDER].reverse().map((r) => `${r} ${total[r]}`).join(', ');
  const coverage = report.platforms.flatMap((p) => p.coverage ?? []);
  const packages = coverage.reduce((a, c) => a + c.packages, 0);
  const judged = coverage.reduce((a, c) => a + c.judged, 0);
  const coverageLine = coverage.length ? `coverage: ${judged} of ${packages} packages judged against loaded advisories${judged < packages ? ' (see the coverage lines above)' : ''}\n` : '';
  return `total: ${n} ${n === 1 ? 'vulnerability' : 'vulnerabilities'} (${bySeverity})\n${coverageLine}`;
}
