// `db update` against a local feed server speaking plain HTTP: real OSV zips built from the Go
// fixtures, EPSS CSV (gzip) and KEV JSON in their published formats; 304s, 500s, truncated bodies,
// corrupt zips; the previous data always stays usable.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../src/config/schema.ts';
import { openDatabase } from '../src/db/client.ts';
import { matchInventory } from '../src/vulndb/match.ts';
import { startVulnDbRefresh } from '../src/vulndb/refresh.ts';
import { VulnStore } from '../src/vulndb/store.ts';
import { updateVulnDb } from '../src/vulndb/update.ts';
import { caught } from './helpers/util.ts';
import { GO_DIR, GO_FILES, GO_WITHDRAWN, PYPI_DIR, PYPI_FILES, PYPI_WITHDRAWN, buildZip, goFiles } from './vulndb-helpers.ts';

type Route = { body: Buffer; etag: string; lastModified: string; mode: 'ok' | '500' | 'truncate' };
const routes = new Map<string, Route>();
const seen: { path: string; ifNoneMatch?: string; ifModifiedSince?: string; status: number }[] = [];
let server: Server;
let base: string;

// EPSS as FIRST publishes it (values here are test values): a model/date comment line, then the header
const epssCsv = '#model_version:v2023.03.01,score_date:2024-10-01T00:00:00+0000\ncve,epss,percentile\n'
  + 'CVE-2020-36567,0.00136,0.49526\nCVE-2020-28483,0.00211,0.58957\nnot-a-cve,0.5,0.5\nCVE-2021-44228,0.97565,0.99998\n';
// KEV catalog shape (cisa.gov known_exploited_vulnerabilities.json)
const kevJson = JSON.stringify({
  title: 'CISA Catalog of Known Exploited Vulnerabilities', catalogVersion: '2024.10.01', dateReleased: '2024-10-01T17:00:00.000Z', count: 2,
  vulnerabilities: [
    { cveID: 'CVE-2020-36567', vendorProject: 'Gin-Gonic', product: 'Gin', vulnerabilityName: 'Gin Log Injection (test entry)', dateAdded: '2024-09-30',
      shortDescription: 'test', requiredAction: 'Apply mitigations per vendor instructions.', dueDate: '2024-10-21', knownRansomwareCampaignUse: 'Unknown', notes: '', cwes: ['CWE-117'] },
    { cveID: 'bogus', dateAdded: 'yesterday' },
  ],
});

function serve(path: string, body: Buffer, mode: Route['mode'] = 'ok', etag = `"${path.length}-${body.length}"`) {
  routes.set(path, { body, etag, lastModified: new Date(Date.UTC(2024, 9, 1)).toUTCString(), mode });
}

let goZip: Buffer;
const work = mkdtempSync(join(tmpdir(), 'customs-vulnupdate-'));

beforeAll(async () => {
  server = createServer((req, res) => {
    const r = routes.get(req.url ?? '');
    const entry = { path: req.url ?? '', ...(req.headers['if-none-match'] ? { ifNoneMatch: String(req.headers['if-none-match']) } : {}),
      ...(req.headers['if-modified-since'] ? { ifModifiedSince: String(req.headers['if-modified-since']) } : {}), status: 200 };
    seen.push(entry);
    if (!r) { entry.status = 404; res.writeHead(404).end(); return; }
    if (r.mode === '500') { entry.status = 500; res.writeHead(500).end('boom'); return; }
    if (req.headers['if-none-match'] === r.etag) { entry.status = 304; res.writeHead(304).end(); return; }
    res.writeHead(200, { 'content-length': r.body.length, etag: r.etag, 'last-modified': r.lastModified });
    if (r.mode === 'truncate') { res.write(r.body.subarray(0, r.body.length >> 1)); setTimeout(() => res.destroy(), 20); return; }
    res.end(r.body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  goZip = await buildZip(goFiles().map((f) => ({ name: f, data: readFileSync(join(GO_DIR, f)) })));
}, 60_000);
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

function config(dataDir: string, vulndb: Record<string, unknown>): Config {
  return configSchema.parse({ dataDir, database: { url: `file:${join(dataDir, 'customs.db')}` }, http: { timeoutMs: 3000, bodyTimeoutMs: 3000 }, vulndb });
}
const GO = GO_FILES - GO_WITHDRAWN;
const PYPI = PYPI_FILES - PYPI_WITHDRAWN;

describe('db update', () => {
  it('downloads, imports, then answers unchanged feeds from 304s; enrichment reaches findings', async () => {
    serve('/Go/all.zip', goZip);
    serve('/epss/epss_scores-current.csv.gz', gzipSync(epssCsv));
    serve('/kev/known_exploited_vulnerabilities.json', Buffer.from(kevJson));
    const dataDir = mkdtempSync(join(work, 'a-'));
    const cfg = config(dataDir, { sources: [`${base}/Go/all.zip`, PYPI_DIR], epss: `${base}/epss/epss_scores-current.csv.gz`, kev: `${base}/kev/known_exploited_vulnerabilities.json` });
    const db = await openDatabase(cfg);
    const first = await updateVulnDb(cfg, db);
    expect(first.feeds.map((f) => [f.kind, f.status])).toEqual([['epss', 'downloaded'], ['kev', 'downloaded'], ['osv', 'downloaded'], ['osv', 'local']]);
    expect(first.import).toMatchObject({ imported: GO + PYPI, sources: [`${base}/Go/all.zip`, PYPI_DIR] });
    expect(first.enrichment).toEqual([
      { kind: 'epss', rows: 3, skipped: 1, date: '2024-10-01T00:00:00+0000' },
      { kind: 'kev', rows: 1, skipped: 1, date: '2024-10-01T17:00:00.000Z' },
    ]);
    const store = new VulnStore(db);
    expect((await store.status()).sources).toEqual([`${base}/Go/all.zip`, PYPI_DIR].sort()); // one source per feed

    // second run, remote feeds only: everything 304, validators sent, no import
    const remoteOnly = config(dataDir, { ...cfg.vulndb, sources: [`${base}/Go/all.zip`] });
    await updateVulnDb(remoteOnly, db);   // the PyPI source stays loaded (only `db remove` drops a source)
    seen.length = 0;
    const again = await updateVulnDb(remoteOnly, db);
    expect(again.feeds.map((f) => f.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(again.unchanged).toBe(true);
    expect(again.import).toBeUndefined();
    expect(seen.every((s) => s.status === 304 && s.ifNoneMatch && s.ifModifiedSince)).toBe(true);

    const inv = { source: 't', rootDigest: 'sha256:' + 'a'.repeat(64), manifestDigest: 'sha256:' + 'a'.repeat(64), platform: { os: 'linux', architecture: 'amd64' },
      configDigest: 'sha256:' + 'b'.repeat(64), config: {}, layers: [], warnings: [],
      packages: [{ type: 'golang' as const, name: 'github.com/gin-gonic/gin', version: 'v1.5.0', foundIn: '/app' }] };
    const f = (await matchInventory(store, inv)).find((x) => x.id === 'CVE-2020-36567')!;
    expect(f.epss).toEqual({ cve: 'CVE-2020-36567', score: 0.00136, percentile: 0.49526, date: '2024-10-01T00:00:00+0000' });
    expect(f.kev).toMatchObject({ cve: 'CVE-2020-36567', dateAdded: '2024-09-30', dueDate: '2024-10-21', knownRansomwareCampaignUse: 'Unknown' });
    expect((await matchInventory(store, inv)).find((x) => x.id === 'CVE-2020-28483')!.kev).toBeUndefined();
    db.close();
  }, 60_000);

  it('a 500, a truncated body or a corrupt zip is reported per feed; the previous download and database stay', async () => {
    const dataDir = mkdtempSync(join(work, 'b-'));
    serve('/b/Go/all.zip', goZip, 'ok', '"v1"');
    serve('/b/PyPI/all.zip', await buildZip([{ name: 'x.json', data: readFileSync(join(GO_DIR, 'GO-2020-0001.json')) }]), 'ok', '"p1"');
    const cfg = config(dataDir, { sources: [`${base}/b/Go/all.zip`, `${base}/b/PyPI/all.zip`], epss: '', kev: '' });
    const db = await openDatabase(cfg);
    const store = new VulnStore(db);
    const ok = await updateVulnDb(cfg, db);
    const version = (await store.status()).version;
    expect(ok.import!.imported).toBe(GO + 1); // two sources: each counts GO-2020-0001 it holds

    // a new Go zip is published but the server fails in three ways in turn; the other feed changes fine
    for (const [mode, message] of [['500', /HTTP 500/], ['truncate', /truncated|interrupted/], ['corrupt', /CRC|corrupt|invalid|zip/i]] as const) {
      if (mode === 'corrupt') {
        const stored = await buildZip(goFiles().map((f) => ({ name: f, data: readFileSync(join(GO_DIR, f)) })), true);
        const bad = Buffer.from(stored);
        bad[200] ^= 0xff; // inside the first entry's data: its CRC no longer matches
        serve('/b/Go/all.zip', bad, 'ok', '"v2"');
      } else serve('/b/Go/all.zip', goZip, mode, '"v2"');
      // the second feed publishes one new advisory each round: it must be imported alongside the old Go file
      const extra = { ...JSON.parse(readFileSync(join(GO_DIR, 'GO-2020-0001.json'), 'utf8')), id: `TEST-${mode}`, aliases: [] };
      serve('/b/PyPI/all.zip', await buildZip([{ name: 'x.json', data: JSON.stringify(extra) }]), 'ok', `"p-${mode}"`);
      const r = await updateVulnDb(cfg, db);
      const go = r.feeds.find((f) => f.source.endsWith('/b/Go/all.zip'))!;
      expect(go).toMatchObject({ status: 'failed', usedPrevious: true });
      expect(go.error).toMatch(message);
      // the Go source keeps its previous data; only the changed feed was imported
      expect((await store.status()).ecosystems.Go).toBe(GO + 1);
      expect((await store.status()).version).not.toBe(version);
    }
    const st = await db.client.execute(`SELECT last_error FROM vuln_feed WHERE source = '${base}/b/Go/all.zip'`);
    expect(String(st.rows[0]!.last_error)).toMatch(/CRC|corrupt|invalid|zip/i);
    db.close();
  }, 60_000);

  it('nothing usable at all: a clear error, the database stays as it was', async () => {
    const dataDir = mkdtempSync(join(work, 'c-'));
    serve('/c/all.zip', Buffer.alloc(0), '500');
    const cfg = config(dataDir, { sources: [`${base}/c/all.zip`], epss: '', kev: '' });
    const db = await openDatabase(cfg);
    const e = await caught(updateVulnDb(cfg, db));
    expect(e.kind).toBe('unreachable');
    expect(e.message).toMatch(new RegExp(`no source is usable .*${base.replace(/[.:/]/g, '\\$&')}/c/all\\.zip: .*HTTP 500`));
    expect((await new VulnStore(db).status()).importId).toBeUndefined();
    db.close();
  });

  it('the scheduled refresh runs at once on an empty database, reports updates, and stops', async () => {
    const dataDir = mkdtempSync(join(work, 'd-'));
    serve('/d/Go/all.zip', goZip);
    const cfg = config(dataDir, { sources: [`${base}/d/Go/all.zip`], epss: '', kev: '' });
    const db = await openDatabase(cfg);
    const store = new VulnStore(db);
    const updates: number[] = [];
    let done!: () => void;
    const first = new Promise<void>((ok) => { done = ok; });
    const r = startVulnDbRefresh(cfg, store, { intervalMs: 60_000, onUpdated: (u) => { updates.push(u.import!.imported); done(); } });
    await first;
    await r.stop();
    expect(updates).toEqual([GO]);
    expect((await store.status()).advisories).toBe(GO);
    db.close();
  }, 30_000);
});

describe('customs db update (command line)', () => {
  const CUSTOMS = join(resolve(import.meta.dirname, '..'), 'bin/customs');
  const run = (cfgFile: string, dataDir: string, args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
    execFile(CUSTOMS, args, { env: { ...process.env, CUSTOMS_DATA: dataDir, CUSTOMS_CONFIG: cfgFile, CUSTOMS_LOG_LEVEL: 'silent' } },
      (err, stdout, stderr) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });

  it('reports each feed; exit 0 when something was usable, non-zero when nothing was', async () => {
    const dataDir = mkdtempSync(join(work, 'e-'));
    serve('/e/Go/all.zip', goZip);
    serve('/e/bad/all.zip', Buffer.alloc(0), '500');
    const cfgFile = join(dataDir, 'customs.yaml');
    writeFileSync(cfgFile, `http: { timeoutMs: 3000, retries: 0 }\nvulndb:\n  epss: ""\n  kev: ""\n  sources: ["${base}/e/Go/all.zip", "${base}/e/bad/all.zip"]\n`);
    const r = await run(cfgFile, dataDir, ['db', 'update']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`osv ${base.replace(/[.:/]/g, '\\$&')}/e/Go/all\\.zip: downloaded \\(\\d+ bytes\\)`));
    expect(r.stderr).toMatch(/e\/bad\/all\.zip: FAILED: .*HTTP 500/);
    expect(r.stdout).toMatch(new RegExp(`imported ${GO} advisories \\(Go ${GO}\\)`));
    const st = await run(cfgFile, dataDir, ['db', 'status']);
    expect(st.stdout).toMatch(/Go\s+\d+/);
    expect(st.stdout).toMatch(/HTTP 500/);

    const failing = join(dataDir, 'failing.yaml');
    writeFileSync(failing, `vulndb:\n  epss: ""\n  kev: ""\n  sources: ["${base}/e/bad/all.zip"]\n`);
    const bad = await run(failing, mkdtempSync(join(work, 'f-')), ['db', 'update']);
    expect(bad.code).toBe(5);
    expect(bad.stderr).toMatch(/no source is usable/);
  }, 60_000);
});

describe('EPSS and KEV files', () => {
  it('bad files are refused with a reason and leave the previous table as it was', async () => {
    const dataDir = mkdtempSync(join(work, 'g-'));
    const cfg = config(dataDir, {});
    const db = await openDatabase(cfg);
    const { importEnrichment, parseEpss, parseKev } = await import('../src/vulndb/enrichment.ts');
    const good = join(dataDir, 'epss_scores-2024-10-01.csv.gz');
    writeFileSync(good, gzipSync(epssCsv));
    expect(await importEnrichment(db, 'epss', good)).toMatchObject({ rows: 3, skipped: 1 });
    const write = (name: string, data: Buffer | string) => { const p = join(dataDir, name); writeFileSync(p, data); return p; };
    const cases: [string, 'epss' | 'kev', RegExp][] = [
      [write('noheader.csv', 'CVE-2020-1,0.1,0.2\n'), 'epss', /expected the header/],
      [write('cut.csv.gz', gzipSync(epssCsv).subarray(0, 40)), 'epss', /corrupt gzip/],
      [write('empty.csv', '#model_version:v1,score_date:2024-10-01T00:00:00+0000\ncve,epss,percentile\nCVE-1,2,3\n'), 'epss', /no usable rows/],
      [write('kev.json', '{"title":"x"}'), 'kev', /not a catalog/],
      [write('deep-kev.json', '['.repeat(100) + ']'.repeat(100)), 'kev', /nested deeper/],
    ];
    for (const [file, kind, msg] of cases) expect((await caught(importEnrichment(db, kind, file))).message).toMatch(msg);
    expect(Number((await db.client.execute('SELECT count(*) AS n FROM vuln_epss')).rows[0]!.n)).toBe(3);
    expect(parseEpss('cve,epss,percentile\nCVE-2024-0001,0.5,0.9\n').rows).toEqual([{ cve: 'CVE-2024-0001', score: 0.5, percentile: 0.9 }]);
    expect(parseKev(kevJson).rows.map((r) => r.cve)).toEqual(['CVE-2020-36567']);
    db.close();
  });
});
