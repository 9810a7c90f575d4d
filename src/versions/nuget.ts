// NuGet version order: a port of NuGet.Versioning's NuGetVersion.TryParse (loose parsing: 1 to 4
// numeric parts, leading zeros allowed there, surrounding whitespace trimmed) and
// VersionComparer.Default: major, minor, patch, revision (4th part) numerically; a version with
// release labels sorts before the same version without; labels compared pairwise, numeric labels
// (int.TryParse) numerically and before alphanumeric ones, alphanumeric ones case-insensitively
// (OrdinalIgnoreCase); more labels sort later; build metadata (+...) is ignored.
// A string NuGetVersion.Parse rejects throws CustomsError('usage').
import { CustomsError } from '../errors.ts';

interface NuGetVersion { parts: [bigint, bigint, bigint, bigint]; labels: string[] | null }

const INT_MAX = 2147483647n;
const NET_WS = /^[\t\n\v\f\r ]*|[\t\n\v\f\r ]*$/g;

/** NuGet's SemanticVersion.ParseSections */
function parseSections(value: string): [string | null, string[] | null, string | null] {
  let versionString: string | null = null;
  let labels: string[] | null = null;
  let metadata: string | null = null;
  let dashPos = -1, plusPos = -1;
  for (let i = 0; i < value.length; i++) {
    const end = i === value.length - 1;
    const c = value[i];
    if (dashPos < 0) {
      if (end || c === '-' || c === '+') {
        versionString = value.slice(0, i + (end ? 1 : 0));
        dashPos = i;
        if (c === '+') plusPos = i;
      }
    } else if (plusPos < 0) {
      if (end || c === '+') {
        labels = value.slice(dashPos + 1, i + (end ? 1 : 0)).split('.');
        plusPos = i;
      }
    } else if (end) {
      metadata = value.slice(plusPos + 1, i + 1);
    }
  }
  return [versionString, labels, metadata];
}

/** .NET int.TryParse(s, NumberStyles.Integer, InvariantCulture) */
function netInt(s: string): bigint | undefined {
  const m = /^[\t\n\v\f\r ]*([+-]?)([0-9]+)[\t\n\v\f\r ]*$/.exec(s);
  if (!m) return undefined;
  const v = m[1] === '-' ? -BigInt(m[2]!) : BigInt(m[2]!);
  return v > INT_MAX || v < -INT_MAX - 1n ? undefined : v;
}

function isValidPart(s: string, allowLeadingZeros: boolean): boolean {
  if (s.length === 0) return false;
  if (!allowLeadingZeros && s.length > 1 && s[0] === '0' && /^[0-9]+$/.test(s)) return false;
  return /^[0-9A-Za-z-]+$/.test(s);
}

function parse(input: string): NuGetVersion {
  const bad = (): never => { throw new CustomsError('usage', `'${input}' is not a valid NuGet version`); };
  const [versionPart, labels, metadata] = parseSections(input.replace(NET_WS, ''));
  if (!versionPart) return bad();
  // System.Version.TryParse: 2 to 4 non-negative int components
  const components = (versionPart.includes('.') ? versionPart : `${versionPart}.0`).split('.');
  if (components.length < 2 || components.length > 4) return bad();
  const nums = components.map(netInt);
  if (nums.some((n) => n === undefined || n < 0n)) return bad();
  if (labels && !labels.every((l) => isValidPart(l, false))) return bad();
  if (metadata !== null && !metadata.split('.').every((p) => isValidPart(p, true))) return bad();
  const n = nums as bigint[];
  return { parts: [n[0]!, n[1]!, n[2] ?? 0n, n[3] ?? 0n], labels: labels && labels[0] !== '' ? labels : null };
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareLabel(a: string, b: string): number {
  const na = netInt(a), nb = netInt(b);
  if (na !== undefined && nb !== undefined) return cmpBig(na, nb);
  if (na !== undefined) return -1;
  if (nb !== undefined) return 1;
  const ua = a.toUpperCase(), ub = b.toUpperCase(); // OrdinalIgnoreCase on [0-9A-Za-z-]
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/** NuGet VersionComparer.Default order: -1, 0 or 1; throws CustomsError('usage') for an invalid version. */
export function compareNuGet(a: string, b: string): -1 | 0 | 1 {
  const x = parse(a), y = parse(b);
  for (let i = 0; i < 4; i++) {
    const r = cmpBig(x.parts[i]!, y.parts[i]!);
    if (r !== 0) return r as -1 | 1;
  }
  if (x.labels && !y.labels) return -1;
  if (!x.labels && y.labels) return 1;
  if (x.labels && y.labels) {
    const n = Math.max(x.labels.length, y.labels.length);
    for (let i = 0; i < n; i++) {
      if (i >= x.labels.length) return -1;
      if (i >= y.labels.length) return 1;
      const r = compareLabel(x.labels[i]!, y.labels[i]!);
      if (r !== 0) return (r < 0 ? -1 : 1);
    }
  }
  return 0;
}
