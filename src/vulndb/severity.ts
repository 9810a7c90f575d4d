import cvssLib from 'ae-cvss-calculator';
import type { OsvAdvisory, OsvAffected, OsvSeverityEntry } from './osv.ts';
import type { Rating, RecordRating, Severity } from './types.ts';

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

/** Map a vendor severity word (GHSA LOW/MODERATE/HIGH/CRITICAL, Debian urgency, Ubuntu priority, Red Hat) to a rating.
 *  Words that say nothing yet ("not yet assigned", "untriaged") give undefined. */
export function ratingOfWord(word: string): Rating | undefined {
  const w = word.trim().toLowerCase().replace(/\*+$/, '').replace(/\s*\(.*\)$/, '');
  return WORDS[w];
}

const PREFERENCE = ['CVSS_V3', 'CVSS_V4', 'CVSS_V2'];
const rank = (t: string) => { const i = PREFERENCE.indexOf(t); return i < 0 ? 99 : i; };

/** Severity of a CVSS vector (score by ae-cvss-calculator); undefined when the vector is invalid. */
export function cvssSeverity(vector: string, meta: Omit<Severity, 'rating' | 'score' | 'vector' | 'type'>): Severity | undefined {
  const r = cvssBaseScore(vector);
  if (!r) return undefined;
  return { score: r.score, rating: ratingOf(r.score, r.version), vector: r.vector, type: `CVSS_V${r.version[0]}`, ...meta };
}

/** The best CVSS entry of an OSV severity[] (v3 preferred, then v4, then v2). */
function fromVectors(entries: OsvSeverityEntry[] | undefined, meta: Omit<Severity, 'rating' | 'score' | 'vector' | 'type'>): Severity | undefined {
  if (!entries?.length) return undefined;
  for (const e of [...entries].sort((a, b) => rank(a.type) - rank(b.type))) {
    if (!PREFERENCE.includes(e.type)) continue;
    const s = cvssSeverity(e.score, meta);
    if (s) return s;
  }
  return undefined;
}

function word(value: unknown, type: string, meta: Omit<Severity, 'rating'>): Severity | undefined {
  if (typeof value !== 'string') return undefined;
  const rating = ratingOfWord(value);
  return rating ? { ...meta, rating, type, label: value.slice(0, 64) } : undefined;
}

// Red Hat, AlmaLinux and Rocky Linux advisories carry Red Hat's impact as the summary's first word:
// "Important: openssl security update".
const RED_HAT_SUMMARY = /^(critical|important|moderate|low)\s*:/i;

/**
 * A record's own rating, from what the whole record says: CVSS vectors in severity[], and vendor
 * words — the summary's impact prefix (Red Hat family), database_specific.severity (GitHub),
 * a named severity[] entry such as {type: "Ubuntu", score: "medium"}.
 */
export function recordRating(adv: Pick<OsvAdvisory, 'id' | 'severity' | 'database_specific' | 'summary'>): RecordRating {
  const meta = { source: 'advisory', record: adv.id };
  const cvss = fromVectors(adv.severity, meta);
  let w: Severity | undefined;
  const prefix = adv.summary ? RED_HAT_SUMMARY.exec(adv.summary)?.[1] : undefined;
  if (prefix) w = word(prefix, 'summary', meta);
  w ??= word(adv.database_specific?.severity, 'database_specific.severity', meta);
  for (const e of adv.severity ?? []) {
    if (w) break;
    if (!e.type.startsWith('CVSS_')) w = word(e.score, `severity.${e.type.slice(0, 32)}`, meta);
  }
  return { ...(cvss ? { cvss } : {}), ...(w ? { word: w } : {}) };
}

/** What one affected entry says: Debian urgency, Ubuntu priority, a severity word or CVSS vectors of its own. */
export function entryRating(aff: OsvAffected | undefined, record: string): RecordRating {
  if (!aff) return {};
  const meta = { source: 'advisory', record };
  const cvss = fromVectors(aff.severity, meta);
  let w: Severity | undefined;
  for (const [bag, name] of [[aff.ecosystem_specific, 'ecosystem_specific'], [aff.database_specific, 'database_specific']] as const) {
    if (!bag) continue;
    for (const key of ['urgency', 'ubuntu_priority', 'priority', 'severity']) {
      w ??= word(bag[key], `${name}.${key}`, meta);
    }
  }
  return { ...(cvss ? { cvss } : {}), ...(w ? { word: w } : {}) };
}

/**
 * The rating an advisory gives for the affected entry that matched. A distribution's own word is
 * what it ships fixes by (Ubuntu "medium" over the NVD vector its record copies), so for OS
 * ecosystems words come first (the entry's, then the record's), then vectors; for language
 * advisories the record's CVSS vector first, then the entry's, then words (GitHub's MODERATE…).
 * Undefined when the advisory says nothing.
 */
export function ownRating(rec: RecordRating, entry: RecordRating, distro: boolean, provider: string): Severity | undefined {
  return ownRatings(rec, entry, distro, provider)[0];
}

/** Every rating the advisory gives, in that order (the first is the one used): a distribution's word
 *  and the CVSS vector its record carries are both worth showing. */
export function ownRatings(rec: RecordRating, entry: RecordRating, distro: boolean, provider: string): Severity[] {
  const order = distro ? [entry.word, rec.word, entry.cvss, rec.cvss] : [rec.cvss, entry.cvss, rec.word, entry.word];
  const source = distro ? 'vendor' : 'advisory';
  const out: Severity[] = [];
  for (const s of order) if (s && !out.some((o) => (o.vector !== undefined) === (s.vector !== undefined))) out.push({ ...s, source, provider });
  return out;
}

/** Rating of an advisory (optionally for one affected entry), language order; `unknown` when it says nothing. */
export function severityOf(adv: Pick<OsvAdvisory, 'severity' | 'database_specific'> & { id?: string; summary?: string }, aff?: OsvAffected): Severity {
  const id = adv.id ?? '';
  return ownRating(recordRating({ ...adv, id }), entryRating(aff, id), false, '') ?? { rating: 'unknown', source: 'none' };
}

const ORDER: Rating[] = ['unknown', 'none', 'low', 'medium', 'high', 'critical'];
/** Higher of two severities: by rating, then by score. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  const d = ORDER.indexOf(a.rating) - ORDER.indexOf(b.rating);
  if (d !== 0) return d > 0 ? a : b;
  return (b.score ?? -1) > (a.score ?? -1) ? b : a;
}

export const UNKNOWN: Severity = { rating: 'unknown', source: 'none' };
