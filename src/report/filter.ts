import { CustomsError } from '../errors.ts';
import type { ScanReport } from '../scan/types.ts';
import type { Finding, Rating } from '../vulndb/types.ts';

/** Severity order for thresholds: "unknown" ranks above "none" and below "low" (it may be anything). */
export const SEVERITY_ORDER: Rating[] = ['none', 'unknown', 'low', 'medium', 'high', 'critical'];
export const severityRank = (r: Rating) => SEVERITY_ORDER.indexOf(r);

export function parseSeverity(word: string, option: string): Rating {
  const r = word.trim().toLowerCase();
  if (!SEVERITY_ORDER.includes(r as Rating)) throw new CustomsError('usage', `${option}: unknown severity "${word}" (use ${SEVERITY_ORDER.join(', ')})`);
  return r as Rating;
}

/** "--severity high,critical" → ratings */
export function parseSeverityList(text: string): Rating[] {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => parseSeverity(s, '--severity'));
  if (!list.length) throw new CustomsError('usage', '--severity: give a comma-separated list, e.g. high,critical');
  return list;
}

export interface FindingFilter { severities?: Rating[]; ignoreUnfixed?: boolean }

/** The report with only the findings the user asked to see (the report itself is not modified). */
export function filterReport(report: ScanReport, f: FindingFilter): ScanReport {
  if (!f.severities && !f.ignoreUnfixed) return report;
  const keep = (x: Finding) => (!f.severities || f.severities.includes(x.severity.rating)) && (!f.ignoreUnfixed || x.status === 'fixed-available');
  return { ...report, platforms: report.platforms.map((p) => ({ ...p, findings: p.findings.filter(keep) })) };
}

/** Whether any finding is at or above `threshold` (what --fail-on checks, after filtering). */
export function meetsThreshold(report: ScanReport, threshold: Rating): boolean {
  const min = severityRank(threshold);
  return report.platforms.some((p) => p.findings.some((x) => severityRank(x.severity.rating) >= min));
}

/** Counts per rating over all platforms (for summaries). */
export function countBySeverity(report: ScanReport): Record<Rating, number> {
  const out = Object.fromEntries(SEVERITY_ORDER.map((r) => [r, 0])) as Record<Rating, number>;
  for (const p of report.platforms) for (const x of p.findings) out[x.severity.rating]++;
  return out;
}
