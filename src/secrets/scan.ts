// Find secrets in text: keyword prefilter (one lower-casing pass, substring checks), then each
// remaining rule's regex, then the allow lists. Values never leave this module whole: a hit
// carries a masked form and a truncated sha256 fingerprint.
import { createHash } from 'node:crypto';
import { CustomsError } from '../errors.ts';
import type { SecretHit } from '../types.ts';
import { DEFAULT_RULES, GLOBAL_ALLOW, GLOBAL_ALLOW_PATHS, type SecretRule } from './rules.ts';

/** Matches one rule may produce in one text (allowed ones included): bounds regex work on hostile files. */
const MAX_MATCHES_PER_RULE = 64;
/** Hits reported for one text. */
const MAX_HITS = 100;

interface CompiledRule { rule: SecretRule; re: RegExp; group: number; allow: RegExp[] }

export interface SecretScanner {
  rules: CompiledRule[];
  allow: RegExp[];
  allowPaths: RegExp[];
}

export interface ScannerOptions {
  /** rules added to (or, with the same id, replacing) the default ones */
  rules?: SecretRule[];
  /** extra allow regexes on secret values */
  allow?: string[];
  /** extra allow regexes on absolute paths */
  allowPaths?: string[];
}

function compile(source: string, flags: string, what: string): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (e) {
    throw new CustomsError('config', `${what}: invalid regex ${JSON.stringify(source.slice(0, 100))}: ${(e as Error).message}`);
  }
}

export function compileScanner(opts: ScannerOptions = {}): SecretScanner {
  const byId = new Map<string, SecretRule>();
  for (const r of [...DEFAULT_RULES, ...(opts.rules ?? [])]) byId.set(r.id, r);
  const rules = [...byId.values()].map((rule) => {
    const re = compile(rule.regex, 'g' + (rule.flags ?? '').replace(/g/g, ''), `secret rule ${rule.id}`);
    const groups = new RegExp(`${rule.regex}|`, rule.flags?.replace(/g/g, '') ?? '').exec('')!.length - 1;
    return {
      rule, re, group: rule.group ?? (groups > 0 ? 1 : 0),
      allow: (rule.allow ?? []).map((a) => compile(a, 'i', `secret rule ${rule.id} allow`)),
    };
  });
  return {
    rules,
    allow: [...GLOBAL_ALLOW, ...(opts.allow ?? [])].map((a) => compile(a, 'i', 'secret allow list')),
    allowPaths: [...GLOBAL_ALLOW_PATHS, ...(opts.allowPaths ?? [])].map((a) => compile(a, 'i', 'secret allow paths')),
  };
}

let defaultScanner: SecretScanner | undefined;
export function getDefaultScanner(): SecretScanner {
  return (defaultScanner ??= compileScanner());
}

/** true when the path holds documentation, examples or test data (allow-listed as a whole). */
export function isAllowedPath(scanner: SecretScanner, path: string): boolean {
  return scanner.allowPaths.some((re) => re.test(path));
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (!s) return 0;
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) { const p = n / s.length; h -= p * Math.log2(p); }
  return h;
}

/** "AKIA************ABCD": the first and last 4 characters of long values, 2 of shorter ones. */
export function maskSecret(value: string): string {
  const v = value.replace(/\s+/g, '');
  const keep = v.length >= 20 ? 4 : v.length >= 10 ? 2 : 0;
  const stars = '*'.repeat(Math.min(Math.max(v.length - 2 * keep, 4), 16));
  return keep ? v.slice(0, keep) + stars + v.slice(-keep) : stars;
}

/** Truncated sha256 of the value (whitespace removed, so a key re-wrapped is the same leak). */
export function fingerprintSecret(value: string): string {
  return 'sha256:' + createHash('sha256').update(value.replace(/\s+/g, '')).digest('hex').slice(0, 32);
}

/** 1-based line of `index` (only computed for hits, which are few). */
function lineAt(text: string, index: number): number {
  let n = 1, i = text.indexOf('\n');
  while (i !== -1 && i < index) { n++; i = text.indexOf('\n', i + 1); }
  return n;
}

/**
 * Scan one text. `text` should be the bytes read as latin1 (1:1 with bytes; secrets are ASCII).
 * Bounded: every rule regex has bounded quantifiers, and each rule stops after MAX_MATCHES_PER_RULE.
 */
export function scanText(scanner: SecretScanner, text: string, opts: { lines?: boolean } = {}): SecretHit[] {
  return findSecrets(scanner, text, opts).map((f) => f.hit);
}

/** A hit and where its value sits in the text (for redacting the text). */
export interface SecretSpan { hit: SecretHit; start: number; end: number }

export function findSecrets(scanner: SecretScanner, text: string, opts: { lines?: boolean } = {}): SecretSpan[] {
  const lower = text.toLowerCase();
  const hits: SecretSpan[] = [];
  const seen = new Set<string>();
  for (const c of scanner.rules) {
    if (!c.rule.keywords.some((k) => lower.includes(k))) continue;
    c.re.lastIndex = 0;
    let matches = 0;
    for (let m = c.re.exec(text); m && matches < MAX_MATCHES_PER_RULE; m = c.re.exec(text)) {
      matches++;
      const value = m[c.group] ?? m[0];
      if (c.rule.entropy !== undefined && shannonEntropy(value) < c.rule.entropy) continue;
      if (c.allow.some((re) => re.test(value)) || scanner.allow.some((re) => re.test(value))) continue;
      const fingerprint = fingerprintSecret(value);
      const line = opts.lines === false ? undefined : lineAt(text, m.index + m[0].indexOf(value));
      // one value found by a specific rule and the generic one is reported once (rules run specific first)
      const key = `${fingerprint}\0${line}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const start = m.index + m[0].indexOf(value);
      hits.push({
        hit: {
          rule: c.rule.id, severity: c.rule.severity, title: c.rule.title,
          ...(line !== undefined ? { line } : {}),
          masked: maskSecret(value), fingerprint,
        },
        start, end: start + value.length,
      });
      if (hits.length >= MAX_HITS) return hits;
    }
  }
  return hits;
}
