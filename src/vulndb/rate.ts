// The rating of each finding, from the sources that have one, in this order:
//   1. the matched advisory's own rating — for OS packages the distribution's (vendor), for language
//      packages the advisory's (GHSA/PYSEC CVSS) — computed in match.ts from the entry that matched;
//   2. NVD's own (Primary) score of a CVE the finding names;
//   3. a GitHub advisory joined by GHSA id or CVE alias;
//   4. a secondary score NVD carries (the CNA's, CISA-ADP's);
//   5. the CVE Program's record (CVE JSON 5): the CNA's metrics, then an ADP's (CISA Vulnrichment).
// The first that knows is the finding's `severity`; all of them are listed in `ratings`. `unknown`
// stays only when no loaded source rates any of the finding's ids.
import type { SeverityKind } from './severity-records.ts';
import { maxSeverity } from './severity.ts';
import type { VulnStore } from './store.ts';
import type { Finding, Severity } from './types.ts';

const TIERS: SeverityKind[] = ['nvd', 'ghsa', 'nvd-secondary', 'cve5-cna', 'cve5-adp'];
const JOINABLE = /^(CVE-\d{4}-\d{4,}|GHSA-[\w-]+)$/;

const idsOf = (f: Finding) => [f.id, ...f.aliases].filter((x) => JOINABLE.test(x));

/** Fill in `severity` and `ratings` of findings from the severity records of every loaded source. */
export async function rateFindings(store: VulnStore, findings: Finding[]): Promise<void> {
  if (!findings.length) return;
  const records = await store.severities(findings.flatMap(idsOf));
  for (const f of findings) {
    const ratings: Severity[] = f.severity.rating === 'unknown' ? [] : f.ratings?.length ? [...f.ratings] : [f.severity];
    for (const kind of TIERS) {
      let best: Severity | undefined;
      // a finding merging several CVEs is rated by the worst of them
      for (const id of idsOf(f)) for (const r of records.get(id) ?? []) if (r.kind === kind) best = best ? maxSeverity(best, r.severity) : r.severity;
      // a GitHub advisory that matched as the advisory itself is listed once
      if (best && !ratings.some((x) => x.record !== undefined && x.record === best!.record && x.vector === best!.vector && x.rating === best!.rating)) ratings.push(best);
    }
    if (!ratings.length) continue;
    f.severity = ratings[0]!;
    f.ratings = ratings;
  }
}
