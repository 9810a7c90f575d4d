// Go version order. Module versions follow golang.org/x/mod/semver.Compare: semantic versions
// with a leading "v" (added here when missing: OSV's Go ecosystem writes "1.2.3"), shorthands
// v1 and v1.2 meaning v1.0.0 and v1.2.0, build metadata (including "+incompatible") ignored,
// pseudo-versions ordered as the prereleases they are. As in x/mod, an invalid version sorts
// before every valid one and invalid versions are equal to each other.
// Go toolchain/stdlib names are mapped as the Go vulnerability database (golang.org/x/vuln) does:
// "go1.21.3" -> 1.21.3, "go1.21" -> 1.21.0, "go1.21rc1" -> 1.21.0-rc.1, "go1.21beta2" -> 1.21.0-beta.2.

interface Parsed { major: string; minor: string; patch: string; prerelease: string }

const NUM = /^(0|[1-9]\d*)$/;
const IDENT = /^[0-9A-Za-z-]+$/;

/** x/mod/semver's parse (without the leading "v"); undefined when invalid. */
function parse(v: string): Parsed | undefined {
  const m = /^v([0-9]+)(?:\.([0-9]+)(?:\.([0-9]+))?)?(?:-([^+]*))?(?:\+(.*))?$/.exec(v);
  if (!m) return undefined;
  const [, major, minor, patch, pre, build] = m;
  if (!NUM.test(major!)) return undefined;
  if (minor !== undefined && !NUM.test(minor)) return undefined;
  if (patch !== undefined && !NUM.test(patch)) return undefined;
  // shorthand v1 / v1.2 may not carry a prerelease or build
  if (patch === undefined && (pre !== undefined || build !== undefined)) return undefined;
  if (pre !== undefined) {
    const ids = pre.split('.');
    for (const id of ids) {
      if (!IDENT.test(id)) return undefined;
      if (/^\d+$/.test(id) && !NUM.test(id)) return undefined; // numeric ids: no leading zeros
    }
  }
  if (build !== undefined) {
    for (const id of build.split('.')) if (!IDENT.test(id)) return undefined;
  }
  return { major: major!, minor: minor ?? '0', patch: patch ?? '0', prerelease: pre === undefined ? '' : '-' + pre };
}

function cmpInt(x: string, y: string): -1 | 0 | 1 {
  if (x === y) return 0;
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : 1;
}

const isNum = (s: string): boolean => /^\d+$/.test(s);

function comparePrerelease(x: string, y: string): -1 | 0 | 1 {
  if (x === y) return 0;
  if (x === '') return 1;
  if (y === '') return -1;
  const xs = x.slice(1).split('.'), ys = y.slice(1).split('.');
  for (let k = 0; k < Math.min(xs.length, ys.length); k++) {
    const dx = xs[k]!, dy = ys[k]!;
    if (dx === dy) continue;
    const nx = isNum(dx), ny = isNum(dy);
    if (nx !== ny) return nx ? -1 : 1;
    if (nx) return cmpInt(dx, dy);
    return dx < dy ? -1 : 1;
  }
  return xs.length === ys.length ? 0 : xs.length < ys.length ? -1 : 1;
}

/**
 * Normalise OSV/Go spellings to x/mod's "vX.Y.Z..." form, as golang.org/x/vuln does: Go release tags
 * by GoTagToSemver ("go1" = v1.0.0, "go1.21" = v1.21.0, "go1.21rc1" = v1.21.0-rc.1,
 * "go1.20-pre4" = v1.20.0-pre.4), anything else by canonicalizeSemverPrefix (drop "v"/"go", add "v").
 */
export function canonicalGo(input: string): string {
  const s = input;
  if (s === 'go1') return 'v1.0.0';
  const tag = /^go(\d+\.\d+)(\.\d+|)((beta|rc|-pre)(\d+))?$/.exec(s);
  if (tag && s !== 'go1.0') {
    const [, majorMinor, patch, pre, kind, n] = tag;
    return `v${majorMinor}${patch || '.0'}${pre ? `${kind!.startsWith('-') ? '' : '-'}${kind}.${n}` : ''}`;
  }
  let t = s.startsWith('v') ? s.slice(1) : s;
  if (t.startsWith('go')) t = t.slice(2);
  return 'v' + t;
}

export function compareGo(a: string, b: string): -1 | 0 | 1 {
  const pa = parse(canonicalGo(a)), pb = parse(canonicalGo(b));
  if (!pa || !pb) return !pa && !pb ? 0 : !pa ? -1 : 1;
  return cmpInt(pa.major, pb.major) || cmpInt(pa.minor, pb.minor) || cmpInt(pa.patch, pb.patch) ||
    comparePrerelease(pa.prerelease, pb.prerelease);
}
