// EPSS scores and CISA KEV entries (tables `vuln_epss` and `vuln_kev`): replaced whole by an import,
// read per CVE when findings are enriched.
import type { InStatement } from '@libsql/client';
import type { Database } from '../db/client.ts';
import { insertRows } from '../db/statements.ts';
import type { Epss, Kev } from './types.ts';

/** Replace the EPSS or KEV table with these rows in one transaction (readers see old or new). */
export async function replaceEnrichment(database: Database, kind: 'epss' | 'kev', all: readonly (Epss | Kev)[]): Promise<void> {
  const stmts: InStatement[] = [`DELETE FROM vuln_${kind}`];
  if (kind === 'epss') {
    stmts.push(...insertRows('vuln_epss', ['cve', 'score', 'percentile', 'date'], ['cve'], 'replace',
      (all as readonly Epss[]).map((r) => [r.cve, r.score, r.percentile, r.date ?? null]), 200));
  } else {
    stmts.push(...insertRows('vuln_kev', ['cve', 'date_added', 'due_date', 'ransomware', 'vendor_project', 'product', 'name', 'required_action'], ['cve'], 'replace',
      (all as readonly Kev[]).map((r) => [r.cve, r.dateAdded, r.dueDate ?? null, r.knownRansomwareCampaignUse ?? null, r.vendorProject ?? null, r.product ?? null, r.vulnerabilityName ?? null, r.requiredAction ?? null]), 200));
  }
  await database.client.batch(stmts, 'write');
}

/** The EPSS and KEV data of some CVEs (those listed), by CVE. */
export async function enrichmentOf(database: Database, all: readonly string[]): Promise<{ epss: Map<string, Epss>; kev: Map<string, Kev> }> {
  const epss = new Map<string, Epss>();
  const kev = new Map<string, Kev>();
  for (let i = 0; i < all.length; i += 500) {
    const chunk = all.slice(i, i + 500);
    const ph = chunk.map(() => '?').join(',');
    const [e, k] = await database.client.batch([
      { sql: `SELECT cve, score, percentile, date FROM vuln_epss WHERE cve IN (${ph})`, args: chunk },
      { sql: `SELECT * FROM vuln_kev WHERE cve IN (${ph})`, args: chunk },
    ], 'read');
    for (const r of e!.rows) epss.set(String(r.cve), { cve: String(r.cve), score: Number(r.score), percentile: Number(r.percentile), ...(r.date != null ? { date: String(r.date) } : {}) });
    for (const r of k!.rows) {
      const o = (key: keyof Kev, v: unknown) => (v != null ? { [key]: String(v) } : {});
      kev.set(String(r.cve), { cve: String(r.cve), dateAdded: String(r.date_added), ...o('dueDate', r.due_date), ...o('knownRansomwareCampaignUse', r.ransomware),
        ...o('vendorProject', r.vendor_project), ...o('product', r.product), ...o('vulnerabilityName', r.name), ...o('requiredAction', r.required_action) });
    }
  }
  return { epss, kev };
}
