import type { InStatement, Transaction } from '@libsql/client';
import type { Database } from '../db/client.ts';
import { insertRows } from '../db/statements.ts';
import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { DOCUMENT_LIMITS, documents, parseYamlSafe, verifyZip, type DocumentLimits } from './documents.ts';
import { ecosystemBase, normalizePackageName, reasonKey, validateOsv, type OsvAdvisory } from './osv.ts';
import { upstreamOf } from './advisory-kind.ts';
import { cve5Record, docKind, ghsaRecords, nvdCve, type Parsed, type SeverityRecord } from './severity-records.ts';
import { recordRating } from './severity.ts';
import { sourceName } from './source-name.ts';
import type { DbStatus, ImportResult, RecordRating, Severity, SourceImport, SourceStatus, StoredAdvisory } from './types.ts';

export { sourceName } from './source-name.ts';

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

/** Verify a downloaded zip to its last CRC without importing it. */
export const verifyOsvZip = (path: string, opts: Partial<DocumentLimits> = {}) => verifyZip(path, opts);

/** package lookups kept per store: an image fleet shares most packages, so re-evaluating thousands
 *  of inventories reads and parses each advisory once per database generation */
const LOOKUP_CACHE_ENTRIES = 50_000;

interface RunStats { withdrawn: number; skipped: number; duplicates: number; skipReasons: Record<string, number> }

/**
 * The vulnerability store, one source at a time. A source is a configured feed or an imported path:
 * importing it again replaces that source only. Each import writes under its own import id; the
 * switch is one transaction that points the source (vuln_source) at the new id and moves the database
 * generation (vuln_current) to it, so readers see the old or the new data of a source, never a mix,
 * and the database version changes whenever any source does. Rows of replaced imports are deleted after.
 */
export class VulnStore {
  readonly database: Database;
  /** (ecosystem base, normalised name) → advisories, valid for one generation only */
  private lookups: { generation: number; map: Map<string, StoredAdvisory[]> } | undefined;
  /** severity records by vulnerability id, per generation like `lookups` (re-evaluation asks for the same CVEs per image) */
  private severityCache: { generation: number; map: Map<string, SeverityRecord[]> } | undefined;
  constructor(database: Database) { this.database = database; }

  /** Import each path as its own source (directories, JSON/YAML files, zips, gzip JSON): OSV advisories,
   *  NVD CVE API 2.0 records, CVE JSON 5 records; GitHub advisories also rate their GHSA id and CVE
   *  aliases. All given sources switch together. Throws CustomsError when a source is unreadable, over a
   *  cap, corrupt or empty; every source then keeps its previous data. */
  async importFrom(paths: string[], opts: ImportOptions = {}): Promise<ImportResult> {
    if (!paths.length) throw new CustomsError('usage', 'no advisory source given');
    // a feed URL given as a name loses its credentials and query string like any other source name
    const names = opts.sourceNames?.map((n) => (/^https?:\/\//i.test(n) ? sourceName(n) : n)) ?? paths.map(sourceName);
    if (names.length !== paths.length) throw new CustomsError('usage', 'one source name per path');
    if (new Set(names).size !== names.length) throw new CustomsError('usage', `a source is given twice: ${names.join(', ')}`);
    const t0 = performance.now();
    await this.cleanup();
    const runs: (SourceImport & RunStats)[] = [];
    try {
      for (let i = 0; i < paths.length; i++) runs.push(await this.importOne(paths[i]!, names[i]!, opts));
      const generation = Math.max(...runs.map((r) => r.importId));
      const now = Date.now();
      const drop = (opts.dropSources ?? []).filter((d) => !names.includes(d));
      await this.database.client.batch([
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
        this.switchTo(generation, now),
      ], 'write');
      await this.cleanup();
      const res = summarize(runs, generation, Math.round(performance.now() - t0));
      log.info({ sources: res.sources.length, imported: res.imported, severities: res.severities, withdrawn: res.withdrawn, skipped: res.skipped, ms: res.ms }, 'advisories imported');
      return res;
    } catch (e: any) {
      const failed = runs.map((r) => r.importId);
      const running = await this.database.client.execute({ sql: `SELECT id FROM vuln_import WHERE status = 'running' AND source IN (${names.map(() => '?').join(',')})`, args: names }).catch(() => ({ rows: [] as any[] }));
      for (const row of running.rows) failed.push(Number(row.id));
      await this.database.client.batch([...new Set(failed)].map((id) => ({
        sql: `UPDATE vuln_import SET status = 'failed', finished_at = ?, error = ? WHERE id = ? AND status = 'running'`, args: [Date.now(), String(e.message).slice(0, 2000), id],
      })), 'write').catch(() => {});
      await this.cleanup().catch(() => {});
      if (e instanceof CustomsError) throw e;
      throw new CustomsError(e.code === 'ENOENT' ? 'not-found' : 'internal', `advisory import failed: ${e.message}`, { cause: e });
    }
  }

  /** Write one source's rows under a new import id (status running); the caller switches it in. */
  private async importOne(path: string, name: string, opts: ImportOptions): Promise<SourceImport & RunStats> {
    const o = { ...DOCUMENT_LIMITS, batchSize: 1000, allowEmpty: false, ...opts };
    const client = this.database.client;
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
    const acceptSeverity = async (p: Parsed) => {
      if ('error' in p) { skip(p.error); return; }
      if (p.withdrawn) { r.withdrawn++; return; }
      for (const rec of p.records) {
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
    const acceptOsv = async (value: unknown, what: string) => {
      const v = validateOsv(value);
      if (!v.ok) { skip(v.reason); log.debug({ what, reason: v.reason }, 'advisory skipped'); return; }
      const adv = v.advisory;
      if (adv.withdrawn) { r.withdrawn++; return; }
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
      if (ghsa.length) await acceptSeverity({ records: ghsa, withdrawn: false });
      if (pending.size >= o.batchSize) await flush();
    };
    const accept = async (value: unknown, what: string) => {
      switch (docKind(value)) {
        case 'nvd-response':
          for (const v of (value as { vulnerabilities: unknown[] }).vulnerabilities) await acceptSeverity(nvdCve((v as any)?.cve));
          return;
        case 'nvd-cve': return acceptSeverity(nvdCve(value));
        case 'cve5': return acceptSeverity(cve5Record(value));
        default: return acceptOsv(value, what);
      }
    };
    for await (const doc of documents(path, o)) {
      let value: unknown;
      try {
        value = doc.yaml ? parseYamlSafe(doc.data, doc.what) : parseUntrustedJson(doc.data, doc.what);
      } catch (e: any) {
        // one unreadable record is skipped; a whole document given directly must parse
        if (!doc.array) { skip(e.kind === 'limit' ? 'JSON nested too deep' : doc.yaml ? 'invalid YAML' : 'invalid JSON'); continue; }
        throw e;
      }
      if (doc.array && Array.isArray(value)) {
        for (const v of value) await accept(v, doc.what);
      } else await accept(value, doc.what);
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
  private switchTo(id: number, now: number): InStatement {
    return {
      sql: `INSERT INTO vuln_current (id, import_id, switched_at) VALUES (1, ?, ?)
            ON CONFLICT(id) DO UPDATE SET import_id = excluded.import_id, switched_at = excluded.switched_at`,
      args: [id, now],
    };
  }

  /** Drop a source (by name, or by the path / URL it was imported from). Returns what it held, or
   *  undefined when no such source is loaded. The generation moves, so stored scans are re-matched. */
  async removeSource(nameOrPath: string): Promise<SourceStatus | undefined> {
    const st = await this.status();
    const found = st.sourceDetails?.find((s) => s.name === nameOrPath) ?? st.sourceDetails?.find((s) => s.name === sourceName(nameOrPath));
    if (!found) return undefined;
    const now = Date.now();
    const ins = await this.database.client.execute({
      sql: `INSERT INTO vuln_import (sources, source, status, started_at, finished_at) VALUES (?, ?, 'removal', ?, ?) RETURNING id`,
      args: [JSON.stringify([found.name]), found.name, now, now],
    });
    await this.database.client.batch([
      { sql: `UPDATE vuln_import SET status = 'superseded' WHERE source = ? AND status = 'complete'`, args: [found.name] },
      { sql: 'DELETE FROM vuln_source WHERE name = ?', args: [found.name] },
      this.switchTo(Number(ins.rows[0]!.id), now),
    ], 'write');
    await this.cleanup();
    log.info({ source: found.name, advisories: found.advisories, severities: found.severities }, 'vulnerability source removed');
    return found;
  }

  /** Delete the rows of replaced and failed imports (and of runs abandoned more than a day ago). */
  async cleanup(): Promise<void> {
    const client = this.database.client;
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

  /** The database generation (changes with every import and removal); undefined before the first. */
  async generation(): Promise<number | undefined> {
    const r = await this.database.client.execute('SELECT import_id FROM vuln_current WHERE id = 1');
    return r.rows[0] ? Number(r.rows[0].import_id) : undefined;
  }

  /** Status of the database (what scans record as the database version) and of each source. */
  async status(): Promise<DbStatus> {
    const [cur, src] = await this.database.client.batch([
      'SELECT import_id FROM vuln_current WHERE id = 1',
      'SELECT * FROM vuln_source ORDER BY name',
    ], 'read');
    if (!cur!.rows[0] || !src!.rows.length) return { sources: [], advisories: 0, ecosystems: {} };
    const generation = Number(cur!.rows[0].import_id);
    const now = Date.now();
    const details: SourceStatus[] = src!.rows.map((row) => {
      const updated = Number(row.updated_at);
      return {
        name: String(row.name), importId: Number(row.import_id), advisories: Number(row.advisories), severities: Number(row.severities),
        severityKinds: JSON.parse(String(row.severity_kinds ?? '{}')), ecosystems: JSON.parse(String(row.ecosystems ?? '{}')),
        ...(row.max_modified != null ? { maxModified: String(row.max_modified) } : {}),
        updatedAt: new Date(updated).toISOString(), ageSeconds: Math.max(0, Math.round((now - updated) / 1000)),
      };
    });
    const ecosystems: Record<string, number> = {};
    for (const d of details) for (const [e, n] of Object.entries(d.ecosystems)) ecosystems[e] = (ecosystems[e] ?? 0) + n;
    const maxModified = details.reduce<string | undefined>((m, d) => (d.maxModified && (!m || d.maxModified > m) ? d.maxModified : m), undefined);
    return {
      importId: generation,
      sources: details.map((d) => d.name),
      sourceDetails: details,
      advisories: details.reduce((n, d) => n + d.advisories, 0),
      severities: details.reduce((n, d) => n + d.severities, 0),
      ecosystems,
      updatedAt: details.map((d) => d.updatedAt).sort().at(-1)!,
      ...(maxModified ? { maxModified } : {}),
      version: `osv-${generation}-${maxModified ?? 'none'}`,
    };
  }

  /**
   * Advisories naming any of `names` in ecosystem base `ecosystem` ("Debian", "Go"…; names as given,
   * normalised here), from one consistent snapshot of every source. Returns normalised name →
   * advisories. Pass several queries to `lookupMany` to read them all from one snapshot.
   */
  async lookup(ecosystem: string, names: string[]): Promise<Map<string, StoredAdvisory[]>> {
    return (await this.lookupMany([{ ecosystem, names }]))[0]!;
  }

  async lookupMany(queries: { ecosystem: string; names: string[] }[]): Promise<Map<string, StoredAdvisory[]>[]> {
    const tx = await this.database.client.transaction('read');
    try {
      const snap = await snapshot(tx);
      const cache = new Map<string, StoredAdvisory>();
      const out: Map<string, StoredAdvisory[]>[] = [];
      for (const q of queries) {
        const base = ecosystemBase(q.ecosystem);
        const result = new Map<string, StoredAdvisory[]>();
        out.push(result);
        if (!snap) continue;
        if (this.lookups?.generation !== snap.generation || this.lookups.map.size > LOOKUP_CACHE_ENTRIES) this.lookups = { generation: snap.generation, map: new Map() };
        const known = this.lookups.map;
        const names: string[] = [];
        for (const n of new Set(q.names.map((x) => normalizePackageName(q.ecosystem, x)))) {
          const hit = known.get(`${base}\0${n}`);
          if (hit === undefined) names.push(n);
          else if (hit.length) result.set(n, hit);
        }
        for (let i = 0; i < names.length; i += 500) {
          const chunk = names.slice(i, i + 500);
          const byName = new Map<string, Map<string, StoredAdvisory>>();
          for (const row of await readRows(tx, snap.imports, base, chunk)) {
            const key = `${row.import_id}\0${row.id}`;
            let adv = cache.get(key);
            if (!adv) { adv = rowToAdvisory(row); cache.set(key, adv); }
            const n = String(row.qname);
            let m = byName.get(n);
            if (!m) byName.set(n, m = new Map());
            // the same advisory from two sources (an OSV feed and a GHSA mirror): the newest record
            const prev = m.get(adv.id);
            if (!prev || Date.parse(adv.modified) > Date.parse(prev.modified)) m.set(adv.id, adv);
          }
          for (const [n, m] of byName) result.set(n, [...m.values()]);
          for (const n of chunk) known.set(`${base}\0${n}`, result.get(n) ?? []);
        }
      }
      return out;
    } finally {
      tx.close();
    }
  }

  /** Severity records (NVD, CVE 5, GHSA) of these vulnerability ids, from every source: id → records. */
  async severities(ids: string[]): Promise<Map<string, SeverityRecord[]>> {
    const out = new Map<string, SeverityRecord[]>();
    const wanted = [...new Set(ids)];
    if (!wanted.length) return out;
    const tx = await this.database.client.transaction('read');
    try {
      const snap = await snapshot(tx);
      if (!snap) return out;
      if (this.severityCache?.generation !== snap.generation || this.severityCache.map.size > LOOKUP_CACHE_ENTRIES) this.severityCache = { generation: snap.generation, map: new Map() };
      const known = this.severityCache.map;
      const unique: string[] = [];
      for (const id of wanted) {
        const hit = known.get(id);
        if (hit === undefined) unique.push(id);
        else if (hit.length) out.set(id, hit);
      }
      for (let i = 0; i < unique.length; i += 500) {
        const chunk = unique.slice(i, i + 500);
        const r = await tx.execute({
          sql: `SELECT id, kind, severity, modified FROM vuln_severity WHERE import_id IN (${snap.imports.map(() => '?').join(',')}) AND id IN (${chunk.map(() => '?').join(',')})`,
          args: [...snap.imports, ...chunk],
        });
        for (const row of r.rows) {
          const rec: SeverityRecord = { id: String(row.id), kind: String(row.kind) as SeverityRecord['kind'], severity: JSON.parse(String(row.severity)) as Severity,
            ...(row.modified != null ? { modified: String(row.modified) } : {}) };
          const list = out.get(rec.id);
          if (list) list.push(rec); else out.set(rec.id, [rec]);
        }
        for (const id of chunk) known.set(id, out.get(id) ?? []);
      }
      return out;
    } finally {
      tx.close();
    }
  }

  /** One advisory by its id (the newest record when several sources hold it). */
  async getAdvisory(id: string): Promise<StoredAdvisory | undefined> {
    const r = await this.database.client.execute({
      sql: `SELECT a.* FROM vuln_advisory a WHERE a.import_id IN (SELECT import_id FROM vuln_source) AND a.id = ? ORDER BY a.modified DESC LIMIT 1`,
      args: [id],
    });
    return r.rows[0] ? rowToAdvisory(r.rows[0]) : undefined;
  }
}

/** Status of the current vulnerability database. */
export function dbStatus(store: VulnStore): Promise<DbStatus> { return store.status(); }

/** The generation and the import ids of every source, read inside one transaction. */
async function snapshot(tx: Transaction): Promise<{ generation: number; imports: number[] } | undefined> {
  const cur = await tx.execute('SELECT import_id FROM vuln_current WHERE id = 1');
  const src = await tx.execute('SELECT import_id FROM vuln_source');
  if (!cur.rows[0] || !src.rows.length) return undefined;
  return { generation: Number(cur.rows[0].import_id), imports: src.rows.map((r) => Number(r.import_id)) };
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

async function readRows(tx: Transaction, imports: number[], ecosystem: string, names: string[]) {
  const r = await tx.execute({
    sql: `SELECT a.import_id, a.id, a.aliases, a.upstream, a.summary, a.severity, a.modified, a.published, a.affected, f.name AS qname
          FROM vuln_affected f JOIN vuln_advisory a ON a.import_id = f.import_id AND a.id = f.advisory_id
          WHERE f.import_id IN (${imports.map(() => '?').join(',')}) AND f.ecosystem = ? AND f.name IN (${names.map(() => '?').join(',')})`,
    args: [...imports, ecosystem, ...names],
  });
  return r.rows;
}

/** The stored rating: {cvss, word}; databases from before per-source imports hold one Severity. */
function readRating(text: string): RecordRating {
  const v = JSON.parse(text);
  if (v && typeof v.rating === 'string') {
    if (v.rating === 'unknown') return {};
    return /cvss/.test(String(v.source)) ? { cvss: { ...v, source: 'advisory' } } : { word: { ...v, source: 'advisory' } };
  }
  return v ?? {};
}

function rowToAdvisory(row: Record<string, unknown>): StoredAdvisory {
  return {
    id: String(row.id),
    aliases: JSON.parse(String(row.aliases)),
    upstream: JSON.parse(String(row.upstream ?? '[]')),
    ...(row.summary != null ? { summary: String(row.summary) } : {}),
    rating: readRating(String(row.severity)),
    modified: String(row.modified),
    ...(row.published != null ? { published: String(row.published) } : {}),
    affected: JSON.parse(String(row.affected)),
  };
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

