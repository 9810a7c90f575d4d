import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { crc32 } from 'node:zlib';
import type { InStatement, Transaction } from '@libsql/client';
import yauzl from 'yauzl';
import { parse as parseYaml } from 'yaml';
import type { Database } from '../db/client.ts';
import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { ecosystemBase, normalizePackageName, reasonKey, validateOsv, type OsvAdvisory } from './osv.ts';
import { severityOf } from './severity.ts';
import type { DbStatus, ImportResult, Severity, StoredAdvisory } from './types.ts';

export interface ImportOptions {
  /** advisories written per transaction */
  batchSize?: number;
  /** largest single advisory file (directory entries, zip entries) */
  maxFileBytes?: number;
  /** largest JSON/YAML file given directly (may hold an array of advisories) */
  maxDocumentBytes?: number;
  /** entries in one zip */
  maxZipEntries?: number;
  /** total uncompressed bytes read from one zip */
  maxZipBytes?: number;
  /** names recorded for the sources (e.g. the feed URLs a downloaded file came from); default the paths */
  sourceNames?: string[];
  /** accept an import with no advisories (otherwise it fails and the previous data stays current) */
  allowEmpty?: boolean;
  /** called after each committed batch (progress; tests use it to read mid-import) */
  onBatch?: (p: { importId: number; imported: number; batches: number }) => void | Promise<void>;
}

const DEFAULTS = {
  allowEmpty: false,
  batchSize: 1000,
  maxFileBytes: 16 * 1024 * 1024,
  maxDocumentBytes: 512 * 1024 * 1024,
  maxZipEntries: 2_000_000,
  maxZipBytes: 16 * 1024 * 1024 * 1024,
};

/** A document read from a source: raw bytes and a name for messages. */
interface Doc { what: string; data: Buffer; yaml: boolean; array: boolean }

const isAdvisoryFile = (name: string) => /\.(json|ya?ml)$/i.test(name);

/**
 * The OSV advisory store. Each import writes under its own import id; `vuln_current` is switched
 * in one transaction when the import is complete, so readers see either the old or the new data,
 * never a mix or an empty database. Rows of superseded and failed imports are deleted afterwards.
 */
/** package lookups kept per store: an image fleet shares most packages, so re-evaluating thousands
 *  of inventories reads and parses each advisory once per database version */
const LOOKUP_CACHE_ENTRIES = 50_000;

export class VulnStore {
  readonly database: Database;
  /** (ecosystem base, normalised name) → advisories, valid for one import id only */
  private lookups: { importId: number; map: Map<string, StoredAdvisory[]> } | undefined;
  constructor(database: Database) { this.database = database; }

  /** Import advisories from directories (recursive, *.json / *.yaml), JSON/YAML files (one advisory
   *  or an array) and OSV zip files (all.zip) as one import. Throws CustomsError when a source is
   *  unreadable, over a cap or corrupt; the previous import then stays current. */
  async importFrom(sources: string[], opts: ImportOptions = {}): Promise<ImportResult> {
    const o = { ...DEFAULTS, ...opts };
    if (!sources.length) throw new CustomsError('usage', 'no advisory source given');
    const client = this.database.client;
    const t0 = performance.now();
    await this.cleanup();
    const ins = await client.execute({
      sql: 'INSERT INTO vuln_import (sources, status, started_at) VALUES (?, ?, ?) RETURNING id',
      args: [JSON.stringify(o.sourceNames ?? sources), 'running', Date.now()],
    });
    const importId = Number(ins.rows[0]!.id);
    const res: ImportResult = {
      importId, sources: o.sourceNames ?? sources, imported: 0, withdrawn: 0, skipped: 0, duplicates: 0, skipReasons: {}, ecosystems: {}, ms: 0,
    };
    const seen = new Map<string, { modified: string; ecos: string[] }>();
    let pending = new Map<string, OsvAdvisory>();
    let replaced: string[] = [];
    let batches = 0;
    const skip = (reason: string) => {
      res.skipped++;
      const k = reasonKey(reason);
      res.skipReasons[k] = (res.skipReasons[k] ?? 0) + 1;
    };
    const flush = async () => {
      if (!pending.size && !replaced.length) return;
      await client.batch([...this.pragmas(), ...this.insertStatements(importId, [...pending.values()], replaced)], 'write');
      pending = new Map();
      replaced = [];
      batches++;
      if (o.onBatch) await o.onBatch({ importId, imported: res.imported, batches });
    };
    const accept = async (value: unknown, what: string) => {
      const r = validateOsv(value);
      if (!r.ok) { skip(r.reason); log.debug({ what, reason: r.reason }, 'advisory skipped'); return; }
      const adv = r.advisory;
      if (adv.withdrawn) { res.withdrawn++; return; }
      const ecos = [...new Set((adv.affected ?? []).flatMap((a) => a.package ? [ecosystemBase(a.package.ecosystem)] : []))];
      const prev = seen.get(adv.id);
      if (prev) {
        res.duplicates++;
        // the newest record of an id wins; equal or older duplicates are ignored
        if (Date.parse(adv.modified) <= Date.parse(prev.modified)) return;
        if (!pending.has(adv.id)) replaced.push(adv.id);
        for (const e of prev.ecos) res.ecosystems[e]!--;
        res.imported--;
      }
      seen.set(adv.id, { modified: adv.modified, ecos });
      for (const e of ecos) res.ecosystems[e] = (res.ecosystems[e] ?? 0) + 1;
      res.imported++;
      if (!res.maxModified || adv.modified > res.maxModified) res.maxModified = adv.modified;
      pending.set(adv.id, adv);
      if (pending.size >= o.batchSize) await flush();
    };
    try {
      for (const src of sources) {
        for await (const doc of this.documents(src, o)) {
          let value: unknown;
          try {
            value = doc.yaml ? parseYamlSafe(doc.data, doc.what) : parseUntrustedJson(doc.data, doc.what);
          } catch (e: any) {
            // one unreadable advisory is skipped; a whole document given directly must parse
            if (!doc.array) { skip(e.kind === 'limit' ? 'JSON nested too deep' : doc.yaml ? 'invalid YAML' : 'invalid JSON'); continue; }
            throw e;
          }
          if (doc.array && Array.isArray(value)) {
            for (const v of value) await accept(v, doc.what);
          } else await accept(value, doc.what);
        }
      }
      await flush();
      // a wrong path or an emptied mirror must not wipe the database readers rely on
      if (res.imported === 0 && !o.allowEmpty) {
        throw new CustomsError('not-found', `no advisories found in ${sources.join(', ')} (${res.skipped} skipped, ${res.withdrawn} withdrawn); the previous data stays current`);
      }
      res.ms = Math.round(performance.now() - t0);
      await client.batch([
        ...this.pragmas(),
        {
          sql: `UPDATE vuln_import SET status = 'complete', finished_at = ?, advisories = ?, withdrawn = ?, skipped = ?,
                skip_reasons = ?, ecosystems = ?, max_modified = ? WHERE id = ?`,
          args: [Date.now(), res.imported, res.withdrawn, res.skipped, JSON.stringify(res.skipReasons),
            JSON.stringify(res.ecosystems), res.maxModified ?? null, importId],
        },
        {
          sql: `INSERT INTO vuln_current (id, import_id, switched_at) VALUES (1, ?, ?)
                ON CONFLICT(id) DO UPDATE SET import_id = excluded.import_id, switched_at = excluded.switched_at`,
          args: [importId, Date.now()],
        },
        { sql: `UPDATE vuln_import SET status = 'superseded' WHERE id <> ? AND status = 'complete'`, args: [importId] },
      ], 'write');
    } catch (e: any) {
      await client.batch([
        { sql: `UPDATE vuln_import SET status = 'failed', finished_at = ?, error = ? WHERE id = ?`, args: [Date.now(), String(e.message).slice(0, 2000), importId] },
      ], 'write').catch(() => {});
      await this.cleanup().catch(() => {});
      if (e instanceof CustomsError) throw e;
      throw new CustomsError(e.code === 'ENOENT' ? 'not-found' : 'internal', `advisory import failed: ${e.message}`, { cause: e });
    }
    await this.cleanup();
    log.info({ importId, imported: res.imported, withdrawn: res.withdrawn, skipped: res.skipped, ms: res.ms }, 'advisories imported');
    return res;
  }

  /** Pool connections other than the first lack openDatabase's busy_timeout; writes set it (embedded files only). */
  private pragmas(): InStatement[] {
    return this.database.url.startsWith('file:') ? ['PRAGMA busy_timeout=10000'] : [];
  }

  private insertStatements(importId: number, advs: OsvAdvisory[], replaced: string[]): InStatement[] {
    const stmts: InStatement[] = [];
    for (const id of replaced) {
      stmts.push({ sql: 'DELETE FROM vuln_advisory WHERE import_id = ? AND id = ?', args: [importId, id] });
      stmts.push({ sql: 'DELETE FROM vuln_affected WHERE import_id = ? AND advisory_id = ?', args: [importId, id] });
    }
    const advRows: (string | number | null)[][] = [];
    const affRows: (string | number)[][] = [];
    for (const a of advs) {
      const severity: Severity = severityOf(a, a.affected?.[0]);
      advRows.push([importId, a.id, JSON.stringify(a.aliases ?? []), JSON.stringify(a.upstream ?? []), a.summary ?? null,
        JSON.stringify(severity), a.modified, a.published ?? null, JSON.stringify((a.affected ?? []).map(slimAffected))]);
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
    pushMultiRow(stmts, 'INSERT OR REPLACE INTO vuln_advisory (import_id, id, aliases, upstream, summary, severity, modified, published, affected) VALUES', advRows, 100);
    pushMultiRow(stmts, 'INSERT OR IGNORE INTO vuln_affected (import_id, ecosystem, name, advisory_id) VALUES', affRows, 200);
    return stmts;
  }

  /** Delete the rows of superseded and failed imports (and of runs abandoned more than a day ago). */
  async cleanup(): Promise<void> {
    const client = this.database.client;
    const cur = await this.currentImportId();
    const stale = await client.execute({
      sql: `SELECT id FROM vuln_import WHERE id <> ? AND (status IN ('superseded', 'failed') OR (status = 'running' AND started_at < ?))`,
      args: [cur ?? -1, Date.now() - 24 * 3600_000],
    });
    for (const row of stale.rows) {
      const id = Number(row.id);
      await client.batch([
        ...this.pragmas(),
        { sql: 'DELETE FROM vuln_affected WHERE import_id = ?', args: [id] },
        { sql: 'DELETE FROM vuln_advisory WHERE import_id = ?', args: [id] },
        { sql: `UPDATE vuln_import SET status = CASE status WHEN 'running' THEN 'failed' ELSE status END WHERE id = ?`, args: [id] },
      ], 'write');
    }
  }

  private async *documents(src: string, o: typeof DEFAULTS): AsyncGenerator<Doc> {
    let st;
    try { st = await stat(src); } catch (e: any) {
      throw new CustomsError('not-found', `advisory source ${src}: ${e.code === 'ENOENT' ? 'does not exist' : e.message}`);
    }
    if (st.isDirectory()) {
      const entries = await readdir(src, { recursive: true, withFileTypes: true });
      const files = entries.filter((e) => e.isFile() && isAdvisoryFile(e.name))
        .map((e) => join(e.parentPath, e.name)).sort();
      // read ahead a few files at once: one at a time, the import waits on the file system
      const queue: Promise<Buffer>[] = [];
      let next = 0;
      const fill = () => {
        while (queue.length < 32 && next < files.length) {
          const p = readCapped(files[next++]!, o.maxFileBytes);
          p.catch(() => {}); // observed when its turn comes; never an unhandled rejection meanwhile
          queue.push(p);
        }
      };
      try {
        for (const f of files) {
          fill();
          const data = await queue.shift()!;
          yield { what: relative(src, f), data, yaml: /\.ya?ml$/i.test(f), array: false };
        }
      } finally {
        // settle what was started so no rejection goes unhandled
        await Promise.allSettled(queue);
      }
      return;
    }
    if (!st.isFile()) throw new CustomsError('unsupported', `advisory source ${src} is neither a file nor a directory`);
    const head = Buffer.alloc(4);
    const fh = await open(src, 'r');
    try { await fh.read(head, 0, 4, 0); } finally { await fh.close(); }
    if (head.readUInt32LE(0) === 0x04034b50 || /\.zip$/i.test(src)) {
      yield* zipDocuments(src, o);
      return;
    }
    if (st.size > o.maxDocumentBytes) throw new CustomsError('limit', `${src}: ${st.size} bytes is over the ${o.maxDocumentBytes}-byte cap`);
    yield { what: src, data: await readFile(src), yaml: /\.ya?ml$/i.test(src), array: true };
  }

  async currentImportId(): Promise<number | undefined> {
    const r = await this.database.client.execute('SELECT import_id FROM vuln_current WHERE id = 1');
    return r.rows[0] ? Number(r.rows[0].import_id) : undefined;
  }

  /** Status of the current import (what scans record as the database version). */
  async status(): Promise<DbStatus> {
    const r = await this.database.client.execute(`SELECT i.* FROM vuln_current c JOIN vuln_import i ON i.id = c.import_id WHERE c.id = 1`);
    const row = r.rows[0];
    if (!row) return { sources: [], advisories: 0, ecosystems: {} };
    const importId = Number(row.id);
    const maxModified = row.max_modified == null ? undefined : String(row.max_modified);
    return {
      importId,
      sources: JSON.parse(String(row.sources)),
      advisories: Number(row.advisories),
      ecosystems: JSON.parse(String(row.ecosystems)),
      updatedAt: new Date(Number(row.finished_at)).toISOString(),
      ...(maxModified ? { maxModified } : {}),
      version: `osv-${importId}-${maxModified ?? 'none'}`,
    };
  }

  /**
   * Advisories naming any of `names` in ecosystem base `ecosystem` ("Debian", "Go"…; names as given,
   * normalised here), from one consistent snapshot of the current import. Returns normalised name →
   * advisories. Pass several queries to `lookupMany` to read them all from one snapshot.
   */
  async lookup(ecosystem: string, names: string[]): Promise<Map<string, StoredAdvisory[]>> {
    return (await this.lookupMany([{ ecosystem, names }]))[0]!;
  }

  async lookupMany(queries: { ecosystem: string; names: string[] }[]): Promise<Map<string, StoredAdvisory[]>[]> {
    const tx = await this.database.client.transaction('read');
    try {
      const cur = await tx.execute('SELECT import_id FROM vuln_current WHERE id = 1');
      const importId = cur.rows[0] ? Number(cur.rows[0].import_id) : undefined;
      const cache = new Map<string, StoredAdvisory>();
      const out: Map<string, StoredAdvisory[]>[] = [];
      for (const q of queries) {
        const base = ecosystemBase(q.ecosystem);
        const result = new Map<string, StoredAdvisory[]>();
        out.push(result);
        if (importId === undefined) continue;
        if (this.lookups?.importId !== importId || this.lookups.map.size > LOOKUP_CACHE_ENTRIES) this.lookups = { importId, map: new Map() };
        const known = this.lookups.map;
        const names: string[] = [];
        for (const n of new Set(q.names.map((x) => normalizePackageName(q.ecosystem, x)))) {
          const hit = known.get(`${base}\0${n}`);
          if (hit === undefined) names.push(n);
          else if (hit.length) result.set(n, hit);
        }
        for (let i = 0; i < names.length; i += 500) {
          const chunk = names.slice(i, i + 500);
          const rows = await readRows(tx, importId, base, chunk);
          for (const row of rows) {
            const id = String(row.id);
            let adv = cache.get(id);
            if (!adv) { adv = rowToAdvisory(row); cache.set(id, adv); }
            const n = String(row.qname);
            const list = result.get(n);
            if (list) list.push(adv); else result.set(n, [adv]);
          }
          for (const n of chunk) known.set(`${base}\0${n}`, result.get(n) ?? []);
        }
      }
      return out;
    } finally {
      tx.close();
    }
  }

  /** One advisory of the current import by its id. */
  async getAdvisory(id: string): Promise<StoredAdvisory | undefined> {
    const r = await this.database.client.execute({
      sql: `SELECT a.* FROM vuln_advisory a WHERE a.import_id = (SELECT import_id FROM vuln_current WHERE id = 1) AND a.id = ?`,
      args: [id],
    });
    return r.rows[0] ? rowToAdvisory(r.rows[0]) : undefined;
  }
}

/** Status of the current vulnerability database. */
export function dbStatus(store: VulnStore): Promise<DbStatus> { return store.status(); }

async function readRows(tx: Transaction, importId: number, ecosystem: string, names: string[]) {
  const r = await tx.execute({
    sql: `SELECT a.id, a.aliases, a.upstream, a.summary, a.severity, a.modified, a.published, a.affected, f.name AS qname
          FROM vuln_affected f JOIN vuln_advisory a ON a.import_id = f.import_id AND a.id = f.advisory_id
          WHERE f.import_id = ? AND f.ecosystem = ? AND f.name IN (${names.map(() => '?').join(',')})`,
    args: [importId, ecosystem, ...names],
  });
  return r.rows;
}

function rowToAdvisory(row: Record<string, unknown>): StoredAdvisory {
  return {
    id: String(row.id),
    aliases: JSON.parse(String(row.aliases)),
    upstream: JSON.parse(String(row.upstream ?? '[]')),
    ...(row.summary != null ? { summary: String(row.summary) } : {}),
    severity: JSON.parse(String(row.severity)),
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

function pushMultiRow(stmts: InStatement[], prefix: string, rows: (string | number | null)[][], per: number) {
  for (let i = 0; i < rows.length; i += per) {
    const chunk = rows.slice(i, i + per);
    const ph = '(' + chunk[0]!.map(() => '?').join(',') + ')';
    stmts.push({ sql: `${prefix} ${chunk.map(() => ph).join(',')}`, args: chunk.flat() });
  }
}

async function readCapped(path: string, max: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size > max) throw new CustomsError('limit', `${path}: advisory file of ${size} bytes is over the ${max}-byte cap`);
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

function parseYamlSafe(data: Buffer, what: string): unknown {
  try {
    // failsafe schema: every scalar stays a string (versions such as 1.10 must not become numbers);
    // aliases capped against expansion bombs
    return parseYaml(data.toString('utf8'), { schema: 'failsafe', maxAliasCount: 100, uniqueKeys: false });
  } catch (e: any) {
    throw new CustomsError('corrupt', `${what}: invalid YAML (${e.message})`);
  }
}

/** Read a whole OSV zip (caps, CRC of every entry) without importing it; returns the advisory entries.
 *  Downloads are checked with it before they replace the previous good file. */
export async function verifyOsvZip(path: string, opts: ImportOptions = {}): Promise<number> {
  let n = 0;
  for await (const _doc of zipDocuments(path, { ...DEFAULTS, ...opts })) n++;
  return n;
}

/** Advisory documents (*.json entries) of an OSV zip, streamed one entry at a time with caps and CRC checks. */
async function* zipDocuments(path: string, o: typeof DEFAULTS): AsyncGenerator<Doc> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { validateEntrySizes: true, strictFileNames: false, decodeStrings: true });
  } catch (e: any) {
    throw new CustomsError('corrupt', `${path}: not a readable zip (${e.message})`, { cause: e });
  }
  let entries = 0;
  let total = 0;
  try {
    while (true) {
      const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
        const onEntry = (e: yauzl.Entry) => { done(); resolve(e); };
        const onEnd = () => { done(); resolve(null); };
        const onError = (err: Error) => { done(); reject(new CustomsError('corrupt', `${path}: ${err.message}`, { cause: err })); };
        const done = () => { zip.off('entry', onEntry); zip.off('end', onEnd); zip.off('error', onError); };
        zip.on('entry', onEntry); zip.on('end', onEnd); zip.on('error', onError);
        zip.readEntry();
      });
      if (!entry) return;
      if (++entries > o.maxZipEntries) throw new CustomsError('limit', `${path}: more than ${o.maxZipEntries} entries`);
      if (entry.fileName.endsWith('/') || !/\.json$/i.test(entry.fileName)) continue;
      if (entry.uncompressedSize > o.maxFileBytes) {
        throw new CustomsError('limit', `${path}: entry ${entry.fileName} of ${entry.uncompressedSize} bytes is over the ${o.maxFileBytes}-byte cap`);
      }
      total += entry.uncompressedSize;
      if (total > o.maxZipBytes) throw new CustomsError('limit', `${path}: more than ${o.maxZipBytes} uncompressed bytes`);
      let stream;
      try { stream = await zip.openReadStreamPromise(entry); } catch (e: any) {
        throw new CustomsError('corrupt', `${path}: entry ${entry.fileName}: ${e.message}`, { cause: e });
      }
      const parts: Buffer[] = [];
      let n = 0;
      try {
        for await (const c of stream) {
          n += (c as Buffer).length;
          if (n > o.maxFileBytes) { stream.destroy(); throw new CustomsError('limit', `${path}: entry ${entry.fileName} is over the ${o.maxFileBytes}-byte cap`); }
          parts.push(c as Buffer);
        }
      } catch (e: any) {
        if (e instanceof CustomsError) throw e;
        throw new CustomsError('corrupt', `${path}: entry ${entry.fileName}: ${e.message}`, { cause: e });
      }
      const data = Buffer.concat(parts, n);
      if ((crc32(data) >>> 0) !== (entry.crc32 >>> 0)) throw new CustomsError('corrupt', `${path}: entry ${entry.fileName} fails its CRC check`);
      yield { what: `${path}!${entry.fileName}`, data, yaml: false, array: false };
    }
  } finally {
    zip.close();
  }
}
