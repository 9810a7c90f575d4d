// The transactional import: one source's records (source-reader.ts) written in batches under a new
// import id, then every given source switched in by one transaction that also moves the database
// generation; removing a source and deleting the rows of replaced imports. The SQL is portable
// (SQLite and PostgreSQL: ON CONFLICT, insertRows from db/statements.ts).
import type { InStatement } from '@libsql/client';
import type { Database } from '../db/client.ts';
import { insertRows } from '../db/statements.ts';
import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';
import { DOCUMENT_LIMITS, type DocumentLimits } from './documents.ts';
import { ecosystemBase, normalizePackageName, reasonKey, type OsvAdvisory } from './osv.ts';
import { upstreamOf } from './advisory-kind.ts';
import { ghsaRecords, type SeverityRecord } from './severity-records.ts';
import { recordRating } from './severity.ts';
import { sourceName } from './source-name.ts';
import { readSource } from './source-reader.ts';
import { readStatus } from './lookups.ts';
import type { ImportResult, RecordRating, SourceImport, SourceStatus } from './types.ts';

export interface ImportOptions extends Partial<DocumentLimits> {
  /** advisories written per transaction */
  batchSize?: number;
  /** names of the sources, one per path (e.g. the feed URLs downloaded files came from); default each path's canonical name */
  sourceNames?: string[];
  /** accept a source with nothing in it (otherwise the import fails and the previous data stays current) */
  allowEmpty?: boolean;
  /** sources dropped in the same switch (db update: the import a migrated database started with) */
  dropSources?: string[];
  /** called after each committed batch (progress; tests use it to read mid-import) */
  onBatch?: (p: { importId: number; imported: number; batches: number }) => void | Promise<void>;
}

interface RunStats { withdrawn: number; skipped: number; duplicates: number; skipReasons: Record<string, number> }

/** Import each path as its own source (directories, JSON/YAML files, zips, gzip JSON): OSV advisories,
 *  NVD CVE API 2.0 records, CVE JSON 5 records; GitHub advisories also rate their GHSA id and CVE
 *  aliases. All given sources switch together. Throws CustomsError when a source is unreadable, over a
 *  cap, corrupt or empty; every source then keeps its previous data. */
export async function importSources(database: Database, paths: string[], opts: ImportOptions = {}): Promise<ImportResult> {
  if (!paths.length) throw new CustomsError('usage', 'no advisory source given');
  // a feed URL given as a name loses its credentials and query string like any other source name
  const names = opts.sourceNames?.map((n) => (/^https?:\/\//i.test(n) ? sourceName(n) : n)) ?? paths.map(sourceName);
  if (names.length !== paths.length) throw new CustomsError('usage', 'one source name per path');
  if (new Set(names).size !== names.length) throw new CustomsError('usage', `a source is given twice: ${names.join(', ')}`);
  const t0 = performance.now();
  await cleanup(database);
  const runs: (SourceImport & RunStats)[] = [];
  try {
    for (let i = 0; i < paths.length; i++) runs.push(await importOne(database, paths[i]!, names[i]!, opts));
    const generation = Math.max(...runs.map((r) => r.importId));
    const now = Date.now();
    const drop = (opts.dropSources ?? []).filter((d) => !names.includes(d));
    await database.client.batch([
      ...runs.flatMap((r): InStatement[] => [
        {
          sql: `UPDATE vuln_import SET status = 'complete', finished_at = ?, advisories = ?, severities = ?, withdrawn = ?, skipped = ?,
                skip_reasons = ?, ecosystems = ?, max_modified = ? WHERE id = ?`,
          args: [now, r.advisories, r.severities, r.withdrawn, r.skipped, JSON.stringify(r.skipReasons), JSON.stringify(r.ecosystems), r.maxModified ?? null, r.importId],
        },
        { sql: `UPDATE vuln_import SET status = 'superseded' WHERE source = ? AND status = 'complete' AND id <> ?`, args: [r.name, r.importId] },
        {
          sql: `INSERT INTO vuln_source (name, import_id, advisories, severities, severity_kinds, ecosystems, max_modified, updated_at) VALUES (?,?,?,?,?,?,?,?)
                ON CONFLICT(name) DO UPDATE SET import_id = excluded.import_id, advisories = excluded.advisories, severities = excluded.severities,
                severity_kinds = excluded.severity_kinds, ecosystems = excluded.ecosystems, max_modified = excluded.max_modified, updated_at = excluded.updated_at`,
          args: [r.name, r.importId, r.advisories, r.severities, JSON.stringify(r.severityKinds), JSON.stringify(r.ecosystems), r.maxModified ?? null, now],
        },
      ]),
      ...drop.flatMap((d): InStatement[] => [
        { sql: `UPDATE vuln_import SET status = 'superseded' WHERE source = ? AND status = 'complete'`, args: [d] },
        { sql: 'DELETE FROM vuln_source WHERE name = ?', args: [d] },
      ]),
      switchTo(generation, now),
    ], 'write');
    await cleanup(database);
    const res = summarize(runs, generation, Math.round(performance.now() - t0));
    log.info({ sources: res.sources.length, imported: res.imported, severities: res.severities, withdrawn: res.withdrawn, skipped: res.skipped, ms: res.ms }, 'advisories imported');
    return res;
  } catch (e: any) {
    const failed = runs.map((r) => r.importId);
    const running = await database.client.execute({ sql: `SELECT id FROM vuln_import WHERE status = 'running' AND source IN (${names.map(() => '?').join(',')})`, args: names }).catch(() => ({ rows: [] as any[] }));
    for (const row of running.rows) failed.push(Number(row.id));
    await database.client.batch([...new Set(failed)].map((id) => ({
      sql: `UPDATE vuln_import SET status = 'failed', finished_at = ?, error = ? WHERE id = ? AND status = 'running'`, args: [Date.now(), String(e.message).slice(0, 2000), id],
    })), 'write').catch(() => {});
    await cleanup(database).catch(() => {});
    if (e instanceof CustomsError) throw e;
    throw new CustomsError(e.code === 'ENOENT' ? 'not-found' : 'internal', `advisory import failed: ${e.message}`, { cause: e });
  }
}

/** Write one source's rows under a new import id (status running); the caller switches it in. */
async function importOne(database: Database, path: string, name: string, opts: ImportOptions): Promise<SourceImport & RunStats> {
  const o = { ...DOCUMENT_LIMITS, batchSize: 1000, allowEmpty: false, ...opts };
  const client = database.client;
  const ins = await client.execute({
    sql: 'INSERT INTO vuln_import (sources, source, status, started_at) VALUES (?, ?, ?, ?) RETURNING id',
    args: [JSON.stringify([name]), name, 'running', Date.now()],
  });
  const importId = Number(ins.rows[0]!.id);
  const r: SourceImport & RunStats = {
    name, importId, advisories: 0, severities: 0, severityKinds: {}, ecosystems: {}, withdrawn: 0, skipped: 0, duplicates: 0, skipReasons: {},
  };
  const seen = new Map<string, { modified: string; ecos: string[] }>();
  const sevSeen = new Map<string, string>(); // id \0 kind → modified
  let pending = new Map<string, { adv: OsvAdvisory; rating: RecordRating }>();
  let pendingSev = new Map<string, SeverityRecord>();
  let replaced: string[] = [];
  let batches = 0;
  const skip = (reason: string) => {
    r.skipped++;
    const k = reasonKey(reason);
    r.skipReasons[k] = (r.skipReasons[k] ?? 0) + 1;
  };
  const flush = async () => {
    if (!pending.size && !replaced.length && !pendingSev.size) return;
    await client.batch([...insertStatements(importId, [...pending.values()], replaced, [...pendingSev.values()])], 'write');
    pending = new Map();
    pendingSev = new Map();
    replaced = [];
    batches++;
    if (o.onBatch) await o.onBatch({ importId, imported: r.advisories, batches });
  };
  const acceptSeverity = async (records: SeverityRecord[]) => {
    for (const rec of records) {
      const key = `${rec.id}\0${rec.kind}`;
      const prev = sevSeen.get(key);
      if (prev !== undefined) {
        r.duplicates++;
        // the newest record of a CVE wins within a source
        if ((rec.modified ?? '') <= prev) continue;
      }
      sevSeen.set(key, rec.modified ?? '');
      pendingSev.set(key, rec);
    }
    if (pendingSev.size >= o.batchSize * 4) await flush();
  };
  const acceptOsv = async (adv: OsvAdvisory) => {
    const ecos = [...new Set((adv.affected ?? []).flatMap((a) => a.package ? [ecosystemBase(a.package.ecosystem)] : []))];
    const prev = seen.get(adv.id);
    if (prev) {
      r.duplicates++;
      // the newest record of an id wins; equal or older duplicates are ignored
      if (Date.parse(adv.modified) <= Date.parse(prev.modified)) return;
      if (!pending.has(adv.id)) replaced.push(adv.id);
      for (const e of prev.ecos) r.ecosystems[e]!--;
      r.advisories--;
    }
    seen.set(adv.id, { modified: adv.modified, ecos });
    for (const e of ecos) r.ecosystems[e] = (r.ecosystems[e] ?? 0) + 1;
    r.advisories++;
    if (!r.maxModified || adv.modified > r.maxModified) r.maxModified = adv.modified;
    const rating = recordRating(adv);
    pending.set(adv.id, { adv, rating });
    const ghsa = ghsaRecords(adv, rating);
    if (ghsa.length) await acceptSeverity(ghsa);
    if (pending.size >= o.batchSize) await flush();
  };
  for await (const rec of readSource(path, o)) {
    switch (rec.type) {
      case 'advisory': await acceptOsv(rec.adv); break;
      case 'severity': await acceptSeverity(rec.records); break;
      case 'withdrawn': r.withdrawn++; break;
      case 'skipped': skip(rec.reason); break;
    }
  }
  await flush();
  r.severities = sevSeen.size;
  for (const key of sevSeen.keys()) { const kind = key.slice(key.indexOf('\0') + 1); r.severityKinds[kind] = (r.severityKinds[kind] ?? 0) + 1; }
  // a wrong path or an emptied mirror must not wipe the data readers rely on
  if (r.advisories === 0 && r.severities === 0 && !o.allowEmpty) {
    throw new CustomsError('not-found', `no advisories or severity records found in ${path} (${r.skipped} skipped, ${r.withdrawn} withdrawn); the previous data of ${name} stays current`);
  }
  return r;
}

/** Move the database generation to `id` (a fresh import or removal id: never a value seen before). */
function switchTo(id: number, now: number): InStatement {
  return {
    sql: `INSERT INTO vuln_current (id, import_id, switched_at) VALUES (1, ?, ?)
          ON CONFLICT(id) DO UPDATE SET import_id = excluded.import_id, switched_at = excluded.switched_at`,
    args: [id, now],
  };
}

/** Drop a source (by name, or by the path / URL it was imported from). Returns what it held, or
 *  undefined when no such source is loaded. The generation moves, so stored scans are re-matched. */
export async function removeSource(database: Database, nameOrPath: string): Promise<SourceStatus | undefined> {
  const st = await readStatus(database);
  const found = st.sourceDetails?.find((s) => s.name === nameOrPath) ?? st.sourceDetails?.find((s) => s.name === sourceName(nameOrPath));
  if (!found) return undefined;
  const now = Date.now();
  const ins = await database.client.execute({
    sql: `INSERT INTO vuln_import (sources, source, status, started_at, finished_at) VALUES (?, ?, 'removal', ?, ?) RETURNING id`,
    args: [JSON.stringify([found.name]), found.name, now, now],
  });
  await database.client.batch([
    { sql: `UPDATE vuln_import SET status = 'superseded' WHERE source = ? AND status = 'complete'`, args: [found.name] },
    { sql: 'DELETE FROM vuln_source WHERE name = ?', args: [found.name] },
    switchTo(Number(ins.rows[0]!.id), now),
  ], 'write');
  await cleanup(database);
  log.info({ source: found.name, advisories: found.advisories, severities: found.severities }, 'vulnerability source removed');
  return found;
}

/** Delete the rows of replaced and failed imports (and of runs abandoned more than a day ago). */
export async function cleanup(database: Database): Promise<void> {
  const client = database.client;
  const stale = await client.execute({
    sql: `SELECT id FROM vuln_import WHERE id NOT IN (SELECT import_id FROM vuln_source)
          AND (status IN ('superseded', 'failed') OR (status = 'running' AND started_at < ?))`,
    args: [Date.now() - 24 * 3600_000],
  });
  for (const row of stale.rows) {
    const id = Number(row.id);
    await client.batch([
      { sql: 'DELETE FROM vuln_affected WHERE import_id = ?', args: [id] },
      { sql: 'DELETE FROM vuln_advisory WHERE import_id = ?', args: [id] },
      { sql: 'DELETE FROM vuln_severity WHERE import_id = ?', args: [id] },
      { sql: `UPDATE vuln_import SET status = CASE status WHEN 'running' THEN 'failed' WHEN 'superseded' THEN 'deleted' ELSE status END WHERE id = ?`, args: [id] },
    ], 'write');
  }
}

function summarize(runs: (SourceImport & RunStats)[], generation: number, ms: number): ImportResult {
  const res: ImportResult = {
    importId: generation, sources: runs.map((r) => r.name), perSource: [], imported: 0, severities: 0, withdrawn: 0, skipped: 0, duplicates: 0,
    skipReasons: {}, ecosystems: {}, ms,
  };
  for (const r of runs) {
    const { withdrawn, skipped, duplicates, skipReasons, ...src } = r;
    res.perSource.push(src);
    res.imported += r.advisories;
    res.severities += r.severities;
    res.withdrawn += withdrawn;
    res.skipped += skipped;
    res.duplicates += duplicates;
    for (const [k, n] of Object.entries(skipReasons)) res.skipReasons[k] = (res.skipReasons[k] ?? 0) + n;
    for (const [e, n] of Object.entries(r.ecosystems)) res.ecosystems[e] = (res.ecosystems[e] ?? 0) + n;
    if (r.maxModified && (!res.maxModified || r.maxModified > res.maxModified)) res.maxModified = r.maxModified;
  }
  return res;
}

function insertStatements(importId: number, advs: { adv: OsvAdvisory; rating: RecordRating }[], replaced: string[], sevs: SeverityRecord[]): InStatement[] {
  const stmts: InStatement[] = [];
  for (const id of replaced) {
    stmts.push({ sql: 'DELETE FROM vuln_advisory WHERE import_id = ? AND id = ?', args: [importId, id] });
    stmts.push({ sql: 'DELETE FROM vuln_affected WHERE import_id = ? AND advisory_id = ?', args: [importId, id] });
  }
  const advRows: (string | number | null)[][] = [];
  const affRows: (string | number)[][] = [];
  for (const { adv: a, rating } of advs) {
    advRows.push([importId, a.id, JSON.stringify(a.aliases ?? []), JSON.stringify(upstreamOf(a)), a.summary ?? null,
      JSON.stringify(rating), a.modified, a.published ?? null, JSON.stringify((a.affected ?? []).map(slimAffected))]);
    const keys = new Set<string>();
    for (const af of a.affected ?? []) {
      if (!af.package) continue;
      const eco = ecosystemBase(af.package.ecosystem);
      const name = normalizePackageName(af.package.ecosystem, af.package.name);
      const k = eco + '\0' + name;
      if (keys.has(k)) continue;
      keys.add(k);
      affRows.push([importId, eco, name, a.id]);
    }
  }
  stmts.push(...insertRows('vuln_advisory', ['import_id', 'id', 'aliases', 'upstream', 'summary', 'severity', 'modified', 'published', 'affected'],
    ['import_id', 'id'], 'replace', advRows, 100));
  stmts.push(...insertRows('vuln_affected', ['import_id', 'ecosystem', 'name', 'advisory_id'], ['import_id', 'ecosystem', 'name', 'advisory_id'], 'ignore', affRows, 200));
  stmts.push(...insertRows('vuln_severity', ['import_id', 'id', 'kind', 'severity', 'modified'], ['import_id', 'id', 'kind'], 'replace',
    sevs.map((s) => [importId, s.id, s.kind, JSON.stringify(s.severity), s.modified ?? null]), 200));
  return stmts;
}

/**
 * The part of an affected entry matching and reports read. Vendor bags keep their scalar fields
 * (urgency, severity, status…) and drop nested data such as Go's per-symbol `imports`, which made
 * rows several times larger and lookups slower without being used.
 */
function slimAffected(af: NonNullable<OsvAdvisory['affected']>[number]) {
  const scalars = (bag: Record<string, unknown> | undefined) => {
    if (!bag) return undefined;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(bag)) if (v === null || typeof v !== 'object') out[k] = v;
    return Object.keys(out).length ? out : undefined;
  };
  const { ecosystem_specific: es, database_specific: ds, ...rest } = af;
  const e = scalars(es), d = scalars(ds);
  return { ...rest, ...(e ? { ecosystem_specific: e } : {}), ...(d ? { database_specific: d } : {}) };
}
