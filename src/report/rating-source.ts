import type { Severity } from '../vulndb/types.ts';

// How outputs name the source of a rating: the kind of source and who gave it, and where a reader
// can look it up. Shared by the table, SARIF and CycloneDX writers.

const KIND: Record<string, string> = {
  vendor: 'vendor', advisory: 'advisory', nvd: 'NVD', 'nvd-secondary': 'NVD secondary', ghsa: 'GitHub Advisory Database',
  'cve5-cna': 'CVE record (CNA)', 'cve5-adp': 'CVE record (ADP)',
};

/** "AlmaLinux", "NVD", "NVD secondary: CISA-ADP", "GitHub Advisory Database", "CVE record (ADP): CISA-ADP", "none". */
export function ratingSourceName(s: Severity): string {
  if (s.rating === 'unknown' || s.source === 'none') return 'none';
  if (s.source === 'vendor' || s.source === 'advisory') return s.provider || KIND[s.source]!;
  const kind = KIND[s.source] ?? s.source;
  return s.provider && s.source !== 'nvd' && s.source !== 'ghsa' ? `${kind}: ${s.provider}` : kind;
}

/** A page showing the rated record. */
export function ratingSourceUrl(s: Severity): string | undefined {
  const r = s.record;
  if (!r) return undefined;
  if (s.source === 'nvd' || s.source === 'nvd-secondary') return `https://nvd.nist.gov/vuln/detail/${encodeURIComponent(r)}`;
  if (s.source === 'ghsa') return `https://github.com/advisories/${encodeURIComponent(r)}`;
  if (s.source === 'cve5-cna' || s.source === 'cve5-adp') return `https://www.cve.org/CVERecord?id=${encodeURIComponent(r)}`;
  return `https://osv.dev/vulnerability/${encodeURIComponent(r)}`;
}

/** CycloneDX's name of a CVSS method. */
export function cvssMethod(s: Severity): string {
  if (s.type === 'CVSS_V4') return 'CVSSv4';
  if (s.type === 'CVSS_V2') return 'CVSSv2';
  if (s.type === 'CVSS_V3') return s.vector?.startsWith('CVSS:3.0') ? 'CVSSv3' : 'CVSSv31';
  return 'other';
}
