// Licenses of Debian packages from /usr/share/doc/<package>/copyright: the machine-readable
// format (DEP-5: License fields of the paragraphs) or, for free-form files, the references to
// /usr/share/common-licenses/<name>. An analyzer records them as a `license` fact of the file;
// after the merge they are joined to deb packages by name (joinDebLicenses).
import type { Analyzer } from './analyzer.ts';
import { parseControlStanzas } from './dpkg.ts';
import type { LocatedFact, PackageRecord } from '../types.ts';

const DOC = '/usr/share/doc/';
const MAX_BYTES = 512 * 1024;
const MAX_LICENSES = 32;

/** The package a copyright path belongs to, or undefined. */
export function copyrightPackage(path: string): string | undefined {
  if (!path.startsWith(DOC) || !path.endsWith('/copyright')) return undefined;
  const name = path.slice(DOC.length, -'/copyright'.length);
  return /^[a-z0-9][a-z0-9+.-]{0,100}$/.test(name) ? name : undefined;
}

/** Distinct license short names declared in a copyright file, in order of first appearance. */
export function copyrightLicenses(text: string): string[] {
  const out = new Set<string>();
  const stanzas = parseControlStanzas(text);
  if (/copyright-format|dep-?5/i.test(stanzas[0]?.get('format') ?? '')) {
    for (const st of stanzas) {
      // a stand-alone License paragraph (no Files) only gives the text of a license named above
      if (!st.has('files') && stanzas.indexOf(st) !== 0) continue;
      const first = st.get('license')?.split('\n')[0]?.trim();
      if (first) out.add(first);
      if (out.size >= MAX_LICENSES) break;
    }
  } else {
    for (const m of text.matchAll(/\/usr\/share\/common-licenses\/([A-Za-z0-9.+-]{2,40})/g)) {
      out.add(m[1]!.replace(/\.$/, ''));
      if (out.size >= MAX_LICENSES) break;
    }
  }
  return [...out];
}

export const dpkgCopyrightAnalyzer: Analyzer = {
  name: 'dpkg-copyright', version: 1,
  wants: (path, size) => size <= MAX_BYTES && copyrightPackage(path) !== undefined,
  analyze(_path, content) {
    const licenses = copyrightLicenses(content.toString('utf8'));
    // every paragraph's license applies to some files: all of them together (grouped when compound)
    const detail = licenses.map((l) => (licenses.length > 1 && /\s(?:and|or)\s/i.test(l) ? `(${l})` : l)).join(' AND ');
    return licenses.length ? { facts: [{ id: 'license', detail }] } : null;
  },
};

/**
 * Set `license` on deb packages without one from the copyright file of the same name, and drop
 * the license facts from the facts list (they are package data, not findings).
 */
export function joinDebLicenses(packages: PackageRecord[], facts: LocatedFact[]): { packages: PackageRecord[]; facts: LocatedFact[] } {
  const byPkg = new Map<string, string>();
  const rest: LocatedFact[] = [];
  for (const f of facts) {
    const pkg = f.id === 'license' ? copyrightPackage(f.path) : undefined;
    if (pkg && f.detail) byPkg.set(pkg, f.detail);
    else rest.push(f);
  }
  if (byPkg.size === 0) return { packages, facts };
  return {
    packages: packages.map((p) => {
      if (p.type !== 'deb' || p.license) return p;
      const lic = byPkg.get(p.name) ?? byPkg.get(p.name.replace(/:.*$/, ''));
      return lic ? { ...p, license: lic } : p;
    }),
    facts: rest,
  };
}
