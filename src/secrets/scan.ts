// Find secrets in text: one Aho–Corasick pass finds every rule keyword; each rule's regex then
// runs only in windows around its keywords' occurrences (a rule whose keywords are absent costs
// nothing, and a 2 MB file with three "token"s costs three small windows); then the value checks
// (entropy, checksum, allow lists). Values never leave this module whole: a hit carries a masked
// form and a truncated sha256 fingerprint.
import { createHash } from 'node:crypto';
import { CustomsError } from '../errors.ts';
import type { SecretHit } from '../types.ts';
import { shannonEntropy } from './entropy.ts';
import { buildKeywordIndex, type KeywordHits, type KeywordIndex } from './keyword-index.ts';
import type { SecretRule } from './rule-types.ts';
import { DEFAULT_RULES, GLOBAL_ALLOW, GLOBAL_ALLOW_PATHS } from './rules/index.ts';

export { shannonEntropy };

/** Matches one rule may produce in one text (allowed ones included): bounds regex work on hostile files. */
const MAX_MATCHES_PER_RULE = 64;
/** Hits reported for one text. */
const MAX_HITS = 100;
const DEFAULT_SPAN = 512;
/** Characters a window reaches beyond `span` on each side: room for lookbehinds and lookaheads. */
const MARGIN = 16;
/** How far left of a `key` group the whole name is looked for (`myAppPublicToken` for `Token`). */
const KEY_EXTENT = 48;

interface CompiledRule {
  rule: SecretRule;
  re: RegExp;
  /** numeric capture group of the value, or -1 for the named group `secret` */
  group: number;
  allow: RegExp[];
  allowKeys: RegExp[];
  allowMatch: RegExp[];
  paths: RegExp[];
  near?: RegExp;
  span: number;
  /** indexes into the scanner's keyword list */
  keywords: number[];
}

export interface SecretScanner {
  rules: CompiledRule[];
  index: KeywordIndex;
  allow: RegExp[];
  allowPaths: RegExp[];
}

export interface ScannerOptions {
  /** rules added to (or, with the same id, replacing) the default ones */
  rules?: SecretRule[];
  /** extra allow regexes on secret values (case-insensitive) */
  allow?: string[];
  /** extra allow regexes on absolute paths (case-insensitive) */
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
  const keywords: string[] = [];
  const keywordId = new Map<string, number>();
  const rules = [...byId.values()].map((rule): CompiledRule => {
    const flags = (rule.flags ?? '').replace(/[gdy]/g, '');
    const what = `secret rule ${rule.id}`;
    const re = compile(rule.regex, 'gd' + flags, what);
    const named = /\(\?<secret>/.test(rule.regex);
    const groups = new RegExp(`${rule.regex}|`, flags).exec('')!.length - 1;
    return {
      rule, re,
      group: named ? -1 : rule.group ?? (groups > 0 ? 1 : 0),
      // allow lists keep the rule's own case sensitivity: `^[a-z]+$` must not dismiss `Xk29fLq…`
      allow: (rule.allow ?? []).map((a) => compile(a, flags, `${what} allow`)),
      allowKeys: (rule.allowKeys ?? []).map((a) => compile(a, 'i', `${what} allowKeys`)),
      allowMatch: (rule.allowMatch ?? []).map((a) => compile(a, flags, `${what} allowMatch`)),
      paths: (rule.paths ?? []).map((a) => compile(a, 'i', `${what} paths`)),
      ...(rule.near ? { near: compile(rule.near.regex, 'i', `${what} near`) } : {}),
      span: rule.span ?? DEFAULT_SPAN,
      keywords: [...new Set(rule.keywords.map((k) => k.toLowerCase()))].map((k) => {
        let id = keywordId.get(k);
        if (id === undefined) { id = keywords.length; keywords.push(k); keywordId.set(k, id); }
        return id;
      }),
    };
  });
  return {
    rules,
    index: buildKeywordIndex(keywords),
    // the built-in list spells out its own case-insensitive parts; the configured one is case-insensitive
    allow: [...GLOBAL_ALLOW.map((a) => compile(a, '', 'secret allow list')), ...(opts.allow ?? []).map((a) => compile(a, 'i', 'secret allow list'))],
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

/** The value as one token: line breaks (real ones, or `\n` escapes in a JSON string) and blanks removed. */
function normalizeValue(value: string): string {
  return value.replace(/\\+[rn]|\s+/g, '');
}

/** "AKIA************ABCD": the first and last 4 characters of long values, 2 of shorter ones. */
export function maskSecret(value: string): string {
  const v = normalizeValue(value);
  const keep = v.length >= 20 ? 4 : v.length >= 10 ? 2 : 0;
  const stars = '*'.repeat(Math.min(Math.max(v.length - 2 * keep, 4), 16));
  return keep ? v.slice(0, keep) + stars + v.slice(-keep) : stars;
}

/** Truncated sha256 of the value (line breaks and blanks removed, so a key re-wrapped or JSON-escaped is the same leak). */
export function fingerprintSecret(value: string): string {
  return 'sha256:' + createHash('sha256').update(normalizeValue(value)).digest('hex').slice(0, 32);
}

/**
 * Scan one text. `text` should be the bytes read as latin1 (1:1 with bytes; secrets are ASCII).
 * Bounded: every rule regex has bounded quantifiers, runs only near its keywords, and each rule
 * stops after MAX_MATCHES_PER_RULE.
 */
export function scanText(scanner: SecretScanner, text: string, opts: FindOptions = {}): SecretHit[] {
  return findSecrets(scanner, text, opts).map((f) => f.hit);
}

/** A hit and where its value sits in the text (for redacting the text). */
export interface SecretSpan { hit: SecretHit; start: number; end: number }

export interface FindOptions {
  /** compute 1-based line numbers (default true) */
  lines?: boolean;
  /** the file's absolute path: rules limited to some files (settings.xml, nuget.config…) need it */
  path?: string;
}

/** The windows of `text` a rule's regex runs over: around each keyword occurrence, merged; null = the whole text. */
function windowsFor(c: CompiledRule, hits: (KeywordHits | undefined)[], n: number): [number, number][] | null {
  let positions: number[] = [];
  let lists = 0;
  for (const k of c.keywords) {
    const h = hits[k];
    if (h === undefined || h.positions.length === 0) { if (h?.dense) return null; continue; }
    positions = lists === 0 ? h.positions : positions.concat(h.positions);
    lists++;
  }
  if (lists > 1) positions.sort((a, b) => a - b);
  const reach = c.span + MARGIN;
  const out: [number, number][] = [];
  for (const p of positions) {
    // a keyword is at most 64 characters: the window covers the occurrence whatever its length
    const s = Math.max(0, p - reach), e = Math.min(n, p + 64 + reach);
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** The whole name a value is assigned to: the `key` group extended left over name characters. */
function fullKey(text: string, start: number, end: number): string {
  let s = start;
  while (s > 0 && start - s < KEY_EXTENT && /[\w.$-]/.test(text[s - 1]!)) s--;
  return text.slice(s, end);
}

export function findSecrets(scanner: SecretScanner, text: string, opts: FindOptions = {}): SecretSpan[] {
  const n = text.length;
  const hits = scanner.index.find(text);
  const found: SecretSpan[] = [];
  const dismissed: [number, number][] = [];
  for (const c of scanner.rules) {
    if (c.paths.length && !(opts.path && c.paths.some((re) => re.test(opts.path!)))) continue;
    const windows = windowsFor(c, hits, n) ?? [[0, n]];
    let matches = 0;
    for (const [ws, we] of windows) {
      if (matches >= MAX_MATCHES_PER_RULE) break;
      const sub = ws === 0 && we === n ? text : text.slice(ws, we);
      c.re.lastIndex = 0;
      for (let m = c.re.exec(sub); m && matches < MAX_MATCHES_PER_RULE; m = c.re.exec(sub)) {
        if (m[0].length === 0) { c.re.lastIndex++; continue; }
        matches++;
        const ms = ws + m.index, me = ms + m[0].length;
        // touching a window's cut edge: not a whole match (a real one lies inside some keyword's window)
        if ((ws > 0 && ms < ws + MARGIN) || (we < n && me > we - MARGIN)) continue;
        const named = c.group === -1;
        const value = named ? m.groups?.secret : m[c.group];
        const at = named ? m.indices?.groups?.secret : m.indices?.[c.group];
        if (value === undefined || at === undefined) continue;
        const start = ws + at[0], end = ws + at[1];
        const verdict = accepted(scanner, c, value, m, text, ws);
        // a value a rule knows to be public (Firebase's sample keys, Stripe's documentation keys) is not
        // reported by a broader rule either
        if (verdict === 'known') { dismissed.push([start, end]); continue; }
        if (!verdict) continue;
        // one value found by a specific rule and by a broader one is reported once (specific rules run first)
        if (found.some((f) => start < f.end && f.start < end) || dismissed.some(([s, e]) => start < e && s < end)) continue;
        found.push({
          hit: { rule: c.rule.id, severity: c.rule.severity, title: c.rule.title, masked: maskSecret(value), fingerprint: fingerprintSecret(value) },
          start, end,
        });
        if (found.length >= MAX_HITS) return withLines(text, found, opts);
      }
    }
  }
  return withLines(text, found, opts);
}

/** true: a secret; false: not one (too plain, fails its format); 'known': a value this rule lists as public. */
function accepted(scanner: SecretScanner, c: CompiledRule, value: string, m: RegExpExecArray, text: string, ws: number): boolean | 'known' {
  const r = c.rule;
  if (r.entropy !== undefined && shannonEntropy(normalizeValue(value)) < r.entropy) return false;
  if (r.verify && !r.verify(value)) return false;
  if (c.allow.some((re) => re.test(value))) return 'known';
  if (scanner.allow.some((re) => re.test(value))) return false;
  if (c.allowMatch.some((re) => re.test(m[0]))) return false;
  if (c.allowKeys.length) {
    const k = m.indices?.groups?.key;
    if (k && c.allowKeys.some((re) => re.test(fullKey(text, ws + k[0], ws + k[1])))) return false;
  }
  if (c.near) {
    const ms = ws + m.index;
    if (!c.near.test(text.slice(Math.max(0, ms - r.near!.before), ms + m[0].length + (r.near!.after ?? 0)))) return false;
  }
  return true;
}

/** 1-based lines of the hits, counted in one pass over the text. */
function withLines(text: string, found: SecretSpan[], opts: FindOptions): SecretSpan[] {
  if (opts.lines === false || found.length === 0) return found;
  const order = [...found].sort((a, b) => a.start - b.start);
  let line = 1, at = 0;
  for (const f of order) {
    for (let i = text.indexOf('\n', at); i !== -1 && i < f.start; i = text.indexOf('\n', i + 1)) { line++; at = i + 1; }
    f.hit = { ...f.hit, line };
  }
  return found;
}
