import type { ScanReport } from '../scan/types.ts';
import { VERSION } from '../version.ts';
import { platformFixPlan } from './fix-plan.ts';

/**
 * `scan --format json`: the inventory JSON (`images[]`, as `sbom --format json`) with each image's
 * `vulnerabilities`, plus the database version and warnings.
 */
export function scanJson(report: ScanReport) {
  return {
    scanner: { name: 'customs', version: VERSION },
    reference: report.ref,
    rootDigest: report.rootDigest,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    database: report.dbVersion,
    warnings: report.warnings,
    images: report.platforms.map((p) => ({ ...p.inventory, vulnerabilities: p.findings, fixPlan: platformFixPlan(p), coverage: p.coverage ?? [], ...(p.hygiene ? { hygiene: p.hygiene } : {}) })),
  };
}
