// Alpine/Wolfi/Chainguard apk version order: a port of the comparator in current apk-tools
// (src/version.c since apk-tools 2.14 / 3.x; see gitlab.alpinelinux.org/alpine/apk-tools).
// Grammar: digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}
//  - the first number and "-rN" revisions compare numerically;
//  - a dotted component where either side has a leading zero compares as a string ("1.01" < "1.1");
//  - one lowercase letter may follow a number ("1.2a"), and digits may follow that letter ("6.6.2p1");
//  - suffixes: _alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p, each with an
//    optional number;
//  - "~hash" (lowercase hex) compares as a string.
// Like apk-tools, malformed versions are not rejected: tokens are compared until one side turns
// invalid, and an invalid token sorts after the end of a version ("1.0" < "1.0bc"). Only the empty
// string throws CustomsError('usage'). Numbers are BigInt (apk-tools uses uint64).
import { CustomsError } from '../errors.ts';

const INITIAL_DIGIT = 0, DIGIT = 1, LETTER = 2, SUFFIX = 3, SUFFIX_NO = 4, COMMIT_HASH = 5,
  REVISION_NO = 6, END = 7, INVALID = 8;

const SUFFIX_INVALID = 0, SUFFIX_NONE = 5;
const SUFFIXES: Record<string, number> = { alpha: 1, beta: 2, pre: 3, rc: 4, cvs: 6, svn: 7, git: 8, hg: 9, p: 10 };

interface Token { token: number; suffix: number; number: bigint; value: string }
interface Cursor { s: string; p: number }

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isLower = (c: string | undefined): boolean => c !== undefined && c >= 'a' && c <= 'z';
const isHex = (c: string | undefined): boolean => isDigit(c) || (c !== undefined && c >= 'a' && c <= 'f');

function span(b: Cursor, pred: (c: string | undefined) => boolean): string {
  const start = b.p;
  while (b.p < b.s.length && pred(b.s[b.p])) b.p++;
  return b.s.slice(start, b.p);
}

function parseDigits(t: Token, b: Cursor): void {
  t.value = span(b, isDigit);
  t.number = t.value === '' ? 0n : BigInt(t.value);
  if (t.value === '') t.token = INVALID;
}

function first(b: Cursor): Token {
  const t: Token = { token: INITIAL_DIGIT, suffix: SUFFIX_INVALID, number: 0n, value: '' };
  parseDigits(t, b);
  return t;
}

function next(t: Token, b: Cursor): void {
  if (b.p >= b.s.length) { t.token = END; return; }
  const c = b.s[b.p]!;
  if (isLower(c)) {
    if (t.token > DIGIT) { t.token = INVALID; return; }
    t.value = c; t.token = LETTER; b.p++;
    return;
  }
  if (c === '.' || isDigit(c)) {
    if (c === '.') {
      if (t.token > DIGIT) { t.token = INVALID; return; }
      b.p++;
    }
    // digits right after a letter continue the version ("6.6.2p1" < "6.6.2p2"), as apk-tools 2.x
    // reads them (next_token: TOKEN_LETTER → TOKEN_DIGIT) — the apk-tools Alpine's secdb was written
    // against; 3.x's rewrite calls that invalid, which makes p1 and p2 equal
    if (t.token === INITIAL_DIGIT || t.token === DIGIT || (t.token === LETTER && c !== '.')) t.token = DIGIT;
    else if (t.token === SUFFIX) t.token = SUFFIX_NO;
    else { t.token = INVALID; return; }
    parseDigits(t, b);
    return;
  }
  if (c === '_') {
    if (t.token > SUFFIX_NO) { t.token = INVALID; return; }
    b.p++;
    t.value = span(b, isLower);
    t.suffix = Object.hasOwn(SUFFIXES, t.value) ? SUFFIXES[t.value]! : SUFFIX_INVALID;
    t.token = t.suffix === SUFFIX_INVALID ? INVALID : SUFFIX;
    return;
  }
  if (c === '~') {
    if (t.token >= COMMIT_HASH) { t.token = INVALID; return; }
    b.p++;
    t.value = span(b, isHex);
    t.token = t.value === '' ? INVALID : COMMIT_HASH;
    return;
  }
  if (c === '-') {
    if (t.token >= REVISION_NO || b.s[b.p + 1] !== 'r') { t.token = INVALID; return; }
    b.p += 2;
    t.token = REVISION_NO;
    parseDigits(t, b);
    return;
  }
  t.token = INVALID;
}

/** apk_blob_sort: bytewise, then shorter first. */
function blobSort(a: string, b: string): -1 | 0 | 1 {
  return a === b ? 0 : a < b ? -1 : 1; // ASCII-only values: code-unit order equals memcmp order
}

function tokenCmp(ta: Token, tb: Token): -1 | 0 | 1 {
  let a: bigint, b: bigint;
  switch (ta.token) {
    case DIGIT:
      if (ta.value[0] === '0' || tb.value[0] === '0') return blobSort(ta.value, tb.value);
      a = ta.number; b = tb.number;
      break;
    case INITIAL_DIGIT: case SUFFIX_NO: case REVISION_NO:
      a = ta.number; b = tb.number;
      break;
    case LETTER:
      a = BigInt(ta.value.charCodeAt(0)); b = BigInt(tb.value.charCodeAt(0));
      break;
    case SUFFIX:
      a = BigInt(ta.suffix); b = BigInt(tb.suffix);
      break;
    default:
      return blobSort(ta.value, tb.value);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when apk-tools would accept the version (apk_version_validate). */
export function isValidApk(v: string): boolean {
  const b: Cursor = { s: v, p: 0 };
  const t = first(b);
  while (t.token < END) next(t, b);
  return t.token === END;
}

export function compareApk(a: string, b: string): -1 | 0 | 1 {
  if (a === '' || b === '') throw new CustomsError('usage', 'apk version string is empty');
  const ca: Cursor = { s: a, p: 0 }, cb: Cursor = { s: b, p: 0 };
  const ta = first(ca), tb = first(cb);
  while (ta.token === tb.token && ta.token < END) {
    const r = tokenCmp(ta, tb);
    if (r !== 0) return r;
    next(ta, ca);
    next(tb, cb);
  }
  if (ta.token === tb.token) return 0;
  if (ta.token === SUFFIX && ta.suffix < SUFFIX_NONE) return -1;
  if (tb.token === SUFFIX && tb.suffix < SUFFIX_NONE) return 1;
  if (ta.token > tb.token) return -1;
  if (tb.token > ta.token) return 1;
  return 0;
}
