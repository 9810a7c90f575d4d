import { compareVersions, hasComparator, isLanguageOsvBase, languageEcosystem, osEcosystems, osvIdentity } from '../ecosystems/index.ts';
import type { ImageInventory, PackageRecord } from '../types.ts';
import { ecosystemBase, normalizePackageName, type OsvAffected, type OsvRange } from './osv.ts';
import { entryFitsStream, packageStream, type PackageStream } from './rpm-modules.ts';
import { isNonSecurityAdvisory } from './advisory-kind.ts';
import { rpmsByName, sourceVersionOf } from './rpm-source.ts';
import { enrichFindings } from './enrichment.ts';
import { rateFindings } from './rate.ts';
import { entryRating, maxSeverity, ownRatings, UNKNOWN } from './severity.ts';
import type { VulnStore } from './store.ts';
import type { Finding, FindingStatus, Severity, StoredAdvisory } from './types.ts';

/** One vulnerability of one package version: aliasing advisories merged. */
export interface PackageMatch {
  id: string;
  aliases: string[];
  advisories: string[];
  ecosystem: string;
  fixedVersions: string[];
  severity: Severity;
  /** every rating the matched advisories give (first the one used), when there is more than one */
  ratings?: Severity[];
  summary?: string;
  /** the distribution says it will not fix this (only meaningful when fixedVersions is empty) */
  wontFix?: boolean;
  /** the version compared, when it depended on the entry (an rpm judged at its source's version) */
  version?: string;
}

type Cmp = (a: string, b: string) => number;

function comparatorFor(ecosystem: string, rangeType: string): Cmp | undefined {
  if (hasComparator(ecosystem)) return (a, b) => compareVersions(ecosystem, a, b);
  // SEMVER ranges follow SemVer 2 whatever the ecosystem
  if (rangeType === 'SEMVER' && hasComparator('npm')) return (a, b) => compareVersions('npm', a, b);
  return undefined;
}

/**
 * Whether `version` is inside an OSV range; `fixed` gets the fixed versions above it. Events are
 * sorted with the ecosystem's comparator first ("0" lowest), then walked as the OSV spec describes:
 * introduced ≤ v turns it on, fixed ≤ v / last_affected < v / limit ≤ v turn it off.
 * Unparseable versions make the range unusable (not affected).
 */
export function inRange(version: string, range: OsvRange, ecosystem: string, fixed: string[]): boolean {
  if (range.type === 'GIT') return false;
  const cmp = comparatorFor(ecosystem, range.type);
  if (!cmp) return false;
  try {
    const val = (e: OsvRange['events'][number]) => (e.introduced ?? e.fixed ?? e.last_affected ?? e.limit)!;
    const events = [...range.events].sort((a, b) => {
      const za = a.introduced === '0', zb = b.introduced === '0';
      if (za || zb) return za && zb ? 0 : za ? -1 : 1;
      return cmp(val(a), val(b));
    });
    let affected = false;
    let nextFix: string | undefined;
    for (const e of events) {
      if (e.introduced !== undefined) {
        if (e.introduced === '0' || cmp(version, e.introduced) >= 0) affected = true;
      } else if (e.fixed !== undefined) {
        if (cmp(version, e.fixed) >= 0) affected = false;
        else if (affected && nextFix === undefined) nextFix = e.fixed;
      } else if (e.last_affected !== undefined) {
        if (cmp(version, e.last_affected) > 0) affected = false;
      } else if (e.limit !== undefined) {
        if (e.limit !== '*' && cmp(version, e.limit) >= 0) affected = false;
      }
      // once past the version, later events cannot change the answer except to name the fix
      if (nextFix !== undefined) break;
    }
    if (affected && nextFix !== undefined) fixed.push(nextFix);
    return affected;
  } catch {
    return false;
  }
}

/** Accepts exact ecosystem names, or prefixes written with a trailing "*" (Red Hat's "Red Hat:enterprise_linux:9*"). */
function ecosystemFilter(ecosystems: string[]): (eco: string) => boolean {
  const exact = new Set(ecosystems.filter((e) => !e.endsWith('*')));
  const prefixes = ecosystems.filter((e) => e.endsWith('*')).map((e) => e.slice(0, -1));
  return (eco) => exact.has(eco) || prefixes.some((p) => eco.startsWith(p));
}

// Words distributions use for "known, and not going to be fixed here": Debian's tracker urgency
// "unimportant" (OSV ecosystem_specific.urgency), and status fields of other feeds.
const WONT_FIX = /^(unimportant|will[ _-]?not[ _-]?fix|won'?t[ _-]?fix|ignored|end[ _-]?of[ _-]?life|deferred|not[ _-]?planned)$/i;

/** Whether an affected entry's vendor data says no fix will come. */
export function saysWontFix(aff: OsvAffected): boolean {
  for (const bag of [aff.ecosystem_specific, aff.database_specific]) {
    if (!bag) continue;
    for (const key of ['urgency', 'status', 'fix_state', 'resolution']) {
      const v = bag[key];
      if (typeof v === 'string' && WONT_FIX.test(v.trim())) return true;
    }
  }
  return false;
}

/** Whether one affected[] entry covers `version`. */
export function affectedEntryCovers(aff: OsvAffected, ecosystem: string, version: string, fixed: string[]): boolean {
  let hit = false;
  if (aff.versions?.includes(version)) hit = true;
  for (const r of aff.ranges ?? []) if (inRange(version, r, ecosystem, fixed)) hit = true;
  return hit;
}

const idClass = (id: string) => id.startsWith('CVE-') ? 0 : id.startsWith('GHSA-') ? 1 : 2;
/** Primary-id order: CVE ids first (oldest year, then lowest number), then GHSA, then any other id; ties by natural order. */
// one collator: localeCompare with options builds one per call, which dominated matching time
const natural = new Intl.Collator('en', { numeric: true });
export function compareIds(a: string, b: string): number {
  const d = idClass(a) - idClass(b);
  if (d) return d;
  return natural.compare(a, b);
}

/** How one package is matched beyond name and version. */
export interface MatchContext {
  /** rpm packages: the module stream (RHEL-family modularity); entries of other streams do not apply */
  stream?: PackageStream;
  /** rpm packages: entries are only judged when this says so */
  rpm?: boolean;
}

/** Ids an advisory contributes to a finding, and the ids that join it with other advisories. */
interface Unit { hit: number; keys: string[]; ids: string[] }

const CVE_ID = /^CVE-\d{4}-\d+$/;

/**
 * One unit per vulnerability an advisory speaks of. A distribution advisory that fixes several CVEs
 * (an ALSA, RHSA or USN) becomes one unit per CVE, as Trivy and Grype report them: CVE-based VEX,
 * exceptions, EPSS and KEV then attach to the CVE they name, and a VEX saying one CVE does not
 * affect the image leaves the advisory's other CVEs standing. The advisory id stays an alias of each.
 */
function unitsOf(adv: StoredAdvisory, eco: string, hit: number): Unit[] {
  const cves = isLanguageBase(ecosystemBase(eco)) ? [] : adv.upstream.filter((u) => CVE_ID.test(u));
  if (cves.length >= 2) return cves.map((cve) => ({ hit, keys: [cve], ids: [cve, adv.id, ...adv.aliases] }));
  const keys = [adv.id, ...adv.aliases, ...(adv.upstream.length === 1 ? adv.upstream : [])];
  return [{ hit, keys, ids: keys }];
}

/**
 * Match advisories (already looked up by package) against one package version. `ecosystems` are the
 * OSV ecosystem names accepted (e.g. ["Ubuntu:22.04:LTS", "Ubuntu:22.04"]); the first one is used
 * for version comparison. `version` may depend on the entry (an rpm judged through its source rpm,
 * whose epoch is only known per entry). Advisories that alias each other (id, aliases, a single
 * upstream) are merged into one match; an OS advisory with several CVEs gives one match per CVE.
 */
export function matchAdvisories(advisories: StoredAdvisory[], ecosystems: string[], name: string,
  version: string | ((aff: OsvAffected) => string), ctx: MatchContext = {}): PackageMatch[] {
  const hits: { adv: StoredAdvisory; fixed: string[]; eco: string; aff: OsvAffected; v: string }[] = [];
  const accepted = ecosystemFilter(ecosystems);
  for (const adv of advisories) {
    const fixed: string[] = [];
    let hit: { eco: string; aff: OsvAffected; v: string } | undefined;
    for (const aff of adv.affected) {
      if (!aff.package || !accepted(aff.package.ecosystem)) continue;
      if (normalizePackageName(aff.package.ecosystem, aff.package.name) !== normalizePackageName(aff.package.ecosystem, name)) continue;
      if (ctx.rpm && !entryFitsStream(aff, adv.summary, ctx.stream)) continue;
      const v = typeof version === 'string' ? version : version(aff);
      if (affectedEntryCovers(aff, aff.package.ecosystem, v, fixed)) hit ??= { eco: aff.package.ecosystem, aff, v };
    }
    if (hit) hits.push({ adv, fixed, ...hit });
  }
  if (!hits.length) return [];

  // union-find over ids shared between units
  const units = hits.flatMap((h, i) => unitsOf(h.adv, h.eco, i));
  const parent = units.map((_, i) => i);
  const find = (i: number): number => { while (parent[i] !== i) { parent[i] = parent[parent[i]!]!; i = parent[i]!; } return i; };
  const owner = new Map<string, number>();
  units.forEach((u, i) => {
    for (const k of u.keys) {
      const o = owner.get(k);
      if (o === undefined) owner.set(k, i);
      else parent[find(i)] = find(o);
    }
  });
  const groups = new Map<number, Unit[]>();
  units.forEach((u, i) => { const r = find(i); const g = groups.get(r); if (g) g.push(u); else groups.set(r, [u]); });

  const out: PackageMatch[] = [];
  for (const us of groups.values()) {
    const g = [...new Set(us.map((u) => u.hit))].map((i) => hits[i]!);
    const ids = new Set<string>();
    for (const u of us) for (const id of u.ids) ids.add(id);
    const sorted = [...ids].sort(compareIds);
    const primary = sorted[0]!;
    let severity: Severity = UNKNOWN;
    const also: Severity[] = [];
    for (const h of g) {
      const base = ecosystemBase(h.eco);
      const [first, ...rest] = ownRatings(h.adv.rating, entryRating(h.aff, h.adv.id), !isLanguageBase(base), providerOf(h.adv.id, base));
      if (first) severity = maxSeverity(severity, first);
      also.push(...rest);
    }
    const byPrimary = [...g].sort((a, b) => compareIds(a.adv.id, b.adv.id));
    const summary = (byPrimary.find((h) => h.adv.id === primary || h.adv.aliases.includes(primary)) ?? byPrimary[0]!).adv.summary
      ?? byPrimary.find((h) => h.adv.summary)?.adv.summary;
    const cmp = comparatorFor(g[0]!.eco, 'ECOSYSTEM');
    const fixedVersions = [...new Set(g.flatMap((h) => h.fixed))];
    if (cmp) { try { fixedVersions.sort(cmp); } catch { fixedVersions.sort(); } }
    const wontFix = !fixedVersions.length && g.some((h) => saysWontFix(h.aff));
    out.push({
      id: primary,
      aliases: sorted.slice(1),
      advisories: [...new Set(g.map((h) => h.adv.id))].sort(compareIds),
      ecosystem: g[0]!.eco,
      fixedVersions,
      severity,
      ...(also.length ? { ratings: [severity, ...also] } : {}),
      ...(summary ? { summary } : {}),
      ...(wontFix ? { wontFix } : {}),
      ...(typeof version === 'string' ? {} : { version: g[0]!.v }),
    });
  }
  return out.sort((a, b) => compareIds(a.id, b.id));
}

/** Vulnerabilities of one package in one OSV ecosystem ("Go", "PyPI", "npm", "Debian:12"…). */
export async function matchPackage(store: VulnStore, ecosystem: string | string[], name: string, version: string): Promise<PackageMatch[]> {
  const ecos = Array.isArray(ecosystem) ? ecosystem : [ecosystem];
  const found = await store.lookup(ecos[0]!, [name]);
  return matchAdvisories(found.get(normalizePackageName(ecos[0]!, name)) ?? [], ecos, name, version);
}

/** OSV ecosystems of language registries Customs has no ecosystem module for (every other ecosystem
 *  is a distribution, whose word comes first). */
const OTHER_LANGUAGE_BASES = new Set(['Hex', 'Pub', 'CRAN', 'Hackage', 'SwiftURL', 'GitHub Actions', 'Bitnami']);
const isLanguageBase = (base: string) => isLanguageOsvBase(base) || OTHER_LANGUAGE_BASES.has(base);

// who publishes advisories with these id prefixes (the rating's provider when it is the advisory's own)
const PUBLISHERS: Record<string, string> = { GHSA: 'GitHub', PYSEC: 'PyPA', GO: 'Go', RUSTSEC: 'RustSec' };
const providerOf = (id: string, ecosystem: string) => PUBLISHERS[id.slice(0, id.indexOf('-'))] ?? ecosystem;

/** Which ecosystems judge a package: its distribution's for OS packages and for language packages
 *  owned by an OS package (those are covered by the distribution's advisories), its language's otherwise. */
function ecosystemsOf(p: PackageRecord, os: ReturnType<typeof osEcosystems>): string[] | undefined {
  const lang = languageEcosystem(p.type);
  // a Go main module built from a checkout has no version ("(devel)"): nothing can be said of it,
  // and matching it would make every `introduced: 0` advisory of that module a false positive
  if (lang && (!p.version || p.version === '(devel)')) return undefined;
  if (lang) return p.osOwned ? undefined : [lang];
  return os && os.type === p.type ? os.ecosystems : undefined;
}

/** Names a package is looked up by: its OSV identity, and for an rpm built from a differently named
 *  source rpm its own name first (AlmaLinux, Rocky, Red Hat and SUSE records list binary packages,
 *  e.g. python3-lxml of python-lxml). */
function osvNames(p: PackageRecord): string[] {
  const { name } = osvIdentity(p);
  return p.type === 'rpm' && p.name !== name ? [p.name, name] : [name];
}

/** Matching choices (config `vulndb`, `customs scan` flags). */
export interface MatchOptions {
  /** report bug-fix and enhancement advisories (RHBA, ALBA, RLEA…) as findings too */
  includeNonSecurityAdvisories?: boolean;
}

/** Vulnerabilities of an image's packages, one finding per (package, vulnerability). */
export async function matchInventory(store: VulnStore, inv: ImageInventory, opts: MatchOptions = {}): Promise<Finding[]> {
  const os = osEcosystems(inv.os);
  // group packages by the ecosystem list that judges them; one snapshot read for all groups
  const groups = new Map<string, { ecosystems: string[]; pkgs: PackageRecord[] }>();
  for (const p of inv.packages) {
    const ecos = ecosystemsOf(p, os);
    if (!ecos) continue;
    const key = ecos.join('\n');
    const g = groups.get(key);
    if (g) g.pkgs.push(p); else groups.set(key, { ecosystems: ecos, pkgs: [p] });
  }
  if (!groups.size) return [];
  const list = [...groups.values()];
  const lookupEco = (ecos: string[]) => ecos[0]!.replace(/\*$/, '');
  const found = await store.lookupMany(list.map((g) => ({ ecosystem: lookupEco(g.ecosystems), names: g.pkgs.flatMap(osvNames) })));
  const rpms = rpmsByName(inv.packages);
  const kept = (a: StoredAdvisory) => opts.includeNonSecurityAdvisories || !isNonSecurityAdvisory(a.id);
  const findings: Finding[] = [];
  list.forEach((g, gi) => {
    const accepted = ecosystemFilter(g.ecosystems);
    for (const p of g.pkgs) {
      const ctx: MatchContext = p.type === 'rpm' ? { rpm: true, stream: packageStream(p) } : {};
      const ids = new Set<string>(); // one finding per vulnerability when both names match
      for (const name of osvNames(p)) {
        let advs = found[gi]!.get(normalizePackageName(lookupEco(g.ecosystems), name))?.filter(kept);
        if (!advs?.length) continue;
        let version: string | ((aff: OsvAffected) => string) = osvIdentity(p).version;
        if (p.type === 'rpm' && name !== p.name) {
          // through the source rpm: only advisories that do not list this binary themselves, and
          // compared at the source's version
          advs = advs.filter((a) => !a.affected.some((aff) => aff.package?.name === p.name && accepted(aff.package.ecosystem)));
          version = sourceVersionOf(p, rpms);
        }
        for (const m of matchAdvisories(advs, g.ecosystems, name, version, ctx)) {
          if (!ids.has(m.id)) { ids.add(m.id); findings.push(toFinding(p, name, m.version ?? (version as string), m)); }
        }
      }
    }
  });
  await enrichFindings(store.database, findings);
  await rateFindings(store, findings);
  const byCode = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return findings.sort((a, b) => byCode(a.package.name, b.package.name) || byCode(a.package.version, b.package.version) || compareIds(a.id, b.id));
}

function toFinding(p: PackageRecord, name: string, version: string, m: PackageMatch): Finding {
  const fixedVersion = m.fixedVersions[0];
  const status: FindingStatus = fixedVersion ? 'fixed-available' : m.wontFix ? 'will-not-fix' : 'no-fix';
  // deb/apk/rpm fixes are versions of the source package; say which binary package to upgrade
  const target = name !== p.name ? `${p.name} (source ${name})` : p.name;
  const guidance = fixedVersion ? `upgrade ${target} to ${fixedVersion}`
    : status === 'will-not-fix' ? `the distribution will not fix ${name}: mitigate or accept` : 'no fix yet';
  return {
    id: m.id,
    aliases: m.aliases,
    advisories: m.advisories,
    package: {
      name: p.name, version: p.version, type: p.type,
      ...(p.sourceName ? { sourceName: p.sourceName } : {}),
      ...(p.sourceVersion ? { sourceVersion: p.sourceVersion } : {}),
      ...(p.purl ? { purl: p.purl } : {}),
    },
    ecosystem: m.ecosystem,
    matchedName: name,
    matchedVersion: version,
    fixedVersions: m.fixedVersions,
    ...(fixedVersion ? { fixedVersion } : {}),
    status,
    guidance,
    severity: m.severity,
    ...(m.ratings ? { ratings: m.ratings } : {}),
    ...(m.summary ? { summary: m.summary } : {}),
    ...(p.layer ? { layer: p.layer } : {}),
    ...(p.layerIndex !== undefined ? { layerIndex: p.layerIndex } : {}),
    foundIn: p.foundIn,
  };
}
