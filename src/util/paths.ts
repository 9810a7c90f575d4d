// POSIX path handling for paths found inside layers and archives (hostile input).

/**
 * Normalise a tar entry name to an absolute POSIX path inside the image root: leading "/" and
 * "./" are dropped, "." segments and empty segments vanish, ".." pops a segment. Returns null when
 * ".." would climb above the root (such entries are never used). The root itself is "/".
 */
export function normalizeEntryPath(name: string): string | null {
  if (name.includes('\0')) return null;
  const out: string[] = [];
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return null;
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return '/' + out.join('/');
}

/**
 * Resolve a symlink target the way a chroot would: absolute targets start at the image root,
 * relative ones at the link's directory; ".." stops at the root (clamped, never escapes).
 */
export function resolveLinkTarget(linkPath: string, target: string): string {
  const base = target.startsWith('/') ? [] : dirSegments(linkPath);
  const out = [...base];
  for (const seg of target.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') { out.pop(); continue; }
    out.push(seg);
  }
  return '/' + out.join('/');
}

function dirSegments(p: string): string[] {
  const segs = p.split('/').filter((s) => s !== '' && s !== '.');
  segs.pop();
  return segs;
}

export function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

export function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** true when `p` equals `dir` or lies below it */
export function isUnder(p: string, dir: string): boolean {
  if (dir === '/') return true;
  return p === dir || p.startsWith(dir + '/');
}
