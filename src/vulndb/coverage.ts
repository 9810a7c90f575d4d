// Honest coverage: for each ecosystem an image's packages are judged in, how many packages there are
// and how many could be judged against loaded advisory data — so "no findings" is never mistaken for
// "clean" when no data was there to find anything ("124 deb packages: no Debian advisories loaded").
import type { ImageInventory, PackageRecord } from '../types.ts';
import { isOsType, languageEcosystem, osEcosystems } from '../ecosystems/index.ts';

export interface EcosystemCoverage {
  /** the OSV ecosystem the packages are judged in ("Debian:12", "npm"), or what stands for none */
  ecosystem: string;
  /** package type of the bucket (deb, apk, rpm, npm, pypi…) */
  packageType: string;
  packages: number;
  /** packages matched against loaded advisory data */
  judged: number;
  /** why the others were not (one line each) */
  reasons: string[];
}

/** The ecosystem base a name is counted under in the store ("Debian:12" → "Debian", "Red Hat:…*" → "Red Hat"). */
export function ecosystemBase(ecosystem: string): string {
  return ecosystem.replace(/\*$/, '').split(':')[0]!;
}

/**
 * Coverage of one platform's packages, given the advisories loaded per ecosystem base (the store's
 * status). Language packages a distribution package installed are judged with the distribution.
 */
export function coverageOf(inv: Pick<ImageInventory, 'os' | 'packages'>, loaded: Record<string, number>): EcosystemCoverage[] {
  const os = osEcosystems(inv.os);
  const buckets = new Map<string, EcosystemCoverage>();
  const add = (ecosystem: string, packageType: string, judged: boolean, reason?: string) => {
    const key = `${ecosystem}\0${packageType}`;
    let b = buckets.get(key);
    if (!b) { b = { ecosystem, packageType, packages: 0, judged: 0, reasons: [] }; buckets.set(key, b); }
    b.packages++;
    if (judged) b.judged++;
    else if (reason && !b.reasons.includes(reason) && b.reasons.length < 5) b.reasons.push(reason);
  };
  const osName = inv.os ? `${inv.os.id}${inv.os.versionId ? ` ${inv.os.versionId}` : ''}` : 'unknown';
  // the distribution's bucket is the same for every OS package: worked out once, not per package
  const osEco = os?.ecosystems[0]!.replace(/\*$/, '');
  const osBase = osEco ? ecosystemBase(osEco) : undefined;
  const osJudged = osBase !== undefined && (loaded[osBase] ?? 0) > 0;
  const osReason = osBase !== undefined ? `no ${osBase} advisories loaded` : undefined;
  const judgeOs = (p: PackageRecord, type: string) => {
    if (!os) return add(`${type} (${osName})`, type, false, inv.os ? `no OSV ecosystem is known for ${osName}` : 'the distribution is unknown (no os-release)');
    if (os.type !== p.type && !p.osOwned) return add(`${p.type} (on ${osName})`, p.type, false, `${p.type} packages on a ${osName} image have no advisory ecosystem`);
    add(osEco!, os.type, osJudged, osReason);
  };
  for (const p of inv.packages) {
    if (isOsType(p.type) || p.osOwned) { judgeOs(p, p.type); continue; }
    const lang = languageEcosystem(p.type);
    if (!lang) { add(`${p.type} (no ecosystem)`, p.type, false, `no advisory ecosystem for ${p.type} packages`); continue; }
    if (!p.version || p.version === '(devel)') { add(lang, p.type, false, 'no version (a development build)'); continue; }
    add(lang, p.type, (loaded[lang] ?? 0) > 0, `no ${lang} advisories loaded`);
  }
  return [...buckets.values()].sort((a, b) => a.ecosystem.localeCompare(b.ecosystem));
}

/** "deb Debian:12: 124 packages, none judged (no Debian advisories loaded)" — one line per bucket. */
export function coverageLines(coverage: EcosystemCoverage[]): string[] {
  return coverage.map((c) => {
    const judged = c.judged === c.packages ? 'all judged' : c.judged === 0 ? 'none judged' : `${c.judged} judged`;
    return `${c.packageType} ${c.ecosystem}: ${c.packages} ${c.packages === 1 ? 'package' : 'packages'}, ${judged}${c.reasons.length && c.judged < c.packages ? ` (${c.reasons.join('; ')})` : ''}`;
  });
}
