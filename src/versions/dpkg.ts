// Debian package version order, a port of dpkg's lib/dpkg/version.c (verrevcmp) and the syntax
// checks of lib/dpkg/parsehelp.c (parseversion). Reference: `dpkg --compare-versions`.
//
// [epoch:]upstream[-revision]; the epoch is compared numerically, then upstream and revision with
// verrevcmp: alternating non-digit and digit runs; in non-digit runs `~` sorts before everything
// (even the end of the string), letters before non-letters; digit runs compare numerically.
//
// Errors that make `dpkg --compare-versions` fail ("bad syntax") throw CustomsError('usage'):
// empty string, embedded whitespace, non-numeric or negative epoch, nothing after the colon,
// empty revision after a trailing '-'. Conditions dpkg only warns about (upstream not starting
// with a digit, characters outside [A-Za-z0-9.+~:-]) are compared as dpkg compares them.
// dpkg itself treats the empty string as "no version" (lower than all); we reject it instead.
import { CustomsError } from '../errors.ts';

interface DpkgVersion { epoch: number; upstream: string; revision: string }

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

function order(c: number): number {
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === 126) return -1; // '~'
  if (c) return c + 256;
  return 0;
}

/** dpkg's verrevcmp; returns <0, 0, >0. */
function verrevcmp(a: string, b: string): number {
  let i = 0, j = 0;
  const ca = (k: number): number => (k < a.length ? a.charCodeAt(k) : 0);
  const cb = (k: number): number => (k < b.length ? b.charCodeAt(k) : 0);
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((ca(i) && !isDigit(ca(i))) || (cb(j) && !isDigit(cb(j)))) {
      const ac = order(ca(i)), bc = order(cb(j));
      if (ac !== bc) return ac - bc;
      i++; j++;
    }
    while (ca(i) === 48) i++;
    while (cb(j) === 48) j++;
    while (isDigit(ca(i)) && isDigit(cb(j))) {
      if (!firstDiff) firstDiff = ca(i) - cb(j);
      i++; j++;
    }
    if (isDigit(ca(i))) return 1;
    if (isDigit(cb(j))) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

const INT_MAX = 2147483647;

export function parseDpkg(input: string): DpkgVersion {
  const s = input.trim();
  if (s === '') throw new CustomsError('usage', 'dpkg version string is empty');
  if (/\s/.test(s)) throw new CustomsError('usage', `dpkg version '${input}' has embedded spaces`);
  let epoch = 0;
  let rest = s;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    // dpkg reads the epoch with strtol: an optional sign, then decimal digits
    const e = s.slice(0, colon);
    if (!/^[+-]?\d+$/.test(e)) throw new CustomsError('usage', `dpkg version '${input}': epoch is not a number`);
    epoch = Math.abs(Number(e));
    if (e.startsWith('-') && epoch !== 0) throw new CustomsError('usage', `dpkg version '${input}': epoch is negative`);
    if (epoch > INT_MAX) throw new CustomsError('usage', `dpkg version '${input}': epoch is too big`);
    rest = s.slice(colon + 1);
    if (rest === '') throw new CustomsError('usage', `dpkg version '${input}': nothing after colon`);
  }
  let upstream = rest;
  let revision = '';
  const dash = rest.lastIndexOf('-');
  if (dash >= 0) {
    upstream = rest.slice(0, dash);
    revision = rest.slice(dash + 1);
    if (revision === '') throw new CustomsError('usage', `dpkg version '${input}': revision number is empty`);
    if (upstream === '') throw new CustomsError('usage', `dpkg version '${input}': version number is empty`);
  }
  return { epoch, upstream, revision };
}

const sign = (n: number): -1 | 0 | 1 => (n < 0 ? -1 : n > 0 ? 1 : 0);

export function compareDpkg(a: string, b: string): -1 | 0 | 1 {
  const va = parseDpkg(a), vb = parseDpkg(b);
  if (va.epoch !== vb.epoch) return va.epoch < vb.epoch ? -1 : 1;
  const r = verrevcmp(va.upstream, vb.upstream);
  if (r) return sign(r);
  return sign(verrevcmp(va.revision, vb.revision));
}
