import type { Analyzer } from './analyzer.ts';
import type { PackageRecord } from '../types.ts';

type Pkg = Omit<PackageRecord, 'layer' | 'layerIndex'>;

const STATUS = '/var/lib/dpkg/status';
const STATUS_D = '/var/lib/dpkg/status.d/';

/**
 * Split RFC822-style control text into stanzas of field → value. Field names are matched
 * case-insensitively (stored lower-case); continuation lines (starting with space or tab) are
 * appended to the previous field with a newline.
 */
export function parseControlStanzas(text: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  let cur: Map<string, string> | null = null;
  let last: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') {
      if (cur && cur.size > 0) out.push(cur);
      cur = null; last = null;
      continue;
    }
    const c0 = line.charCodeAt(0);
    if (c0 === 32 || c0 === 9) {
      if (cur && last !== null) cur.set(last, cur.get(last) + '\n' + line.slice(1));
      continue;
    }
    if (line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    cur ??= new Map();
    cur.set(name, line.slice(colon + 1).trim());
    last = name;
  }
  if (cur && cur.size > 0) out.push(cur);
  return out;
}

/** "install ok installed" / "hold ok installed" → installed; config-files, half-installed, ... → not. */
export function isInstalledStatus(status: string | undefined): boolean {
  if (status === undefined) return true; // distroless status.d entries carry no Status
  const w = status.trim().split(/\s+/);
  if (w.length !== 3) return false;
  return w[1] === 'ok' && w[2] === 'installed' && (w[0] === 'install' || w[0] === 'hold');
}

/** Parse a dpkg status file (or one status.d entry). */
export function parseDpkgStatus(path: string, content: Buffer | string): Pkg[] {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const out: Pkg[] = [];
  for (const st of parseControlStanzas(text)) {
    const name = st.get('package');
    const version = st.get('version');
    if (!name || !version) continue;
    if (!isInstalledStatus(st.get('status'))) continue;
    const pkg: Pkg = { type: 'deb', name, version, foundIn: path };
    const arch = st.get('architecture');
    if (arch) pkg.arch = arch;
    const src = st.get('source');
    if (src) {
      const m = /^(\S+)(?:\s+\(([^)]+)\))?/.exec(src);
      pkg.sourceName = m ? m[1]! : src;
      pkg.sourceVersion = m?.[2]?.trim() || version;
    } else {
      pkg.sourceName = name;
      pkg.sourceVersion = version;
    }
    const maint = st.get('maintainer');
    if (maint) pkg.maintainer = maint;
    out.push(pkg);
  }
  return out;
}

function wantsPath(path: string): boolean {
  if (path === STATUS) return true;
  if (!path.startsWith(STATUS_D)) return false;
  const rest = path.slice(STATUS_D.length);
  return rest.length > 0 && !rest.includes('/') && !rest.endsWith('.md5sums') && !rest.startsWith('.');
}

export const dpkgAnalyzer: Analyzer = {
  name: 'dpkg',
  version: 1,
  completeness: 'strict',
  wants(path: string, _size: number): boolean {
    return wantsPath(path);
  },
  analyze(path: string, content: Buffer) {
    const packages = parseDpkgStatus(path, content);
    return packages.length ? { packages } : null;
  },
};
