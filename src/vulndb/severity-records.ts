// Severity sources beside OSV: NVD CVE API 2.0 records, CVE JSON 5 records (cvelistV5) and GitHub
// advisories. Each becomes rows keyed by a vulnerability id (CVE-… or GHSA-…) that findings are joined
// to by id and alias (src/vulndb/rate.ts). Parsed from untrusted input: every field is checked, every
// list capped, and a score is always recomputed from the vector by the CVSS library.
import type { OsvAdvisory } from './osv.ts';
import { cvssSeverity, ratingOf } from './severity.ts';
import type { RecordRating, Severity } from './types.ts';

export type SeverityKind = 'nvd' | 'nvd-secondary' | 'ghsa' | 'cve5-cna' | 'cve5-adp';
export interface SeverityRecord { id: string; kind: SeverityKind; severity: Severity; modified?: string }

/** What a parsed JSON document is. */
export type DocKind = 'nvd-response' | 'nvd-cve' | 'cve5' | 'osv';

const CVE_ID = /^CVE-\d{4}-\d{4,}$/;
const obj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, max = 256) => (typeof v === 'string' && v.length <= max ? v : undefined);
const list = (v: unknown, max: number): unknown[] => (Array.isArray(v) ? v.slice(0, max) : []);

// NVD names sources by e-mail or by the organisation's CVE Program UUID; the one every reader meets is CISA's.
const PROVIDERS: Record<string, string> = { '134c704f-9b21-4f2e-91b3-4a467353bcc0': 'CISA-ADP' };
const providerName = (s: unknown) => { const v = str(s, 128) ?? 'unknown'; return PROVIDERS[v] ?? v; };

/** Recognise a document: NVD API 2.0 response ({format: NVD_CVE, vulnerabilities: [{cve}]}), one NVD
 *  `cve` object (the per-CVE files of NVD mirrors), a CVE 5 record, or (anything else) OSV. */
export function docKind(v: unknown): DocKind {
  if (!obj(v)) return 'osv';
  if (Array.isArray(v.vulnerabilities) && (str(v.format)?.startsWith('NVD_CVE') || obj(v.vulnerabilities[0]?.cve))) return 'nvd-response';
  if (v.dataType === 'CVE_RECORD' || (obj(v.cveMetadata) && obj(v.containers))) return 'cve5';
  if (typeof v.id === 'string' && CVE_ID.test(v.id) && v.modified === undefined && (v.sourceIdentifier !== undefined || v.vulnStatus !== undefined || obj(v.metrics))) return 'nvd-cve';
  return 'osv';
}

// CVSS versions in the order a source's own metrics are preferred (as for OSV vectors: v3 is what
// policies and every other scanner speak; v4 next; v2 last).
const NVD_KEYS = [['cvssMetricV31', '3.1'], ['cvssMetricV30', '3.0'], ['cvssMetricV40', '4.0'], ['cvssMetricV2', '2.0']] as const;
const CVE5_KEYS = [['cvssV3_1', '3.1'], ['cvssV3_0', '3.0'], ['cvssV4_0', '4.0'], ['cvssV2_0', '2.0']] as const;

/** A metric's severity: the vector scored by the library; a record whose vector does not parse keeps
 *  its stated base score (rated on that version's scale) without a vector. */
function metricSeverity(data: unknown, version: string, meta: Omit<Severity, 'rating'>): Severity | undefined {
  if (!obj(data)) return undefined;
  const vector = str(data.vectorString, 512);
  const fromVector = vector ? cvssSeverity(vector, meta) : undefined;
  if (fromVector) return fromVector;
  const score = data.baseScore;
  if (typeof score !== 'number' || !(score >= 0 && score <= 10)) return undefined;
  return { ...meta, score, rating: ratingOf(score, version), type: `CVSS_V${version[0]}` };
}

export type Parsed = { records: SeverityRecord[]; withdrawn: boolean } | { error: string };

/** One NVD `cve` object: NVD's own (Primary) score and the best secondary (CNA, CISA-ADP) score. */
export function nvdCve(cve: unknown): Parsed {
  if (!obj(cve)) return { error: 'nvd: not an object' };
  const id = str(cve.id, 64);
  if (!id || !CVE_ID.test(id)) return { error: 'nvd: missing or invalid id' };
  if (cve.vulnStatus === 'Rejected') return { records: [], withdrawn: true };
  const modified = str(cve.lastModified, 64);
  let primary: Severity | undefined;
  let secondary: Severity | undefined;
  const metrics = obj(cve.metrics) ? cve.metrics : {};
  for (const [key, version] of NVD_KEYS) {
    for (const m of list(metrics[key], 50)) {
      if (!obj(m)) continue;
      const isPrimary = m.type === 'Primary';
      if (isPrimary ? primary : secondary) continue;
      const s = metricSeverity(m.cvssData, version, { source: isPrimary ? 'nvd' : 'nvd-secondary', provider: providerName(m.source), record: id });
      if (isPrimary) primary = s; else secondary = s;
    }
  }
  const records: SeverityRecord[] = [];
  if (primary) records.push({ id, kind: 'nvd', severity: primary, ...(modified ? { modified } : {}) });
  if (secondary) records.push({ id, kind: 'nvd-secondary', severity: secondary, ...(modified ? { modified } : {}) });
  return { records, withdrawn: false };
}

/** A CVE JSON 5 record: the CNA's metrics and the first ADP container with CVSS (CISA's Vulnrichment). */
export function cve5Record(rec: unknown): Parsed {
  if (!obj(rec) || !obj(rec.cveMetadata)) return { error: 'cve5: no cveMetadata' };
  const id = str(rec.cveMetadata.cveId, 64);
  if (!id || !CVE_ID.test(id)) return { error: 'cve5: missing or invalid cveId' };
  if (rec.cveMetadata.state === 'REJECTED') return { records: [], withdrawn: true };
  const modified = str(rec.cveMetadata.dateUpdated, 64);
  const containers = obj(rec.containers) ? rec.containers : {};
  const best = (c: unknown, source: SeverityKind): Severity | undefined => {
    if (!obj(c)) return undefined;
    const provider = providerName(obj(c.providerMetadata) ? c.providerMetadata.shortName : undefined);
    const metrics = list(c.metrics, 50).filter(obj);
    for (const [key, version] of CVE5_KEYS) {
      for (const m of metrics) {
        const s = metricSeverity(m[key], version, { source, provider, record: id });
        if (s) return s;
      }
    }
    return undefined;
  };
  const records: SeverityRecord[] = [];
  const cna = best(containers.cna, 'cve5-cna');
  if (cna) records.push({ id, kind: 'cve5-cna', severity: cna, ...(modified ? { modified } : {}) });
  for (const adp of list(containers.adp, 20)) {
    const s = best(adp, 'cve5-adp');
    if (s) { records.push({ id, kind: 'cve5-adp', severity: s, ...(modified ? { modified } : {}) }); break; }
  }
  return { records, withdrawn: false };
}

/** A GitHub advisory (github/advisory-database's OSV records, GHSA-…) rates its GHSA id and its CVE aliases. */
export function ghsaRecords(adv: OsvAdvisory, rating: RecordRating): SeverityRecord[] {
  if (!adv.id.startsWith('GHSA-')) return [];
  const own = rating.cvss ?? rating.word;
  if (!own) return [];
  const severity: Severity = { ...own, source: 'ghsa', provider: 'GitHub', record: adv.id };
  const ids = [adv.id, ...(adv.aliases ?? []).filter((a) => CVE_ID.test(a))];
  return ids.map((id) => ({ id, kind: 'ghsa' as const, severity, modified: adv.modified }));
}
