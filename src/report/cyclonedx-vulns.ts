import { formatPlatform } from '../image/manifest.ts';
import { coverageLines } from '../vulndb/coverage.ts';
import { parseReference } from '../image/reference.ts';
import type { ScanReport } from '../scan/types.ts';
import { toCycloneDx } from '../sbom/cyclonedx.ts';
import { packagePurl } from '../sbom/purl.ts';
import { VERSION } from '../version.ts';
import type { Finding, Severity } from '../vulndb/types.ts';
import { cvssMethod, ratingSourceName, ratingSourceUrl } from './rating-source.ts';

/** CycloneDX 1.6: the SBOM of the image plus `vulnerabilities`, each affecting package components by bom-ref. */
export function toCycloneDxWithVulns(report: ScanReport): object {
  const inventories = report.platforms.map((p) => p.inventory);
  const bom = toCycloneDx({ ref: parseReference(report.ref), toolVersion: VERSION, timestamp: report.finishedAt, inventories }) as any;
  const refs = new Set<string>();
  const walk = (cs: any[] | undefined) => { for (const c of cs ?? []) { refs.add(c['bom-ref']); walk(c.components); } };
  walk(bom.components);

  const vulns = new Map<string, { f: Finding; affects: { ref: string; versions: { version: string; status: string }[] }[] }>();
  for (const p of report.platforms) {
    for (const f of p.findings) {
      const rec = p.inventory.packages.find((x) => x.name === f.package.name && x.version === f.package.version && x.foundIn === f.foundIn && x.type === f.package.type);
      // the SBOM writer names components "<purl>#<manifest digest>"
      const ref = rec ? `${packagePurl(rec, p.inventory.os)}#${p.inventory.manifestDigest}` : undefined;
      const v = vulns.get(f.id) ?? { f, affects: [] };
      vulns.set(f.id, v);
      if (ref && refs.has(ref) && !v.affects.some((a) => a.ref === ref)) v.affects.push({ ref, versions: [{ version: f.package.version, status: 'affected' }] });
    }
  }
  bom.vulnerabilities = [...vulns.values()].map(({ f, affects }) => ({
    'bom-ref': `vuln:${f.id}`,
    id: f.id,
    source: { name: 'OSV', url: `https://osv.dev/vulnerability/${encodeURIComponent(f.advisories[0] ?? f.id)}` },
    references: f.aliases.map((a) => ({ id: a, source: { name: a.startsWith('CVE-') ? 'NVD' : 'OSV', url: a.startsWith('CVE-') ? `https://nvd.nist.gov/vuln/detail/${a}` : `https://osv.dev/vulnerability/${encodeURIComponent(a)}` } })),
    // every loaded source's rating, the one used first
    ratings: (f.ratings?.length ? f.ratings : [f.severity]).map(rating),
    ...(f.summary ? { description: f.summary } : {}),
    recommendation: f.guidance,
    affects,
    properties: [
      { name: 'customs:status', value: f.status },
      ...(f.fixedVersion ? [{ name: 'customs:fixedVersion', value: f.fixedVersion }] : []),
      ...(f.epss ? [{ name: 'customs:epss:score', value: String(f.epss.score) }, { name: 'customs:epss:percentile', value: String(f.epss.percentile) }] : []),
      ...(f.kev ? [{ name: 'customs:kev:dateAdded', value: f.kev.dateAdded }] : []),
    ],
  }));
  // one property per platform and ecosystem: what could be judged against loaded advisories
  const coverage = report.platforms.flatMap((p) => coverageLines(p.coverage ?? []).map((value) => ({ name: `customs:coverage:${formatPlatform(p.inventory.platform)}`, value })));
  if (report.dbVersion || coverage.length) bom.metadata.properties = [...(report.dbVersion ? [{ name: 'customs:vulndb:version', value: report.dbVersion.version }] : []), ...coverage];
  return bom;
}

function rating(s: Severity): object {
  if (s.rating === 'unknown') return { severity: 'unknown' };
  const url = ratingSourceUrl(s);
  return {
    severity: s.rating,
    method: cvssMethod(s),
    ...(s.score !== undefined ? { score: s.score } : {}),
    ...(s.vector ? { vector: s.vector } : {}),
    ...(s.label && !s.vector ? { justification: `${s.type ?? 'rating'}: ${s.label}` } : {}),
    source: { name: ratingSourceName(s), ...(url ? { url } : {}) },
  };
}
