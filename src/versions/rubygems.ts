// RubyGems version order: a port of Gem::Version (RubyGems 3.3) `correct?`, `new` and `<=>`.
// Segments are runs of digits (numbers, unlimited size) or of letters (strings, compared
// case-sensitively like Ruby's String#<=>); trailing zero segments of the numeric and the string part
// are ignored; a string segment sorts before a number, so "1.0.a" < "1.0"; "-" means ".pre."
// ("1.0-1" == "1.0.pre.1"); surrounding whitespace is ignored and a blank string is "0".
// A string Gem::Version.new rejects ("Malformed version number string") throws CustomsError('usage').
import { CustomsError } from '../errors.ts';

// Gem::Version::ANCHORED_VERSION_PATTERN; Ruby's \s is [ \t\r\n\f\v]
const ANCHORED = /^[ \t\r\n\f\v]*([0-9]+(?:\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)?[ \t\r\n\f\v]*$/;

type Segment = bigint | string;

function canonicalSegments(input: string): Segment[] {
  if (!ANCHORED.test(input)) throw new CustomsError('usage', `malformed RubyGems version '${input}'`);
  let version = input.replace(/^[ \t\r\n\f\v]+|[ \t\r\n\f\v]+$/g, '');
  if (version === '') version = '0';
  version = version.replaceAll('-', '.pre.');
  const segments: Segment[] = (version.match(/[0-9]+|[a-z]+/gi) ?? []).map((s) => (/^\d/.test(s) ? BigInt(s) : s));
  const stringStart = segments.findIndex((s) => typeof s === 'string');
  const cut = stringStart < 0 ? segments.length : stringStart;
  const dropTrailingZeros = (xs: Segment[]): Segment[] => {
    let end = xs.length;
    while (end > 0 && xs[end - 1] === 0n) end--;
    return xs.slice(0, end);
  };
  return [...dropTrailingZeros(segments.slice(0, cut)), ...dropTrailingZeros(segments.slice(cut))];
}

function compareSegments(l: Segment[], r: Segment[]): number {
  const n = Math.max(l.length, r.length);
  for (let i = 0; i < n; i++) {
    const a = l[i] ?? 0n, b = r[i] ?? 0n;
    if (a === b) continue;
    if (typeof a === 'string' && typeof b !== 'string') return -1;
    if (typeof a !== 'string' && typeof b === 'string') return 1;
    return a < b ? -1 : 1; // bigint numerically, strings by code unit (ASCII here) like String#<=>
  }
  return 0;
}

/** Gem::Version order: -1, 0 or 1; throws CustomsError('usage') for a malformed version. */
export function compareRubyGems(a: string, b: string): -1 | 0 | 1 {
  return (Math.sign(compareSegments(canonicalSegments(a), canonicalSegments(b))) || 0) as -1 | 0 | 1;
}
