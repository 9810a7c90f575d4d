// The read side of the vulnerability store: the database generation and status, and package and
// severity lookups from one consistent snapshot of every source, cached per generation (an image fleet
// shares most packages, so re-evaluating thousands of inventories reads and parses each advisory once
// per database generation).
import type { Transaction } from '@libsql/client';
import type { Database } from '../db/client.ts';
import { ecosystemBase, normalizePackageName } from './osv.ts';
import type { SeverityRecord } from './severity-records.ts';
import type { DbStatus, RecordRating, Severity, SourceStatus, StoredAdvisory } from './types.ts';

/** package lookups kept per store: an image fleet shares most packages, so re-evaluating thousands
 *  of inventories reads and parses each advisory once per database generation */
const LOOKUP_CACHE_ENTRIES = 50_000;

/** Status of the database (what scans record as the database version) and of each source. */
export async function readStatus(database: Database): Promise<DbStatus> {
  const [cur, src] = await database.client.batch([
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

/** Cached reads of the vulnerability store; the caches are valid for one database generation. */
export class VulnLookups {
  readonly database: Database;
  /** (ecosystem base, normalised name) → advisories, valid for one generation only */
  private lookups: { generation: number; map: Map<string, StoredAdvisory[]> } | undefined;
  /** severity records by vulnerability id, per generation like `lookups` (re-evaluation asks for the same CVEs per image) */
  private severityCache: { generation: number; map: Map<string, SeverityRecord[]> } | undefined;
  constructor(database: Database) { this.database = database; }

  /** The database generation (changes with every import and removal); undefined before the first. */
  async generation(): Promise<number | undefined> {
    const r = await this.database.client.execute('SELECT import_id FROM vuln_current WHERE id = 1');
    return r.rows[0] ? Number(r.rows[0].import_id) : undefined;
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

/** The generation and the import ids of every source, read inside one transaction. */
async function snapshot(tx: Transaction): Promise<{ generation: number; imports: number[] } | undefined> {
  const cur = await tx.execute('SELECT import_id FROM vuln_current WHERE id = 1');
  const src = await tx.execute('SELECT import_id FROM vuln_source');
  if (!cur.rows[0] || !src.rows.length) return undefined;
  return { generation: Number(cur.rows[0].import_id), imports: src.rows.map((r) => Number(r.import_id)) };
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
