// `customs db update` and the service's refresh: download the configured feeds (conditional GETs),
// check them, import them. A feed that fails keeps its previous good file; the database keeps its
// previous import unless a new one completes.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/client.ts';
import { feedDownloaded, feedFailed, feedRow, feedUnchanged } from './feed-store.ts';
import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';
import { downloadToFile } from '../util/download.ts';
import { safeUrl } from '../util/safe-url.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { importEnrichment, type EnrichmentImport } from './enrichment.ts';
import { documents, DOCUMENT_LIMITS } from './documents.ts';
import { sourceName, VulnStore } from './store.ts';
import type { ImportResult } from './types.ts';

export type FeedKind = 'osv' | 'epss' | 'kev';
export interface FeedOutcome {
  source: string;
  kind: FeedKind;
  /** downloaded: new data; unchanged: 304; local: a path; failed: see error (previous file used when usedPrevious) */
  status: 'downloaded' | 'unchanged' | 'local' | 'failed';
  bytes?: number;
  error?: string;
  usedPrevious?: boolean;
}
export interface UpdateResult {
  feeds: FeedOutcome[];
  /** the import of the sources that changed, when one ran (undefined: every feed unchanged) */
  import?: ImportResult;
  enrichment: EnrichmentImport[];
  /** nothing new anywhere */
  unchanged: boolean;
}
export interface UpdateOptions {
  onProgress?: (source: string, got: number, total: number | undefined) => void;
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);


/** Update the vulnerability database from cfg.vulndb. Throws only when no OSV data is usable at all. */
export async function updateVulnDb(cfg: Config, database: Database, opts: UpdateOptions = {}): Promise<UpdateResult> {
  const store = new VulnStore(database);
  const dir = resolve(cfg.dataDir, 'feeds');
  mkdirSync(dir, { recursive: true });
  const feeds: FeedOutcome[] = [];
  const enrichment: EnrichmentImport[] = [];

  // enrichment first: each replaces its own table atomically, independent of the OSV import
  for (const [kind, source] of [['epss', cfg.vulndb.epss], ['kev', cfg.vulndb.kev]] as const) {
    if (!source) continue;
    const got = await fetchFeed(cfg, database, dir, kind, source, opts, async (file) => { enrichment.push(await importEnrichment(database, kind, file)); });
    feeds.push(got.outcome);
  }

  // each configured feed is its own source: only the feeds that changed (or are not loaded yet) are
  // imported, and they switch in together
  const loaded = new Set((await store.status()).sources);
  const files: string[] = [];
  const names: string[] = [];
  for (const source of cfg.vulndb.sources) {
    const got = await fetchFeed(cfg, database, dir, 'osv', source, opts, checkFeedFile);
    feeds.push(got.outcome);
    const name = sourceName(source);
    if (!got.file) continue;
    const changed = got.outcome.status === 'downloaded' || got.outcome.status === 'local';
    if (changed || !loaded.has(name)) { files.push(got.file); names.push(name); }
  }
  const usable = feeds.some((f) => f.kind === 'osv' && (f.status !== 'failed' || f.usedPrevious)) || loaded.size > 0;
  if (!usable) {
    const why = feeds.filter((f) => f.kind === 'osv').map((f) => `${safeUrl(f.source)}: ${f.error}`).join('; ');
    throw new CustomsError('unreachable', `vulnerability update: no source is usable (${why || 'none configured'}); the previous data stays current`);
  }
  // a database migrated from before per-source imports holds one "legacy" source: it goes once every
  // configured feed is loaded on its own
  const configured = cfg.vulndb.sources.map(sourceName);
  const complete = configured.length > 0 && configured.every((n) => loaded.has(n) || names.includes(n));
  let imported: ImportResult | undefined;
  if (files.length) imported = await store.importFrom(files, { sourceNames: names, ...(complete ? { dropSources: ['legacy'] } : {}) });
  else if (complete && loaded.has('legacy')) await store.removeSource('legacy');
  const unchanged = !imported && enrichment.length === 0;
  log.info({ feeds: feeds.map((f) => ({ source: safeUrl(f.source), status: f.status, error: f.error })), imported: imported?.imported, severities: imported?.severities }, 'vulnerability update done');
  return { feeds, ...(imported ? { import: imported } : {}), enrichment, unchanged };
}

/** A downloaded feed must read to its end: every zip entry to its CRC, a JSON document (gzip too) must parse. */
async function checkFeedFile(file: string): Promise<void> {
  let n = 0;
  for await (const doc of documents(file, DOCUMENT_LIMITS)) {
    if (doc.array) parseUntrustedJson(doc.data, file);
    n++;
  }
  if (!n) throw new CustomsError('corrupt', 'the file holds no record');
}

/**
 * One feed: a local path is used as it is; a URL is fetched conditionally into dataDir/feeds, checked
 * by `accept` (which may also import it), and only then replaces the previous file. On failure the
 * previous file (if any) is used and the reason recorded.
 */
async function fetchFeed(cfg: Config, database: Database, dir: string, kind: FeedKind, source: string, opts: UpdateOptions,
  accept: (file: string) => Promise<void>): Promise<{ outcome: FeedOutcome; file?: string }> {
  if (!isUrl(source)) {
    try {
      if (kind !== 'osv') await accept(source);
      else if (!existsSync(source)) throw new CustomsError('not-found', `${source} does not exist`);
      // a local path is imported as it is: whether it changed is not known
      return { outcome: { source, kind, status: 'local' }, file: source };
    } catch (e: any) {
      return { outcome: { source, kind, status: 'failed', error: e.message } };
    }
  }
  const prev = await feedRow(database, source);
  const prevFile = prev?.file && existsSync(prev.file) ? prev.file : undefined;
  const path = new URL(source).pathname;
  const ext = kind === 'osv' ? (/\.json\.gz$/i.test(path) ? '.json.gz' : /\.json$/i.test(path) ? '.json' : '.zip') : kind === 'epss' ? '.csv.gz' : '.json';
  const file = join(dir, `${kind}-${createHash('sha256').update(source).digest('hex').slice(0, 16)}${ext}`);
  const part = `${file}.part`;
  const now = Date.now();
  try {
    const res = await downloadToFile(source, part, {
      validators: prevFile ? { ...(prev?.etag ? { etag: prev.etag } : {}), ...(prev?.last_modified ? { lastModified: prev.last_modified } : {}) } : {},
      maxBytes: cfg.vulndb.maxDownloadBytes, timeoutMs: cfg.http.timeoutMs, bodyTimeoutMs: cfg.http.bodyTimeoutMs,
      ...(opts.onProgress ? { onBytes: (got: number, total: number | undefined) => opts.onProgress!(source, got, total) } : {}),
    });
    if (res.status === 'unchanged') {
      await feedUnchanged(database, source, now);
      return { outcome: { source, kind, status: 'unchanged' }, file: prevFile! };
    }
    try { await accept(part); } catch (e: any) {
      await rm(part, { force: true });
      throw e instanceof CustomsError ? e : new CustomsError('corrupt', e.message);
    }
    await rename(part, file);
    await feedDownloaded(database, source, kind, res, file, now);
    return { outcome: { source, kind, status: 'downloaded', bytes: res.bytes }, file };
  } catch (e: any) {
    const error = String(e.message ?? e).slice(0, 500);
    await feedFailed(database, source, kind, error, now);
    log.warn({ source: safeUrl(source), error }, 'feed update failed');
    return { outcome: { source, kind, status: 'failed', error, ...(prevFile ? { usedPrevious: true } : {}) }, ...(prevFile && kind === 'osv' ? { file: prevFile } : {}) };
  }
}
