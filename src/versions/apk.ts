// Alpine apk version order: a port of apk-tools 2.x src/version.c (apk_version_compare).
// Gentoo-style: {digit}{.digit}...{letter}{_suffix{#}}...{-r#}; pre-release suffixes
// _alpha _beta _pre _rc < no suffix < post-release _cvs _svn _git _hg _p; "-rN" revisions.
// Components after '.' with leading zeros compare as decimal fractions (apk's TOKEN_DIGIT_OR_ZERO).
// Like apk-tools, malformed versions are not rejected: comparison proceeds token by token and an
// invalid token ends the version (e.g. "1.0bc" > "1.0"). Numbers use BigInt (apk-tools uses a C
// int; values above 2^31 would overflow there, e.g. _pre20191002222144 timestamps).
import { CustomsError } from '../errors.ts';

const INVALID = -1, DIGIT_OR_ZERO = 0, DIGIT = 1, LETTER = 2, SUFFIX = 3, SUFFIX_NO = 4,
  REVISION_NO = 5, END = 6;

const PRE = ['alpha', 'beta', 'pre', 'rc'];
const POST = ['cvs', 'svn', 'git', 'hg', 'p'];

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isLower = (c: string | undefined): boolean => c !== undefined && c >= 'a' && c <= 'z';

interface Cursor { s: string; p: number; type: number }

function nextToken(t: Cursor): void {
  let n = INVALID;
  const c = t.s[t.p];
  if (t.p >= t.s.length || c === '\0') {
    n = END;
  } else if ((t.type === DIGIT || t.type === DIGIT_OR_ZERO) && isLower(c)) {
    n = LETTER;
  } else if (t.type === LETTER && isDigit(c)) {
    n = DIGIT;
  } else if (t.type === SUFFIX && isDigit(c)) {
    n = SUFFIX_NO;
  } else {
    switch (c) {
      case '.': n = DIGIT_OR_ZERO; break;
      case '_': n = SUFFIX; break;
      case '-':
        if (t.s.length - t.p > 1 && t.s[t.p + 1] === 'r') { n = REVISION_NO; t.p++; } else n = INVALID;
        break;
    }
    t.p++;
  }
  if (n < t.type) {
    if (!((n === DIGIT_OR_ZERO && t.type === DIGIT) ||
          (n === SUFFIX && t.type === SUFFIX_NO) ||
          (n === DIGIT && t.type === LETTER))) n = INVALID;
  }
  t.type = n;
}

function getToken(t: Cursor): bigint {
  const len = t.s.length - t.p;
  if (len <= 0) { t.type = END; return 0n; }
  let v = 0n, i = 0, nt = INVALID;
  const at = (k: number): string | undefined => t.s[t.p + k];
  let done = false;
  if (t.type === DIGIT_OR_ZERO && at(0) === '0') {
    while (i < len && at(i) === '0') i++;
    nt = DIGIT;
    v = BigInt(-i);
    done = true;
  }
  if (!done) {
    switch (t.type) {
      case DIGIT_OR_ZERO: case DIGIT: case SUFFIX_NO: case REVISION_NO: {
        while (i < len && isDigit(at(i))) i++;
        v = i > 0 ? BigInt(t.s.slice(t.p, t.p + i)) : 0n;
        break;
      }
      case LETTER:
        v = BigInt(t.s.charCodeAt(t.p)); i = 1;
        break;
      case SUFFIX: {
        const rest = t.s.slice(t.p);
        const pre = PRE.findIndex((x) => rest.startsWith(x));
        if (pre >= 0) { v = BigInt(pre - PRE.length); i = PRE[pre]!.length; break; }
        const post = POST.findIndex((x) => rest.startsWith(x));
        if (post >= 0) { v = BigInt(post); i = POST[post]!.length; break; }
        t.type = INVALID;
        return -1n;
      }
      default:
        t.type = INVALID;
        return -1n;
    }
  }
  t.p += i;
  if (t.p >= t.s.length) t.type = END;
  else if (nt !== INVALID) t.type = nt;
  else nextToken(t);
  return v;
}

/** True when apk-tools would accept the version as valid (apk_version_validate). */
export function isValidApk(v: string): boolean {
  const t: Cursor = { s: v, p: 0, type: DIGIT };
  while (t.type !== END && t.type !== INVALID) getToken(t);
  return t.type === END;
}

export function compareApk(a: string, b: string): -1 | 0 | 1 {
  if (a === '' || b === '') throw new CustomsError('usage', 'apk version string is empty');
  const ta: Cursor = { s: a, p: 0, type: DIGIT };
  const tb: Cursor = { s: b, p: 0, type: DIGIT };
  let av = 0n, bv = 0n;
  while (ta.type === tb.type && ta.type !== END && ta.type !== INVALID && av === bv) {
    av = getToken(ta);
    bv = getToken(tb);
  }
  if (av < bv) return -1;
  if (av > bv) return 1;
  if (ta.type === tb.type) return 0;
  if (ta.type === SUFFIX && getToken({ ...ta }) < 0n) return -1;
  if (tb.type === SUFFIX && getToken({ ...tb }) < 0n) return 1;
  if (ta.type > tb.type) return -1;
  if (tb.type > ta.type) return 1;
  return 0;
}
