// Go binaries at any path: the build info the Go linker embeds (go-buildinfo.ts), found by
// streaming the file past a marker scanner, so a binary of any size costs a small carry and the
// build info itself. Output: the Go version as package "stdlib", the main module, every
// dependency module (a module `=>` replacement gives the replacement's path and version).
import type { Analyzer, AnalyzerFinding, FileSink } from './analyzer.ts';
import type { FoundPackage } from '../types.ts';
import { CustomsError } from '../errors.ts';
import { canonicalGo } from '../versions/go.ts';
import { executableOnly, mayBeExecutable } from './binary/executable.ts';
import { createMarkerScanner } from './binary/marker-scan.ts';
import {
  BUILDINFO_MAGIC, MAX_MODINFO, PROBE_BYTES, parseModInfo, probeBuildInfo, readInlineBuildInfo,
  stripGoExperiments, type GoModule, type ModInfo,
} from './go-buildinfo.ts';

/** build info is 16-byte aligned in its section, and sections are aligned in the file */
const ALIGN = 16;

/** A replacement by another module (not a local directory) names the code actually built. */
function effective(m: GoModule): GoModule {
  const r = m.replace;
  if (r && r.version && r.version !== '(devel)' && !/^(\.\.?\/|\/)/.test(r.path)) return r;
  return m;
}

/** "(devel)" main module built from a VCS checkout: the pseudo-version Go would give that commit
 *  (as Syft does); otherwise "(devel)" stays. */
function mainVersion(main: GoModule, settings: Record<string, string>): string {
  if (main.version !== '(devel)') return main.version;
  const rev = settings['vcs.revision'], time = settings['vcs.time'];
  if (rev && time && /^[0-9a-f]{12,}$/.test(rev)) {
    const t = time.replace(/[-:TZ]/g, '').slice(0, 14);
    if (/^\d{14}$/.test(t)) return `v0.0.0-${t}-${rev.slice(0, 12)}`;
  }
  return main.version;
}

/** Packages from a binary's Go version and module info. */
export function goPackages(goVersion: string, info: ModInfo, foundIn: string): FoundPackage[] {
  const out: FoundPackage[] = [];
  const v = stripGoExperiments(goVersion);
  // "devel +abc…" toolchains have no release version to match
  if (/^go\d/.test(v)) out.push({ type: 'golang', name: 'stdlib', version: canonicalGo(v), foundIn });
  if (info.main?.path) out.push({ type: 'golang', name: info.main.path, version: mainVersion(info.main, info.settings), foundIn });
  const seen = new Set<string>();
  for (const d of info.deps) {
    const m = effective(d);
    if (!m.path || !m.version || seen.has(m.path)) continue;
    seen.add(m.path);
    out.push({ type: 'golang', name: m.path, version: m.version, foundIn });
  }
  return out;
}

export const goBinaryAnalyzer: Analyzer = {
  name: 'go-binary',
  version: 1,
  wants: () => false,
  analyze: () => null,
  openSink(entry): FileSink | null {
    if (!mayBeExecutable(entry)) return null;
    let pointerFormat = false;
    const scanner = createMarkerScanner({
      markerBytes: BUILDINFO_MAGIC.length,
      probeBytes: PROBE_BYTES,
      maxCapture: PROBE_BYTES + MAX_MODINFO,
      find: (buf, from) => buf.indexOf(BUILDINFO_MAGIC, from),
      probe(bytes, offset) {
        if (offset % ALIGN !== 0) return 0;
        const p = probeBuildInfo(bytes);
        if (p?.kind === 'pointer') pointerFormat = true;
        return p?.kind === 'inline' ? p.total : 0;
      },
    });
    return executableOnly({
      write: (chunk) => scanner.write(chunk),
      end(): AnalyzerFinding | null {
        const found = scanner.finish();
        if (!found) {
          if (pointerFormat) throw new CustomsError('unsupported', `${entry.path}: Go build info in the pre-Go-1.18 pointer format is not read`);
          return null;
        }
        if (!found.complete) throw new CustomsError('corrupt', `${entry.path}: Go build info truncated`);
        const { goVersion, modinfo } = readInlineBuildInfo(found.bytes);
        const packages = goPackages(goVersion, parseModInfo(modinfo), entry.path);
        return packages.length ? { packages } : null;
      },
    });
  },
};
