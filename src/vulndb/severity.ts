import cvssLib from 'ae-cvss-calculator';
import type { OsvAdvisory, OsvAffected, OsvSeverityEntry } from './osv.ts';
import type { Rating, Severity } from './types.ts';

// Base scores come from ae-cvss-calculator ({metæffekt}, Apache-2.0): one maintained library that
// implements CVSS 2.0, 3.0, 3.1 and 4.0 from FIRST's specifications.

const REQUIRED: Record<'2' | '3' | '4', string[]> = {
  '2': ['AV', 'AC', 'Au', 'C', 'I', 'A'],
  '3': ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'],
  '4': ['AV', 'AC', 'AT', 'PR', 'UI', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA'],
};

export interface CvssResult { score: number; version: '2.0' | '3.0' | '3.1' | '4.0'; vector: string }

/** Base score of a CVSS vector (v2 without prefix, or "CVSS:3.0/", "CVSS:3.1/", "CVSS:4.0/"); undefined when invalid. */
export function cvssBaseScore(vector: string): CvssResult | undefined {
  const v = vector.trim();
  if (v.length > 512) return undefined;
  let version: CvssResult['version'];
  let body: string;
  const m = /^CVSS:(\d\.\d)\/(.*)$/.exec(v);
  if (m) {
    if (m[1] !== '3.0' && m[1] !== '3.1' && m[1] !== '4.0' && m[1] !== '2.0') return undefined;
    version = m[1];
    body = m[2]!;
  } else {
    version = '2.0';
    body = v.replace(/^\(|\)$/g, '');
  }
  const metrics = new Map<string, string>();
  for (const part of body.split('/')) {
    const [k, val, extra] = part.split(':');
    if (!k || !val || extra !== undefined || metrics.has(k)) return undefined;
    metrics.set(k, val);
  }
  for (const k of REQUIRED[version[0] as '2' | '3' | '4']) if (!metrics.has(k) || metrics.get(k) === 'X') return undefined;
  try {
    const Cls = version === '2.0' ? cvssLib.Cvss2 : version === '3.0' ? cvssLib.Cvss3P0 : version === '3.1' ? cvssLib.Cvss3P1 : cvssLib.Cvss4P0;
    const vec = new Cls(version === '2.0' ? body : v);
    const scores = vec.calculateScores() as { base?: number };
    const score = scores.base;
    if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 10) return undefined;
    return { score: Math.round(score * 10) / 10, version, vector: v };
  } catch {
    return undefined;
  }
}

/** Qualitative rating of a score. CVSS v3/v4 scale; v2 (NVD) has no "critical": 7.0–10 is high. */
export function ratingOf(score: number, version: string): Rating {
  if (version.startsWith('2')) return score >= 7 ? 'high' : score >= 4 ? 'medium' : 'low';
  if (score === 0) return 'none';
  return score >= 9 ? 'critical' : score >= 7 ? 'high' : score >= 4 ? 'medium' : 'low';
}

const WORDS: Record<string, Rating> = {
  none: 'none', negligible: 'low', unimportant: 'low', low: 'low', moderate: 'medium', medium: 'medium',
  important: 'high', high: 'high', critical: 'critical',
};

/** Map a vendor severity word (GHSA LOW/MODERATE/HIGH/CRITICAL, Debian urgency, Ubuntu priority, Red Hat) to a rating. */
export function ratingOfWord(word: string): Rating | undefined {
  const w = word.trim().toLowerCase().replace(/\*+$/, '').replace(/\s*\(.*\)$/, '');
  return WORDS[w];
}

const PREFERENCE = ['CVSS_V3', 'CVSS_V4', 'CVSS_V2'];

function fromVectors(entries: OsvSeverityEntry[] | undefined, where: string): Severity | undefined {
  if (!entries?.length) return undefined;
  const sorted = [...entries].sort((a, b) => rank(a.type) - rank(b.type));
  for (const e of sorted) {
    if (!PREFERENCE.includes(e.type)) continue;
    const r = cvssBaseScore(e.score);
    if (!r) continue;
    const major = r.version[0];
    return { score: r.score, rating: ratingOf(r.score, r.version), vector: r.vector, type: e.type, source: `${where}-cvss-v${major}` };
  }
  // OSV's Ubuntu data carries {type: "Ubuntu", score: "medium"}
  for (const e of entries) {
    const rating = ratingOfWord(e.score);
    if (rating) return { rating, type: e.type, source: `${where}-${e.type.toLowerCase().slice(0, 32)}` };
  }
  return undefined;
}
const rank = (t: string) => { const i = PREFERENCE.indexOf(t); return i < 0 ? 99 : i; };

function fromWords(obj: Record<string, unknown> | undefined, source: string): Severity | undefined {
  if (!obj) return undefined;
  for (const key of ['severity', 'urgency', 'priority']) {
    const v = obj[key];
    if (typeof v === 'string') {
      const rating = ratingOfWord(v);
      if (rating) return { rating, type: key, source: `${source}.${key}`, label: v.slice(0, 64) };
    }
  }
  return undefined;
}

/**
 * Severity of an advisory (optionally for one affected entry): CVSS vectors first (advisory-level,
 * then the affected entry's; CVSS v3 preferred, then v4, then v2), then severity words in
 * database_specific / ecosystem_specific (GHSA, Debian urgency, Ubuntu priority…), else unknown.
 */
export function severityOf(adv: Pick<OsvAdvisory, 'severity' | 'database_specific'>, aff?: OsvAffected): Severity {
  return fromVectors(adv.severity, 'osv')
    ?? fromVectors(aff?.severity, 'osv-affected')
    ?? fromWords(adv.database_specific, 'database_specific')
    ?? fromWords(aff?.database_specific, 'affected.database_specific')
    ?? fromWords(aff?.ecosystem_specific, 'affected.ecosystem_specific')
    ?? { rating: 'unknown', source: 'none' };
}

const ORDER: Rating[] = ['unknown', 'none', 'low', 'medium', 'high', 'critical'];
/** Higher of two severities: by rating, then by score. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  const d = ORDER.indexOf(a.rating) - ORDER.indexOf(b.rating);
  if (d !== 0) return d > 0 ? a : b;
  return (b.score ?? -1) > (a.score ?? -1) ? b : a;
}
