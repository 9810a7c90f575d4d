// What one ecosystem module declares: everything Customs knows about one kind of package, in one
// place (as osv-scalibr's extractors carry their purl type and ecosystem, and claircore keeps
// scanner, parser, matcher and purl of a distribution in one folder). The registry
// (src/ecosystems/index.ts) derives every table from these: package types, the analyzer list, the
// language metadata paths OS databases report as owned, the OSV ecosystem of each type, the
// comparator of each OSV ecosystem, purls written and read, the default feeds.
import { PackageURL } from 'packageurl-js';
import type { Analyzer } from '../analyzers/analyzer.ts';
import type { LanguagePaths } from '../analyzers/language-paths.ts';
import type { OsInfo, PackageRecord } from '../types.ts';

/** An OSV ecosystem name, e.g. "Debian:12", "npm", "Go"; only the part before the first ':' selects the comparator. */
export type OsvEcosystemName = string;

/** Orders two versions: negative, zero or positive; throws on a version it cannot read. */
export type Comparator = (a: string, b: string) => number;

interface EcosystemBase<T extends string> {
  /** `PackageRecord.type`: also the purl type written */
  readonly type: T;
  /** the order of versions in this ecosystem's OSV data (and of its packages) */
  readonly compare: Comparator;
  /** OSV bucket folders `customs db update` reads by default (config `vulndb.sources`) */
  readonly feeds: readonly string[];
  /** the package URL of a package of this type (`p.purl`, when set, is used before this is asked) */
  purl(p: PackageRecord, os: OsInfo | undefined): string;
  /** `PackageRecord.name` from a purl's namespace and name (reading SBOMs) */
  nameFromPurl(namespace: string | undefined, name: string): string;
  /** other purl types read as this type (reading SBOMs) */
  readonly purlAliases?: readonly string[];
  /** the analyzers that find these packages; `paths` are the language metadata paths of every
   *  ecosystem (what an OS package database reports as owned) */
  analyzers(paths: LanguagePaths): Analyzer[];
}

/** A language registry: its packages are judged in one OSV ecosystem of the same name everywhere. */
export interface LanguageEcosystem<T extends string = string> extends EcosystemBase<T> {
  readonly kind: 'language';
  /** the OSV ecosystem that judges these packages ("npm", "PyPI", "Go"…) */
  readonly osv: string;
  /** package name as OSV indexes and looks it up, when not as written (PEP 503, lowercased) */
  osvName?(name: string): string;
  /** the files its analyzers report packages from (`foundIn`), or null when it reads none an OS
   *  package could install (executables) */
  readonly metadata: {
    /** the full path is one of its metadata files */
    isPath(path: string): boolean;
    /** a quick test on the base name, true for every base name `isPath` accepts */
    mayBeFile(basename: string): boolean;
  } | null;
}

/** An OS package manager: its packages are judged in the OSV ecosystem of the distribution. */
export interface OsEcosystem<T extends string = string> extends EcosystemBase<T> {
  readonly kind: 'os';
  /** OSV ecosystem names before ':' its distributions publish under ("Debian", "Ubuntu") */
  readonly osvBases: readonly string[];
  /** the OSV ecosystems that judge this distribution's packages, the one looked up first;
   *  undefined when the os-release is not one of its distributions (or no OSV data is known) */
  distributions(os: OsInfo): string[] | undefined;
  /** the name and version OSV knows a package by (its source package, origin, epoch:version-release) */
  osvIdentity(p: PackageRecord): { name: string; version: string };
}

export type EcosystemModule<T extends string = string> = LanguageEcosystem<T> | OsEcosystem<T>;

/** pkg:<type>/<name>@<version>, no namespace (gem, nuget, cargo). */
export function plainPurl(type: string, name: string, version: string): string {
  return new PackageURL(type, undefined, name, version, undefined, undefined).toString();
}

/** Everything before the first "/" is the namespace: npm "@scope/name", composer "vendor/name". */
export function scopedPurl(type: string, fullName: string, version: string): string {
  const i = fullName.indexOf('/');
  const [ns, name] = i > 0 ? [fullName.slice(0, i), fullName.slice(i + 1)] : [undefined, fullName];
  return new PackageURL(type, ns, name, version, undefined, undefined).toString();
}

/** Everything before the last "/" is the namespace: Go module paths, Maven group/artifact
 *  (pkg:golang/github.com/google/uuid@v1.3.0, pkg:maven/org.apache.commons/commons-lang3@3.12.0). */
export function pathPurl(type: string, path: string, version: string | undefined): string {
  const i = path.lastIndexOf('/');
  const [ns, name] = i > 0 ? [path.slice(0, i), path.slice(i + 1)] : [undefined, path];
  return new PackageURL(type, ns, name, version, undefined, undefined).toString();
}

/** The purl's name alone is the package name (gem, nuget, cargo, pypi, deb, apk, rpm). */
export const nameOnly = (_namespace: string | undefined, name: string): string => name;
/** namespace "/" name (npm scopes, composer vendors, Go module paths). */
export const slashName = (namespace: string | undefined, name: string): string => (namespace ? `${namespace}/${name}` : name);

/** deb and apk purls as Syft and Trivy write them: the distribution as namespace, arch, distro and
 *  upstream (source package) qualifiers: pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12. */
export function distroPurl(p: PackageRecord, os: OsInfo | undefined, defaultNamespace: string): string {
  const namespace = os?.id ?? defaultNamespace;
  const qualifiers: Record<string, string> = {};
  if (p.arch) qualifiers.arch = p.arch;
  if (os?.versionId) qualifiers.distro = `${os.id}-${os.versionId}`;
  if (p.sourceName && p.sourceName !== p.name) {
    qualifiers.upstream = p.sourceVersion && p.sourceVersion !== p.version ? `${p.sourceName}@${p.sourceVersion}` : p.sourceName;
  }
  return new PackageURL(p.type, namespace, p.name, p.version, qualifiers, undefined).toString();
}

/** `osvName` of registries whose names are case-insensitive (Packagist, NuGet): lowercased. */
export const lowercaseName = (name: string): string => name.toLowerCase();

/** A test on a base name from a pattern, for `metadata.mayBeFile`. */
export const baseNameTest = (re: RegExp) => (basename: string): boolean => re.test(basename);
