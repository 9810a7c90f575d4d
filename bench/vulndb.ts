// Vulnerability database benchmarks (`node bench/vulndb.ts`, or BENCH_ONLY=vulndb npm run bench):
//   1. import speed of the real Go and PyPI data in ../shared/data/osv (advisories/s), against a
//      baseline in the same run: reading and parsing the same files without any database
//   2. matching an inventory of 10,000 packages against 500,000 advisories (real Go records cloned
//      under new package names), target ≤ 250 ms
//   3. database size on disk per 100,000 advisories
//   4. 250,000 CVE severity records (the real NVD records of ../shared/data/nvd renamed to the CVE ids
//      the cloned advisories alias, as NVD API 2.0 pages of 2,000): import speed (records/s), size on
//      disk, and matching again with every finding rated from them — against the matching above, in
//      the same run, as the baseline
// BENCH_VULN_ADVISORIES (default 500000), BENCH_VULN_SEVERITIES (default 250000) and
// BENCH_VULN_PACKAGES (default 10000) scale it down.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../src/config/load.ts';
import { openDatabase } from '../src/db/client.ts';
import { setLogLevel } from '../src/log.ts';
import type { ImageInventory, PackageRecord } from '../src/types.ts';
import { matchInventory } from '../src/vulndb/match.ts';
import { VulnStore } from '../src/vulndb/store.ts';

const ROOT = resolve(import.meta.dirname, '..');
const OSV = resolve(ROOT, '../shared/data/osv');
const NVD = resolve(ROOT, '../shared/data/nvd');
// a clone's CVE alias: still a valid CVE id (so findings are joined to severity records), unique per clone
const cloneCve = (id: string, c: number) => id.replace(/^(CVE-\d{4}-)(\d+)$/, (_m, p: string, n: string) => `${p}${n}${String(c).padStart(3, '0')}`);

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && /\.(json|ya?ml)$/.test(e.name)).map((e) => join(e.parentPath, e.name));
}

async function fresh(work: string, name: string) {
  const dataDir = join(work, name);
  const db = await openDatabase(loadConfig({ env: { CUSTOMS_DATA: dataDir } }));
  return { db, store: new VulnStore(db), file: join(dataDir, 'customs.db') };
}

function dbBytes(file: string): number {
  let n = 0;
  for (const f of [file, `${file}-wal`]) { try { n += statSync(f).size; } catch { /* absent */ } }
  return n;
}

export async function benchVulnDb(): Promise<Record<string, unknown>> {
  setLogLevel('warn');
  const out: Record<string, unknown> = {};
  const work = mkdtempSync(join(tmpdir(), 'customs-bench-vulndb-'));
  try {
    // 1. import speed vs parse-only baseline
    const sources = [join(OSV, 'Go'), join(OSV, 'PyPI-2024-10')];
    const all = sources.flatMap(files);
    let t0 = performance.now();
    for (const f of all) { const text = readFileSync(f, 'utf8'); if (f.endsWith('.json')) JSON.parse(text); else parseYaml(text, { schema: 'failsafe' }); }
    const parseMs = performance.now() - t0;
    const a = await fresh(work, 'import');
    t0 = performance.now();
    const imp = await a.store.importFrom(sources);
    const importMs = performance.now() - t0;
    out.import = {
      files: all.length, advisories: imp.imported, withdrawn: imp.withdrawn, skipped: imp.skipped,
      seconds: +(importMs / 1000).toFixed(2), advisoriesPerSecond: Math.round((imp.imported + imp.withdrawn) / (importMs / 1000)),
      baselineParseOnlySeconds: +(parseMs / 1000).toFixed(2), ratioToParseOnly: +(importMs / parseMs).toFixed(2),
    };
    console.log(JSON.stringify({ import: out.import }, null, 2));
    a.db.close();

    // 2 + 3. 500k advisories: the real Go records cloned under new package names
    const target = Number(process.env.BENCH_VULN_ADVISORIES ?? 500_000);
    const goRecords = files(join(OSV, 'Go')).map((f) => JSON.parse(readFileSync(f, 'utf8'))).filter((r) => !r.withdrawn && r.affected?.length);
    const clones = Math.ceil(target / goRecords.length);
    const cloneDir = join(work, 'clones');
    mkdirSync(cloneDir);
    let written = 0;
    const perFile = 25_000;
    let batch: unknown[] = [];
    const flush = () => { if (batch.length) writeFileSync(join(cloneDir, `c${String(written).padStart(7, '0')}.json`), JSON.stringify(batch)); written += batch.length; batch = []; };
    for (let c = 0; c < clones && written + batch.length < target; c++) {
      for (const r of goRecords) {
        if (written + batch.length >= target) break;
        batch.push({ ...r, id: `${r.id}-C${c}`, aliases: (r.aliases ?? []).map((x: string) => x.startsWith('CVE-') ? cloneCve(x, c) : `${x}-C${c}`),
          affected: r.affected.map((af: any) => ({ ...af, package: { ...af.package, name: `${af.package.name}/c${c}` } })) });
        if (batch.length >= perFile) flush();
      }
    }
    flush();
    const b = await fresh(work, 'big');
    t0 = performance.now();
    const big = await b.store.importFrom(readdirSync(cloneDir).sort().map((f) => join(cloneDir, f)));
    const bigImportMs = performance.now() - t0;
    rmSync(cloneDir, { recursive: true, force: true });
    await b.db.client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
    const bytes = dbBytes(b.file);
    out.database = {
      advisories: big.imported, importSeconds: +(bigImportMs / 1000).toFixed(1), advisoriesPerSecond: Math.round(big.imported / (bigImportMs / 1000)),
      bytesOnDisk: bytes, mbPer100kAdvisories: +((bytes / 1048576) * (100_000 / big.imported)).toFixed(1),
    };
    console.log(JSON.stringify({ database: out.database }, null, 2));

    // inventories of 10,000 Go packages at version 0.0.1 (inside most "introduced 0" ranges):
    // "typical" has 2% of its packages named in advisories (most packages of a real image are not
    // vulnerable), "worst" 90%
    const nPkgs = Number(process.env.BENCH_VULN_PACKAGES ?? 10_000);
    const names = [...new Set(goRecords.flatMap((r) => r.affected.map((af: any) => af.package.name as string)))];
    const inventory = (hitShare: number): ImageInventory => {
      const packages: PackageRecord[] = [];
      for (let i = 0; packages.length < nPkgs; i++) {
        const hit = (i % 100) < hitShare * 100;
        const name = hit ? `${names[i % names.length]}/c${Math.floor(i / names.length) % clones}` : `example.com/none/m${i}`;
        packages.push({ type: 'golang', name, version: 'v0.0.1', foundIn: '/app/bin' });
      }
      return { source: 'bench', rootDigest: 'sha256:' + '0'.repeat(64), manifestDigest: 'sha256:' + '0'.repeat(64),
        platform: { os: 'linux', architecture: 'amd64' }, configDigest: 'sha256:' + '1'.repeat(64), config: {}, layers: [], packages, warnings: [] };
    };
    const measure = async () => {
      const matching: Record<string, any> = {};
      for (const [label, share] of [['typical', 0.02], ['worst', 0.9]] as const) {
        const inv = inventory(share);
        const times: number[] = [];
        let found: Awaited<ReturnType<typeof matchInventory>> = [];
        for (let i = 0; i < 5; i++) {
          t0 = performance.now();
          found = await matchInventory(b.store, inv);
          times.push(performance.now() - t0);
        }
        times.sort((x, y) => x - y);
        matching[label] = { packages: nPkgs, namedInAdvisories: Math.round(nPkgs * share), findings: found.length,
          rated: found.filter((f) => f.severity.rating !== 'unknown').length, medianMs: Math.round(times[2]!), minMs: Math.round(times[0]!), runsMs: times.map(Math.round) };
      }
      return matching;
    };
    const matching = await measure();
    out.matching = { advisories: big.imported, target: '≤ 250 ms', ...matching };
    console.log(JSON.stringify({ matching: out.matching }, null, 2));

    // 4. severity records for the clones' CVE aliases, bodies taken from the real NVD records in turn
    const nSev = Number(process.env.BENCH_VULN_SEVERITIES ?? 250_000);
    const nvd = readdirSync(NVD).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(NVD, f), 'utf8')));
    const ids: string[] = [];
    for (let c = 0; c < clones && ids.length < nSev; c++) {
      for (const r of goRecords) for (const a of r.aliases ?? []) if (a.startsWith('CVE-') && ids.length < nSev) ids.push(cloneCve(a, c));
    }
    const sevDir = join(work, 'nvd-pages');
    mkdirSync(sevDir);
    for (let p = 0; p * 2000 < ids.length; p++) {
      const page = ids.slice(p * 2000, (p + 1) * 2000).map((id, i) => ({ cve: { ...nvd[(p * 2000 + i) % nvd.length], id } }));
      writeFileSync(join(sevDir, `page-${String(p).padStart(4, '0')}.json`), JSON.stringify({ resultsPerPage: page.length, startIndex: p * 2000, totalResults: ids.length, format: 'NVD_CVE', version: '2.0', vulnerabilities: page }));
    }
    const sizeBefore = dbBytes(b.file);
    t0 = performance.now();
    const sev = await b.store.importFrom([sevDir]);
    const sevMs = performance.now() - t0;
    rmSync(sevDir, { recursive: true, force: true });
    await b.db.client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
    const sevBytes = dbBytes(b.file) - sizeBefore;
    out.severities = {
      cveRecords: ids.length, rows: sev.severities, importSeconds: +(sevMs / 1000).toFixed(1), recordsPerSecond: Math.round(ids.length / (sevMs / 1000)),
      bytesOnDisk: sevBytes, mbPer100kRecords: +((sevBytes / 1048576) * (100_000 / ids.length)).toFixed(1),
    };
    console.log(JSON.stringify({ severities: out.severities }, null, 2));
    const rated = await measure();
    out.matchingWithSeverities = {
      advisories: big.imported, severityRecords: sev.severities, target: '≤ 250 ms', ...rated,
      ratioToWithout: { typical: +(rated.typical.medianMs / Math.max(1, matching.typical.medianMs)).toFixed(2), worst: +(rated.worst.medianMs / Math.max(1, matching.worst.medianMs)).toFixed(2) },
    };
    console.log(JSON.stringify({ matchingWithSeverities: out.matchingWithSeverities }, null, 2));
    b.db.close();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return out;
}

if (import.meta.main) {
  const r = await benchVulnDb();
  mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/out/vulndb.json'), JSON.stringify(r, null, 2));
}
