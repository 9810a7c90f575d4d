import { renderTable } from '../cli/table.ts';
import { formatPlatform } from '../image/manifest.ts';
import { hygieneTable } from '../hygiene/table.ts';
import type { ScanReport } from '../scan/types.ts';
import { countBySeverity, SEVERITY_ORDER, severityRank } from './filter.ts';
import { fixPlanLines, platformFixPlan } from './fix-plan.ts';
import { coverageLines } from '../vulndb/coverage.ts';
import { ratingSourceName } from './rating-source.ts';

/** Findings as a plain-text table per platform, most severe first, with the database version and warnings. */
export function findingsTable(report: ScanReport): string {
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
    parts.push(renderTable(['PACKAGE', 'INSTALLED', 'VULNERABILITY', 'SEVERITY', 'RATED BY', 'STATUS', 'FIXED IN', 'LAYER', 'EPSS', 'KEV'], rows.map((f) => [
      f.package.name, f.package.version, f.id,
      f.severity.rating + (f.severity.score !== undefined ? ` ${f.severity.score.toFixed(1)}` : ''),
      ratingSourceName(f.severity), f.status, f.fixedVersion ?? '', f.layerIndex !== undefined ? String(f.layerIndex) : '',
      f.epss ? f.epss.score.toFixed(3) : '', f.kev ? `yes ${f.kev.dateAdded}` : '',
    ])));
  }
  const total = countBySeverity(report);
  parts.push(`total: ${Object.values(total).reduce((a, b) => a + b, 0)} vulnerabilities\n`);
  for (const w of [...report.warnings, ...report.platforms.flatMap((p) => p.inventory.warnings)]) parts.push(`warning: ${w}\n`);
  return parts.join('\n');
}
