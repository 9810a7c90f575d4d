// PyPI version order (PEP 440) as implemented by pypa/packaging's `Version`: epochs, pre/post/dev
// releases, local versions, normalisation (case, separators, "v" prefix, implicit numbers, alternate
// spellings like "alpha"/"c"/"rev"/"-1"). Valid versions are compared by @renovatebot/pep440, a port of
// packaging's Version and _cmpkey. Leading/trailing whitespace is ignored, as packaging does.
//
// Invalid versions: OSV PyPI data (and old installed metadata) still holds legacy strings such as
// "0.7.10p1", "2.0.0-final" or "2013-01-21T20:33:09+0100". They never throw: they are ordered the way
// packaging < 22's LegacyVersion did, which is what osv.dev itself uses (packaging_legacy): every legacy
// version sorts before every valid PEP 440 version, and legacy versions among themselves by the legacy
// key below (a port of packaging 21.3 `_legacy_cmpkey`, BSD-2-Clause/Apache-2.0).
import { compare as compareValid, valid } from '@renovatebot/pep440';

const LEGACY_COMPONENT = /(\d+|[a-z]+|\.|-)/;
const LEGACY_REPLACEMENTS: Record<string, string> = { pre: 'c', preview: 'c', '-': 'final-', rc: 'c', dev: '@' };

function* legacyParts(s: string): Generator<string> {
  for (const raw of s.split(LEGACY_COMPONENT)) {
    const part = Object.hasOwn(LEGACY_REPLACEMENTS, raw) ? LEGACY_REPLACEMENTS[raw]! : raw;
    if (part === '' || part === '.') continue;
    if (part[0]! >= '0' && part[0]! <= '9') yield part.padStart(8, '0');
    else yield `*${part}`;
  }
  yield '*final';
}

function legacyKey(version: string): string[] {
  const parts: string[] = [];
  for (const part of legacyParts(version.toLowerCase())) {
    if (part.startsWith('*')) {
      if (part < '*final') {
        while (parts.length > 0 && parts[parts.length - 1] === '*final-') parts.pop();
      }
      while (parts.length > 0 && parts[parts.length - 1] === '00000000') parts.pop();
    }
    parts.push(part);
  }
  return parts;
}

/** Python tuple-of-str order (code point order). */
function compareKeys(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareCodePoints(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return Math.sign(a.length - b.length);
}

function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const x = [...a], y = [...b];
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return Math.sign(d);
  }
  return Math.sign(x.length - y.length);
}

/** Whitespace Python's str.strip() / regex \s removes around a version. */
function strip(s: string): string {
  return s.replace(/^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/gu, '');
}

/** true when `version` is a valid PEP 440 version (surrounding whitespace allowed). */
export function isValidPep440(version: string): boolean {
  return valid(strip(version)) !== null;
}

/** PEP 440 order: -1, 0 or 1. Non-PEP 440 strings sort first, in packaging's legacy order. */
export function comparePep440(a: string, b: string): -1 | 0 | 1 {
  const sa = strip(a), sb = strip(b);
  const va = valid(sa) !== null, vb = valid(sb) !== null;
  let r: number;
  if (va && vb) r = compareValid(sa, sb);
  else if (va) r = 1;
  else if (vb) r = -1;
  else r = compareKeys(legacyKey(sa), legacyKey(sb));
  return (Math.sign(r) || 0) as -1 | 0 | 1;
}
