import type { Analyzer } from './analyzer.ts';
import type { OsInfo } from '../types.ts';

const PATHS = new Set(['/etc/os-release', '/usr/lib/os-release']);
const MAX_SIZE = 1024 * 1024;

/** Unquote an os-release value (shell-like: "double" with backslash escapes, 'single', or bare). */
function unquote(v: string): string {
  v = v.trim();
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    return v.slice(1, -1).replace(/\\([$"'\\`])/g, '$1');
  }
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  return v.replace(/\\([$"'\\`])/g, '$1');
}

/** Parse os-release(5) text into key → value. */
export function parseOsReleaseText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) continue;
    out[key] = unquote(line.slice(eq + 1));
  }
  return out;
}

export function parseOsRelease(path: string, content: Buffer): Omit<OsInfo, 'layer'> | null {
  const kv = parseOsReleaseText(content.toString('utf8'));
  const id = (kv.ID ?? '').toLowerCase();
  if (!id && !kv.NAME) return null;
  const os: Omit<OsInfo, 'layer'> = { id: id || 'linux', foundIn: path };
  if (kv.NAME) os.name = kv.NAME;
  if (kv.VERSION_ID) os.versionId = kv.VERSION_ID;
  if (kv.VERSION_CODENAME) os.versionCodename = kv.VERSION_CODENAME;
  if (kv.PRETTY_NAME) os.prettyName = kv.PRETTY_NAME;
  if (kv.ID_LIKE) os.idLike = kv.ID_LIKE.split(/\s+/).filter(Boolean).map((s) => s.toLowerCase());
  return os;
}

export const osReleaseAnalyzer: Analyzer = {
  name: 'os-release',
  version: 1,
  completeness: 'strict',
  wants(path: string, size: number): boolean {
    return PATHS.has(path) && size <= MAX_SIZE;
  },
  analyze(path: string, content: Buffer) {
    const os = parseOsRelease(path, content);
    return os ? { os } : null;
  },
};
