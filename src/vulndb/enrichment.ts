// EPSS (FIRST) and CISA KEV: parsed from untrusted files, stored per CVE, attached to findings.
import { readFile, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { Database } from '../db/client.ts';
import { CustomsError } from '../errors.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { enrichmentOf, replaceEnrichment } from './enrichment-store.ts';
import type { Epss, Finding, Kev } from './types.ts';

const CVE = /^CVE-\d{4}-\d{4,}$/;
const MAX_FILE = 64 * 1024 * 1024;      // compressed/on-disk
const MAX_TEXT = 512 * 1024 * 1024;     // after gunzip

export interface EnrichmentImport { kind: 'epss' | 'kev'; rows: number; skipped: number; date?: string }

/** Read a feed file, gunzipping it when it starts with the gzip magic, with size caps. */
async function readFeedText(path: string): Promise<string> {
  const st = await stat(path).catch((e) => { throw new CustomsError('not-found', `${path}: ${e.code === 'ENOENT' ? 'does not exist' : e.message}`); });
  if (st.size > MAX_FILE) throw new CustomsError('limit', `${path}: ${st.size} bytes is over the ${MAX_FILE}-byte cap`);
  let data = await readFile(path);
  if (data[0] === 0x1f && data[1] === 0x8b) {
    try { data = gunzipSync(data, { maxOutputLength: MAX_TEXT }); } catch (e: any) {
      throw new CustomsError(e.code === 'ERR_BUFFER_TOO_LARGE' ? 'limit' : 'corrupt', `${path}: ${e.code === 'ERR_BUFFER_TOO_LARGE' ? `inflates past ${MAX_TEXT} bytes` : `corrupt gzip (${e.message})`}`);
    }
  }
  return data.toString('utf8');
}

/** FIRST's CSV: "#model_version:…,score_date:…" then "cve,epss,percentile" then one row per CVE. */
export function parseEpss(text: string): { rows: Epss[]; skipped: number; date?: string } {
  const rows: Epss[] = [];
  let skipped = 0;
  let date: string | undefined;
  let header = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) { date ??= /score_date:([0-9T:+\-Z.]+)/.exec(line)?.[1]; continue; }
    if (!header) {
      if (!/^cve,epss,percentile$/i.test(line)) throw new CustomsError('corrupt', `EPSS: expected the header "cve,epss,percentile", found "${line.slice(0, 80)}"`);
      header = true;
      continue;
    }
    const [cve, s, p] = line.split(',');
    const score = Number(s), percentile = Number(p);
    if (!cve || !CVE.test(cve) || !(score >= 0 && score <= 1) || !(percentile >= 0 && percentile <= 1)) { skipped++; continue; }
    rows.push({ cve, score, percentile, ...(date ? { date } : {}) });
  }
  if (!header) throw new CustomsError('corrupt', 'EPSS: no "cve,epss,percentile" header');
  return { rows, skipped, ...(date ? { date } : {}) };
}

/** CISA's known_exploited_vulnerabilities.json: { catalogVersion, vulnerabilities: [{ cveID, dateAdded, … }] }. */
export function parseKev(text: string): { rows: Kev[]; skipped: number; date?: string } {
  const doc = parseUntrustedJson<any>(text, 'KEV catalog', 8);
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.vulnerabilities)) throw new CustomsError('corrupt', 'KEV: not a catalog (no "vulnerabilities" array)');
  const rows: Kev[] = [];
  let skipped = 0;
  const s = (v: unknown, max = 2000) => (typeof v === 'string' && v.length <= max ? v : undefined);
  for (const v of doc.vulnerabilities) {
    const cve = s(v?.cveID, 64), dateAdded = s(v?.dateAdded, 32);
    if (!cve || !CVE.test(cve) || !dateAdded || !/^\d{4}-\d\d-\d\d/.test(dateAdded)) { skipped++; continue; }
    const opt = (k: keyof Kev, val: unknown) => { const x = s(val); return x ? { [k]: x } : {}; };
    rows.push({
      cve, dateAdded,
      ...opt('dueDate', v.dueDate), ...opt('knownRansomwareCampaignUse', v.knownRansomwareCampaignUse),
      ...opt('vendorProject', v.vendorProject), ...opt('product', v.product),
      ...opt('vulnerabilityName', v.vulnerabilityName), ...opt('requiredAction', v.requiredAction),
    });
  }
  return { rows, skipped, ...(s(doc.dateReleased, 64) ? { date: doc.dateReleased } : {}) };
}

/** Replace the EPSS or KEV table with a file's rows in one transaction (readers see old or new). */
export async function importEnrichment(database: Database, kind: 'epss' | 'kev', path: string): Promise<EnrichmentImport> {
  const text = await readFeedText(path);
  const parsed = kind === 'epss' ? parseEpss(text) : parseKev(text);
  if (!parsed.rows.length) throw new CustomsError('corrupt', `${kind.toUpperCase()} ${path}: no usable rows (${parsed.skipped} skipped); the previous data stays`);
  await replaceEnrichment(database, kind, parsed.rows);
  return { kind, rows: parsed.rows.length, skipped: parsed.skipped, ...(parsed.date ? { date: parsed.date } : {}) };
}

/** Attach EPSS and KEV data to findings whose primary id or an alias is a CVE listed there. */
export async function enrichFindings(database: Database, findings: Finding[]): Promise<void> {
  const cvesOf = (f: Finding) => [f.id, ...f.aliases].filter((x) => CVE.test(x));
  const all = [...new Set(findings.flatMap(cvesOf))];
  if (!all.length) return;
  const { epss, kev } = await enrichmentOf(database, all);
  for (const f of findings) {
    const cves = cvesOf(f);
    // several CVEs merged into one finding: the highest EPSS, the first KEV entry
    const e = cves.map((c) => epss.get(c)).filter((x): x is Epss => !!x).sort((a, b) => b.score - a.score)[0];
    const k = cves.map((c) => kev.get(c)).find((x) => x);
    if (e) f.epss = e;
    if (k) f.kev = k;
  }
}
