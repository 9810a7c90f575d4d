import type { Analyzer } from './analyzer.ts';
import type { FoundPackage } from '../types.ts';
import { lineRanges } from '../util/lines.ts';

const PATHS = new Set(['/lib/apk/db/installed', '/usr/lib/apk/db/installed']);
const KEYS = new Set(['P', 'V', 'A', 'o', 'L', 'm']);
/** a longer value is dropped as if absent: no real one comes close */
const MAX_VALUE = 64 * 1024;

/** Parse an apk installed database: blocks of "X:value" lines separated by blank lines. */
export function parseApkInstalled(path: string, content: Buffer | string): FoundPackage[] {
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  const out: FoundPackage[] = [];
  let cur: Record<string, string> = {};
  const flush = () => {
    const name = cur.P, version = cur.V;
    if (name && version) {
      const pkg: FoundPackage = { type: 'apk', name, version, foundIn: path };
      if (cur.A) pkg.arch = cur.A;
      pkg.sourceName = cur.o || name;
      pkg.sourceVersion = version;
      if (cur.L) pkg.license = cur.L;
      if (cur.m) pkg.maintainer = cur.m;
      out.push(pkg);
    }
    cur = {};
  };
  // line by line on the bytes: only the few kept values are ever decoded (see util/lines.ts)
  for (const [from, to] of lineRanges(buf)) {
    if (from === to) { flush(); continue; }
    if (to - from < 2 || buf[from + 1] !== 0x3a) continue;
    const k = String.fromCharCode(buf[from]!);
    // only the first occurrence of a key in a block describes the package (F:/R: repeat)
    if (KEYS.has(k) && cur[k] === undefined && to - from <= MAX_VALUE) cur[k] = buf.toString('utf8', from + 2, to);
  }
  flush();
  return out;
}

export const apkAnalyzer: Analyzer = {
  name: 'apk',
  version: 1,
  completeness: 'strict',
  wants(path: string, _size: number): boolean {
    return PATHS.has(path);
  },
  analyze(path: string, content: Buffer) {
    const packages = parseApkInstalled(path, content);
    return packages.length ? { packages } : null;
  },
};
