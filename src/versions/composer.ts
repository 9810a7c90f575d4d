// Packagist (Composer) version order, as Composer\Semver\Semver::sort orders versions:
// VersionParser::normalize() (composer/semver 3.3: "v" prefix, padding to 4 numbers, stability
// suffixes alpha/a, beta/b, RC/rc, patch/pl/p, "-dev", "+build" stripped, "@stability" flags, " as "
// aliases, date versions, "1.x-dev" branches, "master"/"trunk"/"default"), normalizeDefaultBranch()
// (dev-master, dev-trunk, dev-default => 9999999-dev), then Comparator, which is PHP's
// version_compare() (a port of php-src ext/standard/versioning.c is below): dev < alpha < beta < RC <
// number < patch, e.g. 1.0.0-alpha < 1.0.0-beta2 < 1.0.0-RC1 < 1.0.0 < 1.0.0-patch1.
// Throws CustomsError('usage') when normalize() rejects a string, and when two different dev-
// branches ("dev-feature" vs "dev-main") are compared: Composer does not order those.
import { CustomsError } from '../errors.ts';

const WS = ' \\t\\n\\v\\f\\r';
const MODIFIER = '[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\\d+)*)?)?([.-]?dev)?';
const STABILITIES = 'stable|RC|beta|alpha|dev';
const ALIAS = new RegExp(`^([^,${WS}]+) +as +([^,${WS}]+)$`);
const STABILITY_FLAG = new RegExp(`@(?:${STABILITIES})$`, 'i');
const BUILD = new RegExp(`^([^,${WS}+]+)\\+[^${WS}]+$`);
const CLASSICAL = new RegExp(`^v?(\\d{1,5})(\\.\\d+)?(\\.\\d+)?(\\.\\d+)?${MODIFIER}$`, 'i');
const DATE = new RegExp(`^v?(\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3})?)${MODIFIER}$`, 'i');
const DEV_SUFFIX = /^(.*?)[.-]?dev$/i;
const BRANCH = /^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?$/i;

/** PHP trim()'s default characters */
function phpTrim(s: string): string {
  return s.replace(/^[ \t\n\r\0\x0B]+|[ \t\n\r\0\x0B]+$/g, '');
}

function expandStability(s: string): string {
  const l = s.toLowerCase();
  switch (l) {
    case 'a': return 'alpha';
    case 'b': return 'beta';
    case 'p': case 'pl': return 'patch';
    case 'rc': return 'RC';
    default: return l;
  }
}

function normalizeBranch(name: string): string {
  const n = phpTrim(name);
  const m = BRANCH.exec(n);
  if (m) {
    let version = '';
    for (let i = 1; i < 5; i++) version += m[i] !== undefined ? m[i]!.replaceAll('*', 'x').replaceAll('X', 'x') : '.x';
    return `${version.replaceAll('x', '9999999')}-dev`;
  }
  return `dev-${n}`;
}

/** Composer\Semver\VersionParser::normalize(); undefined where it throws UnexpectedValueException. */
export function normalizeComposer(input: string): string | undefined {
  let version = phpTrim(input);
  const alias = ALIAS.exec(version);
  if (alias) version = alias[1]!;
  const flag = STABILITY_FLAG.exec(version);
  if (flag) version = version.slice(0, version.length - flag[0].length);
  if (version === 'master' || version === 'trunk' || version === 'default') version = `dev-${version}`;
  if (version.toLowerCase().startsWith('dev-')) return `dev-${version.slice(4)}`;
  const build = BUILD.exec(version);
  if (build) version = build[1]!;

  let m = CLASSICAL.exec(version);
  let index = 0;
  if (m) {
    version = m[1]! + (m[2] || '.0') + (m[3] || '.0') + (m[4] || '.0');
    index = 5;
  } else if ((m = DATE.exec(version))) {
    version = m[1]!.replace(/\D/g, '.');
    index = 2;
  }
  if (m) {
    if (m[index]) {
      if (m[index] === 'stable') return version;
      version += `-${expandStability(m[index]!)}${m[index + 1] ? m[index + 1]!.replace(/^[.-]+/, '') : ''}`;
    }
    if (m[index + 2]) version += '-dev';
    return version;
  }
  const dev = DEV_SUFFIX.exec(version);
  if (dev) {
    const normalized = normalizeBranch(dev[1]!);
    if (!normalized.includes('dev-')) return normalized;
  }
  return undefined;
}

// ---- PHP version_compare() (php-src ext/standard/versioning.c)

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlnum = (c: string): boolean => /^[0-9A-Za-z]$/.test(c);

function canonicalize(version: string): string {
  if (version === '') return '';
  let q = version[0]!;
  let lp = version[0]!;
  for (let i = 1; i < version.length; i++) {
    const p = version[i]!;
    const lq = q[q.length - 1];
    const isdig = (x: string): boolean => isDigit(x) && x !== '.';
    const isndig = (x: string): boolean => !isDigit(x) && x !== '.';
    if (p === '-' || p === '_' || p === '+') {
      if (lq !== '.') q += '.';
    } else if ((isndig(lp) && isdig(p)) || (isdig(lp) && isndig(p))) {
      if (lq !== '.') q += '.';
      q += p;
    } else if (!isAlnum(p)) {
      if (lq !== '.') q += '.';
    } else {
      q += p;
    }
    lp = p;
  }
  return q;
}

const SPECIAL_FORMS: Array<[string, number]> = [
  ['dev', 0], ['alpha', 1], ['a', 1], ['beta', 2], ['b', 2], ['RC', 3], ['rc', 3], ['#', 4], ['pl', 5], ['p', 5],
];

function specialForm(form: string): number {
  for (const [name, order] of SPECIAL_FORMS) if (form.startsWith(name)) return order;
  return -1;
}

const LONG_MAX = 2n ** 63n - 1n;
function strtol(s: string): bigint {
  const m = /^\d+/.exec(s);
  const v = m ? BigInt(m[0]) : 0n;
  return v > LONG_MAX ? LONG_MAX : v;
}

/** PHP's version_compare($a, $b): -1, 0 or 1. */
export function phpVersionCompare(orig1: string, orig2: string): number {
  if (orig1 === '' || orig2 === '') {
    if (orig1 === '' && orig2 === '') return 0;
    return orig1 !== '' ? 1 : -1;
  }
  const v1 = orig1[0] === '#' ? orig1 : canonicalize(orig1);
  const v2 = orig2[0] === '#' ? orig2 : canonicalize(orig2);
  let p1 = 0, p2 = 0;
  let n1: number | null = 0, n2: number | null = 0;
  let compare = 0;
  while (p1 < v1.length && p2 < v2.length && n1 !== null && n2 !== null) {
    const d1 = v1.indexOf('.', p1), d2 = v2.indexOf('.', p2);
    n1 = d1 < 0 ? null : d1;
    n2 = d2 < 0 ? null : d2;
    const s1 = v1.slice(p1, n1 ?? v1.length), s2 = v2.slice(p2, n2 ?? v2.length);
    if (isDigit(s1[0]) && isDigit(s2[0])) {
      const l1 = strtol(s1), l2 = strtol(s2);
      compare = l1 < l2 ? -1 : l1 > l2 ? 1 : 0;
    } else if (!isDigit(s1[0]) && !isDigit(s2[0])) {
      compare = Math.sign(specialForm(s1) - specialForm(s2));
    } else if (isDigit(s1[0])) {
      compare = Math.sign(specialForm('#N#') - specialForm(s2));
    } else {
      compare = Math.sign(specialForm(s1) - specialForm('#N#'));
    }
    if (compare !== 0) break;
    if (n1 !== null) p1 = n1 + 1;
    if (n2 !== null) p2 = n2 + 1;
  }
  if (compare === 0) {
    if (n1 !== null) {
      compare = isDigit(v1[p1]) ? 1 : phpVersionCompare(v1.slice(p1), '#N#');
    } else if (n2 !== null) {
      compare = isDigit(v2[p2]) ? -1 : phpVersionCompare('#N#', v2.slice(p2));
    }
  }
  return compare;
}

function normalized(version: string): string {
  const n = normalizeComposer(version);
  if (n === undefined) throw new CustomsError('usage', `invalid Composer version '${version}'`);
  return n === 'dev-master' || n === 'dev-default' || n === 'dev-trunk' ? '9999999-dev' : n;
}

/** Composer version order: -1, 0 or 1; throws CustomsError('usage') for an invalid version. */
export function compareComposer(a: string, b: string): -1 | 0 | 1 {
  const na = normalized(a), nb = normalized(b);
  if (na === nb) return 0;
  if (na.startsWith('dev-') && nb.startsWith('dev-')) {
    throw new CustomsError('usage', `Composer branches '${a}' and '${b}' have no order`);
  }
  return (Math.sign(phpVersionCompare(na, nb)) || 0) as -1 | 0 | 1;
}
