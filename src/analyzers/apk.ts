import type { Analyzer } from './analyzer.ts';
import type { PackageRecord } from '../types.ts';

type Pkg = Omit<PackageRecord, 'layer' | 'layerIndex'>;

const PATHS = new Set(['/lib/apk/db/installed', '/usr/lib/apk/db/installed']);

/** Parse an apk installed database: blocks of "X:value" lines separated by blank lines. */
export function parseApkInstalled(path: string, content: Buffer | string): Pkg[] {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const out: Pkg[] = [];
  let cur: Record<string, string> = {};
  const flush = () => {
    const name = cur.P, version = cur.V;
    if (name && version) {
      const pkg: Pkg = { type: 'apk', name, version, foundIn: path };
      if (cur.A) pkg.arch = cur.A;
      pkg.sourceName = cur.o || name;
      pkg.sourceVersion = version;
      if (cur.L) pkg.license = cur.L;
      if (cur.m) pkg.maintainer = cur.m;
      out.push(pkg);
    }
    cur = {};
  };
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') { flush(); continue; }
    if (line.length < 2 || line[1] !== ':') continue;
    const k = line[0]!;
    // only the first occurrence of a key in a block describes the package (F:/R: repeat)
    if (k === 'P' || k === 'V' || k === 'A' || k === 'o' || k === 'L' || k === 'm') {
      if (cur[k] === undefined) cur[k] = line.slice(2);
    }
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
