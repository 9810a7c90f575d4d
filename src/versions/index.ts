// Version comparison per OSV ecosystem. The ecosystem name may carry a release after ':'
// ("Debian:12", "Ubuntu:22.04:LTS", "Alpine:v3.19"); only the part before the first ':' selects
// the comparator. To support another ecosystem add one line to COMPARATORS.
import { CustomsError } from '../errors.ts';
import { compareApk } from './apk.ts';
import { compareComposer } from './composer.ts';
import { compareDpkg } from './dpkg.ts';
import { compareGo } from './go.ts';
import { compareMaven } from './maven.ts';
import { compareNuGet } from './nuget.ts';
import { comparePep440 } from './pep440.ts';
import { compareRpm } from './rpm.ts';
import { compareRubyGems } from './rubygems.ts';
import { compareSemver } from './semver.ts';

/** An OSV ecosystem name, e.g. "Debian:12", "npm", "Go". */
export type Ecosystem = string;

export const COMPARATORS: Record<string, (a: string, b: string) => number> = {
  Debian: compareDpkg,
  Ubuntu: compareDpkg,
  Alpine: compareApk,
  Wolfi: compareApk,
  Chainguard: compareApk,
  'Red Hat': compareRpm,
  'Rocky Linux': compareRpm,
  AlmaLinux: compareRpm,
  SUSE: compareRpm,
  openSUSE: compareRpm,
  Mageia: compareRpm,
  'Azure Linux': compareRpm,
  npm: compareSemver,
  'crates.io': compareSemver,
  Go: compareGo,
  PyPI: comparePep440,
  Maven: compareMaven,
  RubyGems: compareRubyGems,
  NuGet: compareNuGet,
  Packagist: compareComposer,
};

function baseName(ecosystem: string): string {
  const i = ecosystem.indexOf(':');
  return (i < 0 ? ecosystem : ecosystem.slice(0, i)).trim();
}

function lookup(ecosystem: string): ((a: string, b: string) => number) | undefined {
  const base = baseName(ecosystem);
  return Object.hasOwn(COMPARATORS, base) ? COMPARATORS[base] : undefined;
}

export function hasComparator(ecosystem: Ecosystem): boolean {
  return lookup(ecosystem) !== undefined;
}

/** Orders two versions of one ecosystem: -1 when a < b, 0 when equal, 1 when a > b. */
export function compareVersions(ecosystem: Ecosystem, a: string, b: string): -1 | 0 | 1 {
  const cmp = lookup(ecosystem);
  if (!cmp) {
    throw new CustomsError('unsupported',
      `no version comparator for ecosystem '${ecosystem}'; known: ${Object.keys(COMPARATORS).join(', ')}`);
  }
  const r = cmp(a, b);
  return r < 0 ? -1 : r > 0 ? 1 : 0;
}
