// Customs' scan report in the shapes Harbor reads (goharbor/pluggable-scanner-spec v1.2 data specs;
// Harbor's own model: src/pkg/scan/vuln/report.go). Severities are exactly Harbor's words — Harbor
// ranks an unrecognised word above Critical (code 99) and would block every pull with it.
import { parseReference } from '../image/reference.ts';
import type { ScanReport } from '../scan/types.ts';
import { toCycloneDx } from '../sbom/cyclonedx.ts';
import { toSpdx } from '../sbom/spdx.ts';
import { VERSION } from '../version.ts';
import type { Finding, Rating, Severity } from '../vulndb/types.ts';

export const SCANNER = { name: 'Customs', vendor: 'Customs', version: VERSION };
export type HarborSeverity = 'Unknown' | 'Negligible' | 'Low' | 'Medium' | 'High' | 'Critical';
const SEVERITY: Record<Rating, HarborSeverity> = { none: 'Negligible', unknown: 'Unknown', low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };
const ORDER: HarborSeverity[] = ['Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical'];

export interface HarborArtifact { repository: string; digest: string; tag?: string; mime_type?: string }

/** Where a person reads more about an id: NVD for CVEs, GitHub for GHSAs, OSV for every advisory matched. */
function links(f: Finding): string[] {
  const out = new Set<string>();
  for (const id of [f.id, ...f.aliases]) {
    if (/^CVE-\d{4}-\d{4,}$/.test(id)) out.add(`https://nvd.nist.gov/vuln/detail/${id}`);
    else if (/^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/.test(id)) out.add(`https://github.com/advisories/${id}`);
  }
  for (const a of f.advisories) out.add(`https://osv.dev/vulnerability/${encodeURIComponent(a)}`);
  return [...out];
}

function cvss(ratings: Severity[]) {
  const v3 = ratings.find((r) => r.type === 'CVSS_V3' && r.vector && r.score !== undefined);
  const v2 = ratings.find((r) => r.type === 'CVSS_V2' && r.vector && r.score !== undefined);
  return {
    ...(v3 ? { score_v3: v3.score!, vector_v3: v3.vector! } : {}),
    ...(v2 ? { score_v2: v2.score!, vector_v2: v2.vector! } : {}),
  };
}

/** Trivy's adapter shape for vendor CVSS ({"CVSS": {"nvd": {"V3Score", "V3Vector"}}}), keyed by who rated. */
function vendorCvss(ratings: Severity[]): Record<string, Record<string, string | number>> {
  const out: Record<string, Record<string, string | number>> = {};
  for (const r of ratings) {
    if (!r.vector || r.score === undefined || !(r.type === 'CVSS_V3' || r.type === 'CVSS_V2' || r.type === 'CVSS_V4')) continue;
    const who = (r.provider ?? String(r.source)).toLowerCase();
    const v = r.type === 'CVSS_V2' ? 'V2' : r.type === 'CVSS_V4' ? 'V40' : 'V3';
    out[who] = { ...out[who], [`${v}Score`]: r.score, [`${v}Vector`]: r.vector };
  }
  return out;
}

export function harborSeverity(r: Rating): HarborSeverity { return SEVERITY[r] ?? 'Unknown'; }

/** The vulnerability report (`application/vnd.security.vulnerability.report; version=1.1` and the native 1.0). */
export function toHarborVulnerabilityReport(report: ScanReport, artifact: HarborArtifact) {
  const seen = new Set<string>();
  const vulnerabilities = [];
  let top: HarborSeverity = 'Unknown';
  for (const p of report.platforms) {
    for (const f of p.findings) {
      const key = `${f.id}\0${f.package.name}\0${f.package.version}`;
      if (seen.has(key)) continue; // the same finding in two platforms of an index is one row
      seen.add(key);
      const severity = harborSeverity(f.severity.rating);
      if (ORDER.indexOf(severity) > ORDER.indexOf(top)) top = severity;
      const ratings = f.ratings ?? [f.severity];
      vulnerabilities.push({
        id: f.id,
        package: f.package.name,
        version: f.package.version,
        fix_version: f.fixedVersion ?? '',
        severity,
        description: f.summary ?? '',
        links: links(f),
        preferred_cvss: cvss(ratings),
        cwe_ids: [] as string[],
        vendor_attributes: {
          CVSS: vendorCvss(ratings),
          customs: {
            aliases: f.aliases, advisories: f.advisories, ecosystem: f.ecosystem, status: f.status, guidance: f.guidance,
            severitySource: f.severity.provider ?? f.severity.source, foundIn: f.foundIn,
            ...(f.epss ? { epss: f.epss } : {}), ...(f.kev ? { kev: f.kev } : {}),
          },
        },
        // what Harbor's Trivy adapter adds: the layer that brought the package
        ...(f.layer ? { layer: { digest: f.layer } } : {}),
      });
    }
  }
  return { generated_at: report.finishedAt, artifact, scanner: SCANNER, severity: top, vulnerabilities };
}

export const SBOM_MEDIA_TYPES = ['application/spdx+json', 'application/vnd.cyclonedx+json'] as const;
export type SbomMediaType = typeof SBOM_MEDIA_TYPES[number];

/** The SBOM report (`application/vnd.security.sbom.report+json; version=1.0`). */
export function toHarborSbomReport(report: ScanReport, artifact: HarborArtifact, mediaType: SbomMediaType) {
  const subject = { ref: parseReference(report.ref), toolVersion: VERSION, timestamp: report.finishedAt, inventories: report.platforms.map((p) => p.inventory) };
  return {
    generated_at: report.finishedAt, artifact, scanner: SCANNER,
    vendor_attributes: { packages: report.platforms.reduce((n, p) => n + p.inventory.packages.length, 0), platforms: report.platforms.length },
    media_type: mediaType,
    sbom: mediaType === 'application/spdx+json' ? toSpdx(subject) : toCycloneDx(subject),
  };
}
