import type { Analyzer } from './analyzer.ts';
import type { FoundPackage } from '../types.ts';
import { isBlank, lineRanges } from '../util/lines.ts';

const STATUS = '/var/lib/dpkg/status';
const STATUS_D = '/var/lib/dpkg/status.d/';
/** the fields a package record is made of; the rest (Description, Conffiles…) is never decoded */
const STATUS_FIELDS: ReadonlySet<string> = new Set(['package', 'version', 'status', 'architecture', 'source', 'maintainer']);

/** Longest field value kept (a longer one is dropped as if absent): no real one comes close. */
const MAX_VALUE = 64 * 1024;
const MAX_NAME = 128;

/**
 * Split RFC822-style control text into stanzas of field → value. Field names are matched
 * case-insensitively (stored lower-case); continuation lines (starting with space or tab) are
 * appended to the previous field with a newline. With `fields`, only those are kept: the others
 * (a Description of any length) are skipped without being decoded. Values longer than 64 KiB are
 * dropped. Works on the bytes, so a file of tens of MB is never held as one string.
 */
export function parseControlStanzas(content: Buffer | string, fields?: ReadonlySet<string>): Map<string, string>[] {
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  const out: Map<string, string>[] = [];
  let cur: Map<string, string> | null = null;
  let last: string | null = null;
  const end = () => {
    if (cur && cur.size > 0) out.push(cur);
    cur = null; last = null;
  };
  const keep = (name: string, value: string) => {
    cur!.set(name, value);
    last = name;
  };
  for (const [from, to] of lineRanges(buf)) {
    if (isBlank(buf, from, to)) { end(); continue; }
    const c0 = buf[from];
    if (c0 === 0x20 || c0 === 0x09) {
      if (cur && last !== null) {
        const prev = cur.get(last)!;
        if (prev.length + to - from > MAX_VALUE) { cur.delete(last); last = null; } else keep(last, prev + '\n' + buf.toString('utf8', from + 1, to));
      }
      continue;
    }
    if (c0 === 0x23) continue; // '#'
    last = null;
    const colon = buf.indexOf(0x3a, from);
    if (colon <= from || colon >= to || colon - from > MAX_NAME) continue;
    const name = buf.toString('latin1', from, colon).trim().toLowerCase();
    if (!name) continue;
    cur ??= new Map();
    if (fields && !fields.has(name)) continue;
    if (to - colon - 1 > MAX_VALUE) { cur.delete(name); continue; }
    keep(name, buf.toString('utf8', colon + 1, to).trim());
  }
  end();
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
export function parseDpkgStatus(path: string, content: Buffer | string): FoundPackage[] {
  const out: FoundPackage[] = [];
  for (const st of parseControlStanzas(content, STATUS_FIELDS)) {
    const name = st.get('package');
    const version = st.get('version');
    if (!name || !version) continue;
    if (!isInstalledStatus(st.get('status'))) continue;
    const pkg: FoundPackage = { type: 'deb', name, version, foundIn: path };
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
