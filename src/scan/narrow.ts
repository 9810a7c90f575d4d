// What a pipeline asked to look at: --scanners, --pkg-types, --skip-dirs, --skip-files.
// Applied to the inventory after the layers were read, so the per-layer cache serves every
// setting (a layer analysed with one --skip-dirs is not analysed again for another).
import picomatch from 'picomatch';
import { isOsType } from '../ecosystems/index.ts';
import { CustomsError } from '../errors.ts';
import type { ImageInventory, PackageType } from '../types.ts';

export const SCANNERS = ['vuln', 'secret', 'misconfig', 'license'] as const;
export type Scanner = typeof SCANNERS[number];
export const PKG_TYPES = ['os', 'library'] as const;
export type PkgKind = typeof PKG_TYPES[number];

export interface Narrowing {
  scanners: ReadonlySet<Scanner>;
  pkgTypes: ReadonlySet<PkgKind>;
  /** true for an image path (absolute) that --skip-dirs / --skip-files leave out */
  skipped: (path: string) => boolean;
}

export function pkgKind(type: PackageType | string): PkgKind { return isOsType(type) ? 'os' : 'library'; }

/** A comma list of known words ("vuln,secret"); Trivy's long names are accepted too. */
function parseList<T extends string>(text: string, flag: string, known: readonly T[], synonyms: Record<string, T> = {}): Set<T> {
  const out = new Set<T>();
  for (const raw of text.split(',')) {
    const word = raw.trim().toLowerCase();
    if (!word) continue;
    const hit = (known as readonly string[]).includes(word) ? word as T : synonyms[word];
    if (!hit) throw new CustomsError('usage', `${flag}: unknown "${raw.trim().slice(0, 40)}"; use a comma list of ${known.join(', ')}`);
    out.add(hit);
  }
  if (!out.size) throw new CustomsError('usage', `${flag} needs at least one of ${known.join(', ')}`);
  return out;
}

export function parseScanners(text: string): Set<Scanner> {
  return parseList(text, '--scanners', SCANNERS, { vulnerability: 'vuln', vulnerabilities: 'vuln', secrets: 'secret', config: 'misconfig', misconfiguration: 'misconfig', licenses: 'license' });
}

export function parsePkgTypes(text: string): Set<PkgKind> {
  return parseList(text, '--pkg-types', PKG_TYPES, { 'os-pkgs': 'os', lang: 'library', 'lang-pkgs': 'library', libraries: 'library' });
}

// Image paths are absolute; users write globs with or without the leading '/'.
const relative = (p: string) => p.replace(/^\/+/, '').replace(/\/+$/, '');

/**
 * --skip-dirs and --skip-files globs (picomatch, dot files included): a file is skipped when it
 * matches a --skip-files glob or one of its parent directories matches a --skip-dirs glob.
 */
export function pathSkipper(skipDirs: string[] = [], skipFiles: string[] = []): (path: string) => boolean {
  const check = (flag: string, globs: string[]) => globs.map((g) => {
    const rel = relative(g);
    if (!rel || rel.includes('\0')) throw new CustomsError('usage', `${flag}: "${g.slice(0, 80)}" is not a path glob`);
    return picomatch(rel, { dot: true });
  });
  const dirs = check('--skip-dirs', skipDirs);
  const files = check('--skip-files', skipFiles);
  if (!dirs.length && !files.length) return () => false;
  return (path) => {
    const rel = relative(path);
    if (files.some((m) => m(rel))) return true;
    // every parent directory, nearest first: /a/b/c → a/b, a
    for (let i = rel.lastIndexOf('/'); i > 0; i = rel.lastIndexOf('/', i - 1)) {
      const dir = rel.slice(0, i);
      if (dirs.some((m) => m(dir))) return true;
    }
    return false;
  };
}

/** Repeated flags and comma lists ("a/**,b"), a comma inside a {brace,group} staying part of the glob. */
export function globList(values: string[] = []): string[] {
  const out: string[] = [];
  for (const v of values) {
    let depth = 0, start = 0;
    for (let i = 0; i < v.length; i++) {
      if (v[i] === '{') depth++;
      else if (v[i] === '}') depth = Math.max(0, depth - 1);
      else if (v[i] === ',' && depth === 0) { out.push(v.slice(start, i)); start = i + 1; }
    }
    out.push(v.slice(start));
  }
  return out.map((g) => g.trim()).filter(Boolean);
}

export function narrowing(opts: { scanners?: string; pkgTypes?: string; skipDirs?: string[]; skipFiles?: string[] }): Narrowing {
  return {
    scanners: opts.scanners ? parseScanners(opts.scanners) : new Set(SCANNERS),
    pkgTypes: opts.pkgTypes ? parsePkgTypes(opts.pkgTypes) : new Set(PKG_TYPES),
    skipped: pathSkipper(globList(opts.skipDirs), globList(opts.skipFiles)),
  };
}

/** The inventory with what was asked to be left out removed (image-config secrets have no file path and stay). */
export function narrowInventory(inv: ImageInventory, n: Narrowing): ImageInventory {
  const inFile = (path: string) => path.startsWith('/');
  const keepPath = (path: string) => !(inFile(path) && n.skipped(path));
  const packages = inv.packages
    .filter((p) => n.pkgTypes.has(pkgKind(p.type)) && keepPath(p.foundIn))
    .map((p) => {
      if (n.scanners.has('license') || p.license === undefined) return p;
      const { license: _dropped, ...rest } = p;
      return rest;
    });
  return {
    ...inv,
    packages,
    ...(inv.secrets ? { secrets: n.scanners.has('secret') ? inv.secrets.filter((s) => keepPath(s.path)) : [] } : {}),
    ...(inv.facts ? { facts: inv.facts.filter((f) => keepPath(f.path)) } : {}),
    ...(inv.incomplete ? { incomplete: inv.incomplete.filter((x) => keepPath(x.path)) } : {}),
  };
}
