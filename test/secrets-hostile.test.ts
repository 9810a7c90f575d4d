// The scanner against an attacker: every rule's regex on inputs built to make a backtracking
// engine work (its own keywords followed by long runs of each character its classes accept,
// near-misses repeated), and the whole scanner on a minified 2 MB line dense with credential
// words, on binary noise without NULs, and on every keyword at once (no window narrows anything).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../src/secrets/rules/index.ts';
import { getDefaultScanner, scanText } from '../src/secrets/scan.ts';
import { crcToken } from './helpers/secret-fixtures.ts';

const scanner = getDefaultScanner();
const FILLERS = ['A', 'a', '0', 'f', '-', '_', '.', '=', '/', '+', ' ', ':', '"', '\\n', '\n', 'AIza', 'eyJ', 'xoxb-1', '~', '%3D'];

/** Time one regex over `text` (all matches), milliseconds. */
function timeRegex(re: RegExp, text: string): number {
  const t0 = performance.now();
  re.lastIndex = 0;
  for (let m = re.exec(text), n = 0; m && n < 10_000; m = re.exec(text), n++) if (m[0].length === 0) re.lastIndex++;
  return performance.now() - t0;
}

/**
 * Linear means 4× the input costs about 4× the time: a quadratic regex costs 16×. Measured as a
 * growth ratio (not a fixed budget) so a loaded machine does not fail the test; tiny times are noise.
 */
function superlinear(re: RegExp, make: (bytes: number) => string): string | null {
  const small = make(65536), big = make(4 * 65536);
  const slow = (s: number, b: number) => b > 3000 || (b > 100 && b / Math.max(s, 5) > 10);
  let ts = timeRegex(re, small), tb = timeRegex(re, big);
  // a pause of the machine (GC, another process) can hit one run: a suspect is timed twice more and
  // judged on its best runs — a quadratic regex is slow every time
  for (let i = 0; i < 2 && slow(ts, tb); i++) { ts = Math.min(ts, timeRegex(re, small)); tb = Math.min(tb, timeRegex(re, big)); }
  return slow(ts, tb) ? `${ts.toFixed(0)} → ${tb.toFixed(0)} ms` : null;
}

describe('every rule regex stays linear on hostile input', () => {
  it('keywords followed by long runs of one character, 64 KB then 256 KB, per rule and filler', () => {
    const slow: string[] = [];
    for (const r of DEFAULT_RULES) {
      const re = new RegExp(r.regex, 'gd' + (r.flags ?? ''));
      for (const f of FILLERS) {
        // the keywords as a prefix, then a run far longer than any bounded quantifier, again and again
        const unit = r.keywords.join(' ') + ' ' + f.repeat(Math.ceil(6000 / f.length));
        const bad = superlinear(re, (n) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n));
        if (bad) slow.push(`${r.id} × ${JSON.stringify(f)}: ${bad}`);
      }
    }
    expect(slow).toEqual([]);
  }, 240_000);

  it('near-misses: each keyword then a value one character short, repeated on one line', () => {
    const slow: string[] = [];
    for (const r of DEFAULT_RULES) {
      const re = new RegExp(r.regex, 'gd' + (r.flags ?? ''));
      const unit = r.keywords.map((k) => `${k}=${'Ab1'.repeat(30)}${k}_`).join('');
      const bad = superlinear(re, (n) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n));
      if (bad) slow.push(`${r.id}: ${bad}`);
    }
    expect(slow).toEqual([]);
  }, 120_000);
});

describe('the whole scanner on hostile files', () => {
  const bounded = (text: string, ms = 3000) => {
    const t0 = performance.now();
    const hits = scanText(scanner, text);
    const took = performance.now() - t0;
    expect(hits.length).toBeLessThanOrEqual(100);
    expect(took, `${text.slice(0, 40)}…: ${took.toFixed(0)} ms`).toBeLessThan(ms);
    return hits;
  };

  it('a 2 MB minified bundle on one line, dense with credential words, finds the one real token', () => {
    const tok = crcToken('ghp');
    const parts: string[] = [];
    for (let i = 0, n = 0; n < 2 * 1024 * 1024; i++) {
      parts.push(`a${i}.token=t.token||n.apiKey,s.password=e.target.value,c.secret=r.clientSecret,u.authToken=o.headers.authorization,`);
      n += parts[i]!.length;
    }
    parts.splice(parts.length >> 1, 0, `x.githubToken="${tok}",`);
    const hits = bounded(parts.join(''));
    expect(hits.map((h) => h.rule)).toEqual(['github-token']);
  });

  it('binary noise without NULs, 2 MB (what a file passing the NUL probe may hold)', () => {
    const noise = randomBytes(2 * 1024 * 1024).map((b) => (b === 0 ? 1 : b));
    bounded(Buffer.from(noise).toString('latin1'));
  });

  it('every keyword of every rule, over and over: each rule scans the whole text', () => {
    const all = [...new Set(DEFAULT_RULES.flatMap((r) => r.keywords))].join(' = ');
    bounded((all + '\n').repeat(Math.ceil(1024 * 1024 / all.length)), 10_000);
  }, 30_000);

  it('a 2 MB line without a line break after a PEM header and after an escaped JSON key', () => {
    bounded('-----BEGIN PRIVATE KEY-----' + 'A'.repeat(2 * 1024 * 1024));
    bounded('"private_key": "-----BEGIN PRIVATE KEY-----\\n' + 'A'.repeat(2 * 1024 * 1024));
    bounded(('password=' + 'a'.repeat(149) + ' ').repeat(12_000));
  });
});
