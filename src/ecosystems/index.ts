// The ecosystem registry: one line per ecosystem module, and every table that used to be written
// out by hand derived from it — the analyzer list, the language metadata paths OS package databases
// report as owned, the OSV ecosystem of each package type and of each distribution, the comparator
// of each OSV ecosystem, purls written and read, the feeds downloaded by default.
// Adding an ecosystem: a module beside these (ecosystem.ts says what it declares), its line in
// REGISTRY, its name in src/types.ts' package-type list (the compiler checks the two agree).
import type { Analyzer } from '../analyzers/analyzer.ts';
import type { LanguagePaths } from '../analyzers/language-paths.ts';
import { osReleaseAnalyzer } from '../analyzers/os-release.ts';
import { CustomsError } from '../errors.ts';
import type { OsInfo, OsPackageType, PackageRecord, PackageType } from '../types.ts';
import { apk } from './apk.ts';
import { cargo } from './cargo.ts';
import { composer } from './composer.ts';
import { deb } from './deb.ts';
import type { Comparator, EcosystemModule, LanguageEcosystem, OsEcosystem, OsvEcosystemName } from './ecosystem.ts';
import { gem } from './gem.ts';
import { golang } from './golang.ts';
import { maven } from './maven.ts';
import { npm } from './npm.ts';
import { nuget } from './nuget.ts';
import { pypi } from './pypi.ts';
import { rpm } from './rpm.ts';

export type { Comparator, EcosystemModule, LanguageEcosystem, OsEcosystem, OsvEcosystemName } from './ecosystem.ts';

/** One line per ecosystem, every package type of src/types.ts exactly once, each module of its own
 *  type and kind (OS or language). The order is the analyzers'. */
const REGISTRY: { readonly [T in PackageType]: T extends OsPackageType ? OsEcosystem<T> : LanguageEcosystem<T> } = {
  deb,
  apk,
  rpm,
  npm,
  pypi,
  gem,
  composer,
  nuget,
  golang,
  cargo,
  maven,
};

// ecosystems added at run time (registerEcosystem): a test's toy ecosystem, an embedding program's own
const added: EcosystemModule[] = [];

interface Tables {
  all: readonly EcosystemModule[];
  byType: ReadonlyMap<string, EcosystemModule>;
  byPurlType: ReadonlyMap<string, EcosystemModule>;
  /** OSV ecosystem base → comparator */
  comparators: ReadonlyMap<string, Comparator>;
  /** OSV ecosystem base → name as indexed, for those not indexed as written */
  osvNames: ReadonlyMap<string, (name: string) => string>;
  /** the OSV ecosystems of the language ecosystems */
  languageOsv: ReadonlySet<string>;
  paths: LanguagePaths;
  analyzers: readonly Analyzer[];
}
let tables: Tables | undefined;

function build(): Tables {
  const all: EcosystemModule[] = [...Object.values(REGISTRY) as EcosystemModule[], ...added];
  const byType = new Map<string, EcosystemModule>();
  const byPurlType = new Map<string, EcosystemModule>();
  const comparators = new Map<string, Comparator>();
  const osvNames = new Map<string, (name: string) => string>();
  for (const e of all) {
    if (byType.has(e.type)) throw new CustomsError('usage', `ecosystem '${e.type}' is registered twice`);
    byType.set(e.type, e);
    for (const t of [e.type, ...e.purlAliases ?? []]) byPurlType.set(t, e);
    for (const base of e.kind === 'os' ? e.osvBases : [e.osv]) comparators.set(base, e.compare);
    if (e.kind === 'language' && e.osvName) osvNames.set(e.osv, e.osvName);
  }
  const languageOsv = new Set(all.flatMap((e) => (e.kind === 'language' ? [e.osv] : [])));
  const metadata = all.flatMap((e) => (e.kind === 'language' && e.metadata ? [e.metadata] : []));
  const paths: LanguagePaths = {
    isMetadataPath: (path) => metadata.some((m) => m.isPath(path)),
    mayBeMetadataFile: (basename) => metadata.some((m) => m.mayBeFile(basename)),
  };
  const analyzers = [osReleaseAnalyzer, ...all.flatMap((e) => e.analyzers(paths))];
  return { all, byType, byPurlType, comparators, osvNames, languageOsv, paths, analyzers };
}

function current(): Tables {
  return (tables ??= build());
}

/**
 * Adds an ecosystem outside REGISTRY (its package type need not be one of src/types.ts): every
 * table below includes it from then on. Returns the function that takes it out again. Layers below
 * the registry (the layer merge, end-of-life rules) know OS package types from src/types.ts' list
 * only: an OS ecosystem belongs in REGISTRY.
 */
export function registerEcosystem(e: EcosystemModule): () => void {
  if (current().byType.has(e.type)) throw new CustomsError('usage', `ecosystem '${e.type}' is registered twice`);
  added.push(e);
  tables = undefined;
  return () => {
    const i = added.indexOf(e);
    if (i >= 0) added.splice(i, 1);
    tables = undefined;
  };
}

/** Every ecosystem, in registry order (the built-in ones first). */
export function ecosystems(): readonly EcosystemModule[] {
  return current().all;
}

/** The module of a package type (undefined for a type no ecosystem declares). */
export function ecosystemOf(type: string): EcosystemModule | undefined {
  return current().byType.get(type);
}

/** The package type a purl type is read as (reading SBOMs); undefined for types Customs does not match (oci, generic…). */
export function packageTypeOfPurl(purlType: string): PackageType | undefined {
  // a registered ecosystem's type is a package type by registration, not by the compile-time list
  return current().byPurlType.get(purlType)?.type as PackageType | undefined;
}

/** The analyzers that inventory an image: os-release, then each ecosystem's, in registry order
 *  (a new list each call; the analyzers are built once). */
export function inventoryAnalyzers(): Analyzer[] {
  return [...current().analyzers];
}

/** The paths language analyzers report packages from (what OS package databases report as owned). */
export function languagePaths(): LanguagePaths {
  return current().paths;
}

/** The OSV ecosystem that judges packages of a language type ("PyPI" for pypi); undefined for OS types and unknown ones. */
export function languageEcosystem(type: string): string | undefined {
  const e = ecosystemOf(type);
  return e?.kind === 'language' ? e.osv : undefined;
}

/** Whether an OSV ecosystem base ("PyPI", not "Debian") is a language ecosystem's. */
export function isLanguageOsvBase(base: string): boolean {
  return current().languageOsv.has(base);
}

/** Package types whose packages come from an OS package manager, registered ones included. */
export function isOsType(type: string): boolean {
  return ecosystemOf(type)?.kind === 'os';
}

/**
 * OSV ecosystems of an image's OS packages, asked of each OS ecosystem in turn: Debian →
 * "Debian:<major>", Ubuntu → "Ubuntu:<ver>:LTS" and "Ubuntu:<ver>", Alpine → "Alpine:v<major.minor>",
 * Wolfi, Chainguard; rpm distributions (rpm.ts). The first name is the one looked up. Undefined when unknown.
 */
export function osEcosystems(os: OsInfo | undefined): { type: PackageType; ecosystems: string[] } | undefined {
  if (!os) return undefined;
  for (const e of ecosystems()) {
    if (e.kind !== 'os') continue;
    const found = e.distributions(os);
    if (found) return { type: e.type as PackageType, ecosystems: found };
  }
  return undefined;
}

/** The name and version a package is known by in OSV: its OS ecosystem's say (source package,
 *  origin, epoch:version-release), the package itself for language ecosystems. */
export function osvIdentity(p: PackageRecord): { name: string; version: string } {
  const e = ecosystemOf(p.type);
  return e?.kind === 'os' ? e.osvIdentity(p) : { name: p.name, version: p.version };
}

/** The package URL of a package, built by its ecosystem. */
export function buildPurl(p: PackageRecord, os: OsInfo | undefined): string {
  const e = ecosystemOf(p.type);
  if (!e) throw new CustomsError('unsupported', `no ecosystem declares package type '${p.type}'`);
  return e.purl(p, os);
}

/** The OSV bucket folders `customs db update` reads by default, in registry order. */
export function defaultFeeds(): string[] {
  return ecosystems().flatMap((e) => e.feeds);
}

/** "Debian:12" → "Debian" (untrimmed: how names are indexed) */
function prefix(ecosystem: string): string {
  const i = ecosystem.indexOf(':');
  return i < 0 ? ecosystem : ecosystem.slice(0, i);
}
/** the comparator's key: the prefix, spaces around it ignored */
const baseName = (ecosystem: string): string => prefix(ecosystem).trim();

/** The package name as OSV data of this ecosystem indexes it (PEP 503 for PyPI, lowercased for
 *  Packagist and NuGet); undefined when the ecosystem does not rewrite names. */
export function osvNameRewrite(ecosystem: OsvEcosystemName): ((name: string) => string) | undefined {
  return current().osvNames.get(prefix(ecosystem));
}

function comparator(ecosystem: OsvEcosystemName): Comparator | undefined {
  return current().comparators.get(baseName(ecosystem));
}

/** Whether versions of this OSV ecosystem ("Debian:12", "npm") can be compared. */
export function hasComparator(ecosystem: OsvEcosystemName): boolean {
  return comparator(ecosystem) !== undefined;
}

/** Orders two versions of one OSV ecosystem: -1 when a < b, 0 when equal, 1 when a > b. The
 *  ecosystem name may carry a release after ':' ("Debian:12", "Ubuntu:22.04:LTS", "Alpine:v3.19"). */
export function compareVersions(ecosystem: OsvEcosystemName, a: string, b: string): -1 | 0 | 1 {
  const cmp = comparator(ecosystem);
  if (!cmp) {
    throw new CustomsError('unsupported',
      `no version comparator for ecosystem '${ecosystem}'; known: ${[...current().comparators.keys()].join(', ')}`);
  }
  const r = cmp(a, b);
  return r < 0 ? -1 : r > 0 ? 1 : 0;
}
