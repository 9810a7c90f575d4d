// Which paths the language analyzers read. Shared by the analyzers themselves (their `wants`) and,
// through each ecosystem module's `metadata` (src/ecosystems/), by OS package databases (dpkg .list
// files, RPM headers), which report only these paths as `ownedFiles`, so the layer cache stays small
// while OS-installed language packages are recognised.
import { basename } from '../util/paths.ts';

/**
 * A package root's package.json as npm lays packages out: after the first `node_modules`, segments
 * alternate `node_modules/(@scope/)name` up to `package.json`
 * (`/app/node_modules/a/node_modules/@s/b/package.json`). A package.json anywhere else inside a
 * package — bundler hints (`lib/package.json`), test fixtures
 * (`node_modules/x/test/fixtures/node_modules/y/package.json`) — is not an installed package.
 */
export function isNpmPackageJson(path: string): boolean {
  if (!path.endsWith('/package.json')) return false;
  const segs = path.split('/');
  let i = segs.indexOf('node_modules');
  if (i < 0) return false;
  const last = segs.length - 1; // index of 'package.json'
  while (i < last) {
    if (segs[i] !== 'node_modules') return false;
    let j = i + 1;
    if (segs[j]?.startsWith('@')) {
      if (segs[j]!.length < 2) return false;
      j++;
    }
    if (j >= last || !isNpmName(segs[j]!)) return false;
    i = j + 1;
  }
  return i === last;
}

// npm names never start with "." or "@" here (".bin", ".cache", ".package-lock.json" live beside packages)
function isNpmName(s: string): boolean {
  return s.length > 0 && !s.startsWith('.') && !s.startsWith('@') && s !== 'node_modules';
}

/** npm's hidden lockfile (npm ≥ 7) or a project's lockfile: recorded as a fact about the install.
 *  A package-lock.json shipped inside an installed package (below node_modules) is not the image's. */
export function isNpmLockfile(path: string): boolean {
  if (path.endsWith('/node_modules/.package-lock.json')) return true;
  return basename(path) === 'package-lock.json' && !path.includes('/node_modules/');
}

/** Python distribution metadata: `x.dist-info/METADATA`, `x.egg-info/PKG-INFO`, a `x.egg-info`
 *  file (distutils), `x.egg/EGG-INFO/PKG-INFO` (unzipped egg) or a zipped `x.egg`. */
export function isPythonMetadataPath(path: string): boolean {
  const segs = path.split('/');
  const n = segs.length;
  const name = segs[n - 1]!;
  const parent = segs[n - 2] ?? '';
  if (name === 'METADATA') return parent.endsWith('.dist-info');
  if (name === 'PKG-INFO') return parent.endsWith('.egg-info') || (parent === 'EGG-INFO' && (segs[n - 3] ?? '').endsWith('.egg'));
  return (name.endsWith('.egg-info') || name.endsWith('.egg')) && name.length > 4;
}

/** Installed gem specs: `…/specifications/x-1.0.gemspec` and default gems in `…/specifications/default/`. */
export function isGemspecPath(path: string): boolean {
  if (!path.endsWith('.gemspec')) return false;
  const segs = path.split('/');
  const n = segs.length;
  return segs[n - 2] === 'specifications' || (segs[n - 2] === 'default' && segs[n - 3] === 'specifications');
}

/** Composer's record of what it installed. */
export function isComposerInstalledPath(path: string): boolean {
  return path.endsWith('/vendor/composer/installed.json');
}

/** .NET dependency manifests written next to an application (`App.deps.json`). */
export function isDotnetDepsPath(path: string): boolean {
  return path.endsWith('.deps.json') && basename(path).length > '.deps.json'.length;
}

/** Java archives (read by the Java analyzer); listed so OS-installed jars (/usr/share/java) count as owned. */
export function isJavaArchivePath(path: string): boolean {
  return /\.(jar|war|ear|par)$/i.test(path);
}

/**
 * Every path a language analyzer may report a package from (its `foundIn`): OS package databases
 * filter their file lists with this, so only these paths reach the cache as `ownedFiles`. Built by
 * the ecosystem registry (src/ecosystems/index.ts) from each language ecosystem's metadata paths
 * and handed to the OS analyzers that need it.
 */
export interface LanguagePaths {
  /** the full path is one a language analyzer reads packages from */
  isMetadataPath(path: string): boolean;
  /** quick test on a base name, true for every base name `isMetadataPath` may accept (a superset):
   *  a RHEL file list has ~100,000 entries and testing each full path costs more than reading the database */
  mayBeMetadataFile(basename: string): boolean;
}
