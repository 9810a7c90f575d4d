// RPM version order: a port of rpm's rpmio/rpmvercmp.c (rpmvercmp, with `~` and `^`) and of
// lib/rpmver.c (rpmverParse/rpmverCmp) for [epoch:]version[-release]. Reference: rpm 4.18's
// `rpm.vercmp()` (lua), which compares epochs (missing = 0), then versions, then releases; a
// version without a release sorts before the same version with any release ("1.0" < "1.0-0").
// Only the empty string is rejected (CustomsError('usage')), as rpm rejects it.
import { CustomsError } from '../errors.ts';

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isAlnum = (c: number): boolean => isDigit(c) || isAlpha(c);
const TILDE = 126, CARET = 94;

/** rpmvercmp: -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0, j = 0;
  const ca = (k: number): number => (k < a.length ? a.charCodeAt(k) : 0);
  const cb = (k: number): number => (k < b.length ? b.charCodeAt(k) : 0);
  while (i < a.length || j < b.length) {
    while (ca(i) && !isAlnum(ca(i)) && ca(i) !== TILDE && ca(i) !== CARET) i++;
    while (cb(j) && !isAlnum(cb(j)) && cb(j) !== TILDE && cb(j) !== CARET) j++;
    if (ca(i) === TILDE || cb(j) === TILDE) {
      if (ca(i) !== TILDE) return 1;
      if (cb(j) !== TILDE) return -1;
      i++; j++;
      continue;
    }
    if (ca(i) === CARET || cb(j) === CARET) {
      if (!ca(i)) return -1;
      if (!cb(j)) return 1;
      if (ca(i) !== CARET) return 1;
      if (cb(j) !== CARET) return -1;
      i++; j++;
      continue;
    }
    if (!(ca(i) && cb(j))) break;
    let s1 = i, s2 = j;
    let isnum: boolean;
    if (isDigit(ca(s1))) {
      while (isDigit(ca(s1))) s1++;
      while (isDigit(cb(s2))) s2++;
      isnum = true;
    } else {
      while (isAlpha(ca(s1))) s1++;
      while (isAlpha(cb(s2))) s2++;
      isnum = false;
    }
    if (i === s1) return -1; // cannot happen: a[i] is alphanumeric
    if (j === s2) return isnum ? 1 : -1;
    let seg1 = a.slice(i, s1), seg2 = b.slice(j, s2);
    if (isnum) {
      seg1 = seg1.replace(/^0+/, '');
      seg2 = seg2.replace(/^0+/, '');
      if (seg1.length > seg2.length) return 1;
      if (seg2.length > seg1.length) return -1;
    }
    if (seg1 !== seg2) return seg1 < seg2 ? -1 : 1;
    i = s1; j = s2;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

export interface Evr { epoch: string | undefined; version: string; release: string | undefined }

/** rpm's parseEVR: leading digits followed by ':' are the epoch; the release follows the last '-'. */
export function parseEvr(input: string): Evr {
  const s = input;
  if (s === '') throw new CustomsError('usage', 'rpm version string is empty');
  let k = 0;
  while (k < s.length && isDigit(s.charCodeAt(k))) k++;
  let epoch: string | undefined;
  let rest = s;
  if (s[k] === ':') {
    epoch = k === 0 ? '0' : s.slice(0, k);
    rest = s.slice(k + 1);
  }
  const dash = rest.lastIndexOf('-');
  let version = rest, release: string | undefined;
  if (dash >= 0) { version = rest.slice(0, dash); release = rest.slice(dash + 1); }
  return { epoch, version, release };
}

export function compareRpm(a: string, b: string): -1 | 0 | 1 {
  const va = parseEvr(a), vb = parseEvr(b);
  const rc = rpmvercmp(va.epoch ?? '0', vb.epoch ?? '0');
  if (rc) return rc;
  const rv = rpmvercmp(va.version, vb.version);
  if (rv) return rv;
  if (va.release !== undefined && vb.release !== undefined) return rpmvercmp(va.release, vb.release);
  if (va.release !== undefined) return 1;
  if (vb.release !== undefined) return -1;
  return 0;
}
