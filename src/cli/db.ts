import type { Config } from '../config/schema.ts';
import { openDatabase, type Database } from '../db/client.ts';
import { CustomsError } from '../errors.ts';
import { renderTable } from '../util/table.ts';
import { safeUrl } from '../util/safe-url.ts';
import { feedStatusRows } from '../vulndb/feed-store.ts';
import { importEnrichment } from '../vulndb/enrichment.ts';
import { VulnStore } from '../vulndb/store.ts';
import type { DbStatus, ImportResult } from '../vulndb/types.ts';
import { progressEnabled } from './terminal.ts';

export interface DbFlags { format?: string; db?: string }

/** `customs db update | import <path>... | status | remove <source>...`. Returns the exit code. */
export async function dbCommand(args: string[], cfg: Config, flags: DbFlags): Promise<number> {
  const [sub, ...paths] = args;
  const database = await openDb(cfg, flags.db);
  try {
    const store = new VulnStore(database);
    switch (sub) {
      case 'status': {
        if (paths.length) throw new CustomsError('usage', 'customs db status takes no arguments');
        const st = { ...(await store.status()), ...(await feedStatus(database)) };
        process.stdout.write(flags.format === 'json' ? JSON.stringify(st, null, 2) + '\n' : statusText(st) + feedText(st));
        return 0;
      }
      case 'import': {
        if (!paths.length) throw new CustomsError('usage', 'customs db import needs at least one path (OSV all.zip, directory or JSON file; NVD CVE API 2.0 JSON (.json, .json.gz, .zip); CVE JSON 5 records; EPSS .csv/.csv.gz; KEV known_exploited_vulnerabilities.json)');
        const kindOf = (p: string) => /\.csv(\.gz)?$/i.test(p) ? 'epss' : /(known_exploited_vulnerabilities|kev)[^/]*\.json$/i.test(p) ? 'kev' : 'osv';
        for (const p of paths.filter((x) => kindOf(x) !== 'osv')) {
          const r = await importEnrichment(database, kindOf(p) as 'epss' | 'kev', p);
          process.stdout.write(`${r.kind.toUpperCase()}: ${r.rows} CVEs${r.date ? ` (${r.date})` : ''}, ${r.skipped} rows skipped\n`);
        }
        const osv = paths.filter((x) => kindOf(x) === 'osv');
        if (osv.length) process.stdout.write(importText(await store.importFrom(osv)));
        return 0;
      }
      case 'update': {
        if (paths.length) throw new CustomsError('usage', 'customs db update takes no arguments (sources are configured under vulndb.sources)');
        const progress = feedProgress();
        let r;
        // the download stack (undici) is loaded only for the command that downloads
        const { updateVulnDb } = await import('../vulndb/update.ts');
        try { r = await updateVulnDb(cfg, database, progress ? { onProgress: progress.onProgress } : {}); } finally { progress?.done(); }
        for (const f of r.feeds) {
          const what = f.status === 'failed' ? `FAILED: ${f.error}${f.usedPrevious ? ' (previous download used)' : ''}` : f.status + (f.bytes !== undefined ? ` (${f.bytes} bytes)` : '');
          (f.status === 'failed' ? process.stderr : process.stdout).write(`${f.kind} ${safeUrl(f.source)}: ${what}\n`);
        }
        for (const e of r.enrichment) process.stdout.write(`${e.kind.toUpperCase()}: ${e.rows} CVEs, ${e.skipped} rows skipped\n`);
        process.stdout.write(r.import ? importText(r.import) : 'advisories unchanged\n');
        return 0;
      }
      case 'remove': {
        if (!paths.length) throw new CustomsError('usage', 'customs db remove needs a source name (as "customs db status" lists it) or the path it was imported from');
        for (const p of paths) {
          const gone = await store.removeSource(p);
          if (!gone) throw new CustomsError('not-found', `no source "${p}" is loaded (customs db status lists them)`);
          process.stdout.write(`removed ${gone.name}: ${gone.advisories} advisories, ${gone.severities} severity records\n`);
        }
        return 0;
      }
      default:
        throw new CustomsError('usage', `customs db needs a subcommand: update, import <path>..., status, remove <source>...${sub ? ` (not "${sub}")` : ''}`);
    }
  } finally {
    database.close();
  }
}

/** --db: operate on that database (a path or a libsql URL) instead of the configured one. */
async function openDb(cfg: Config, spec: string | undefined): Promise<Database> {
  if (!spec) return openDatabase(cfg);
  const url = /^(file:|libsql:\/\/|https?:\/\/|wss?:\/\/)/.test(spec) ? spec : `file:${spec}`;
  return openDatabase({ ...cfg, database: { ...cfg.database, url } });
}

export function importText(r: ImportResult): string {
  const ecos = (e: Record<string, number>) => Object.entries(e).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
  const kinds = (k: Record<string, number>) => Object.entries(k).map(([kind, n]) => `${kind} ${n}`).join(', ');
  const reasons = Object.entries(r.skipReasons).map(([k, n]) => `  ${n} × ${k}\n`).join('');
  const per = r.perSource.map((s) => `  ${s.name}: ${s.advisories} advisories (${ecos(s.ecosystems) || 'none'}), ${s.severities} severity records${s.severities ? ` (${kinds(s.severityKinds)})` : ''}\n`).join('');
  return `imported ${r.imported} advisories (${ecos(r.ecosystems) || 'none'}) and ${r.severities} severity records from ${r.sources.length} source${r.sources.length === 1 ? '' : 's'} in ${r.ms} ms; `
    + `${r.withdrawn} withdrawn, ${r.duplicates} duplicates, ${r.skipped} skipped; other sources unchanged\n${per}${reasons}`;
}

const age = (s: number) => s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : s < 172800 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86400)}d`;

export function statusText(st: DbStatus): string {
  if (st.importId === undefined) return 'vulnerability database: empty (run "customs db update" or "customs db import <path>")\n';
  const rows = Object.entries(st.ecosystems).sort((a, b) => a[0].localeCompare(b[0])).map(([e, n]) => [e, String(n)]);
  const sources = (st.sourceDetails ?? []).map((s) => [s.name, String(s.advisories), String(s.severities),
    Object.entries(s.ecosystems).sort((a, b) => b[1] - a[1]).map(([e, n]) => `${e} ${n}`).join(', ') || Object.keys(s.severityKinds).join(', '), age(s.ageSeconds)]);
  return `database version ${st.version}\nlast update ${st.updatedAt}; newest advisory ${st.maxModified ?? '-'}\n${st.advisories} advisories and ${st.severities ?? 0} severity records from ${st.sources.length} sources\n\n`
    + renderTable(['SOURCE', 'ADVISORIES', 'SEVERITIES', 'ECOSYSTEMS', 'AGE'], sources) + '\n'
    + renderTable(['ECOSYSTEM', 'ADVISORIES'], rows);
}

/** One progress line per feed on stderr, only on a terminal. */
function feedProgress(): { onProgress: (source: string, got: number, total: number | undefined) => void; done: () => void } | undefined {
  if (!progressEnabled()) return undefined;
  let last = 0;
  let shown = false;
  return {
    onProgress: (source, got, total) => {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      const mb = (n: number) => (n / 1048576).toFixed(1);
      process.stderr.write(`\r${safeUrl(source)}: ${mb(got)}${total ? ` / ${mb(total)}` : ''} MB   `);
    },
    done: () => { if (shown) process.stderr.write('\n'); },
  };
}

interface FeedStatus { feeds: { source: string; kind: string; checkedAt?: string; changedAt?: string; lastError?: string }[]; epss: number; kev: number }

/** Feed downloads (last check, last change, last error) and enrichment row counts. */
async function feedStatus(database: Database): Promise<FeedStatus> {
  const st = await feedStatusRows(database);
  return {
    feeds: st.feeds.map((r) => ({
      source: safeUrl(r.source), kind: r.kind,
      ...(r.checkedAt !== null ? { checkedAt: new Date(r.checkedAt).toISOString() } : {}),
      ...(r.changedAt !== null ? { changedAt: new Date(r.changedAt).toISOString() } : {}),
      ...(r.lastError !== null ? { lastError: r.lastError } : {}),
    })),
    epss: st.epss, kev: st.kev,
  };
}

function feedText(st: FeedStatus): string {
  const rows = st.feeds.map((f) => [f.kind, f.source, f.checkedAt ?? '', f.changedAt ?? '', f.lastError ?? '']);
  return `\nEPSS: ${st.epss} CVEs; KEV: ${st.kev} CVEs\n` + (rows.length ? '\n' + renderTable(['KIND', 'FEED', 'CHECKED', 'CHANGED', 'LAST ERROR'], rows) : '');
}
