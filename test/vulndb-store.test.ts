import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchPackage } from '../src/vulndb/match.ts';
import { parseOsv } from '../src/vulndb/osv.ts';
import { dbStatus } from '../src/vulndb/store.ts';
import type { DbStatus } from '../src/vulndb/types.ts';
import { caught } from './helpers/util.ts';
import {
  GO_DIR, GO_FILES, GO_WITHDRAWN, PYPI_DIR, PYPI_FILES, PYPI_WITHDRAWN, buildZip, freshStore, goAdvisory, goFiles,
} from './vulndb-helpers.ts';

const ids = (ms: { id: string; aliases: string[] }[]) => ms.flatMap((m) => [m.id, ...m.aliases]);
const rowCount = async (db: { client: { execute(s: string): Promise<{ rows: any[] }> } }, sql: string) =>
  Number((await db.client.execute(sql)).rows[0]!.n);

describe('OSV parsing', () => {
  it('accepts a real advisory and refuses broken ones with a reason', () => {
    const ok = parseOsv(readFileSync(join(GO_DIR, 'GO-2020-0001.json')), 'GO-2020-0001');
    expect(ok.ok && ok.advisory.aliases).toEqual(['CVE-2020-36567', 'GHSA-6vm3-jj99-7229']);
    expect(parseOsv('{"id": "X-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"ranges": [{"type": "BOGUS", "events": [{"introduced": "0"}]}]}]}', 'x'))
      .toMatchObject({ ok: false, id: 'X-1', reason: expect.stringMatching(/^schema: affected\.0\.ranges\.0\.type/) });
    expect(parseOsv('{"id": "X-2", "modified": "yesterday"}', 'x')).toMatchObject({ ok: false, reason: 'invalid modified timestamp' });
    expect(parseOsv('{"id": "X-3", "modified": "2024-01-01T00:00:00Z", "affected": [{"ranges": [{"type": "SEMVER", "events": [{"introduced": "0", "fixed": "1"}]}]}]}', 'x').ok).toBe(false);
    expect(parseOsv('{"id": ', 'x')).toMatchObject({ ok: false, reason: 'invalid JSON' });
    expect(parseOsv('['.repeat(100) + ']'.repeat(100), 'x')).toMatchObject({ ok: false, reason: 'JSON nested too deep' });
    expect(parseOsv('[]', 'x')).toMatchObject({ ok: false, reason: 'not an object' });
  });
});

describe('advisory import into libsql', () => {
  it('imports the real Go (JSON) and PyPI (YAML) advisories: counts, withdrawn dropped, status', async () => {
    const { store, db } = await freshStore();
    expect(await dbStatus(store)).toEqual({ sources: [], advisories: 0, ecosystems: {} });
    const r = await store.importFrom([GO_DIR, PYPI_DIR]);
    expect(r.withdrawn).toBe(GO_WITHDRAWN + PYPI_WITHDRAWN);
    expect(r.skipped).toBe(0);
    expect(r.imported).toBe(GO_FILES - GO_WITHDRAWN + PYPI_FILES - PYPI_WITHDRAWN);
    expect(r.ecosystems).toEqual({ Go: GO_FILES - GO_WITHDRAWN, PyPI: PYPI_FILES - PYPI_WITHDRAWN });

    const st = await dbStatus(store);
    expect(st).toMatchObject({ importId: r.importId, sources: [GO_DIR, PYPI_DIR], advisories: r.imported, ecosystems: r.ecosystems });
    expect(st.version).toBe(`osv-${r.importId}-${r.maxModified}`);
    expect(Date.parse(st.updatedAt!)).toBeGreaterThan(Date.now() - 60_000);
    // the PyPI snapshot's newest modified time is the max
    expect(r.maxModified! >= '2024-01-01').toBe(true);

    // withdrawn GO-2022-0617 is not stored; a normal one is, with its aliases
    expect(await store.getAdvisory('GO-2022-0617')).toBeUndefined();
    expect(await store.getAdvisory('GO-2020-0001')).toMatchObject({ aliases: ['CVE-2020-36567', 'GHSA-6vm3-jj99-7229'], summary: expect.stringContaining('gin') });
    expect(await store.getAdvisory('PYSEC-2023-73')).toBeUndefined(); // withdrawn PyPI record (redis)
    expect(await rowCount(db, 'SELECT count(*) AS n FROM vuln_advisory')).toBe(r.imported);
    db.close();
  });

  it('imports a zip built from the real advisories and a JSON array file like the directory', async () => {
    const { store, db, dataDir } = await freshStore();
    const files = goFiles();
    const zipPath = join(dataDir, 'all.zip');
    writeFileSync(zipPath, await buildZip([
      ...files.map((f) => ({ name: f, data: readFileSync(join(GO_DIR, f)) })),
      { name: 'notes.txt', data: 'not an advisory' },
    ]));
    const r = await store.importFrom([zipPath]);
    expect([r.imported, r.withdrawn, r.skipped]).toEqual([GO_FILES - GO_WITHDRAWN, GO_WITHDRAWN, 0]);

    const arrPath = join(dataDir, 'three.json');
    writeFileSync(arrPath, JSON.stringify(['GO-2020-0001', 'GO-2021-0052', 'GO-2022-0617'].map(goAdvisory)));
    const r2 = await store.importFrom([arrPath]);
    expect([r2.imported, r2.withdrawn]).toEqual([2, 1]);
    // each path is its own source: the array file is added beside the zip, which keeps its advisories
    const st = await dbStatus(store);
    expect(st.sourceDetails!.map((s) => [s.name, s.advisories])).toEqual([[arrPath, 2], [zipPath, GO_FILES - GO_WITHDRAWN]].sort());
    expect(st.advisories).toBe(GO_FILES - GO_WITHDRAWN + 2);
    db.close();
  });

  it('skips invalid advisories with counted reasons and keeps the newest of duplicate ids', async () => {
    const { store, db, dataDir } = await freshStore();
    const dir = join(dataDir, 'mixed');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    const good = readFileSync(join(GO_DIR, 'GO-2020-0001.json'), 'utf8');
    writeFileSync(join(dir, 'GO-2020-0001.json'), good);
    writeFileSync(join(dir, 'sub', 'truncated.json'), good.slice(0, good.length / 2));
    writeFileSync(join(dir, 'sub', 'bad-type.json'), JSON.stringify({ ...goAdvisory('GO-2021-0052'), affected: 'x' }));
    writeFileSync(join(dir, 'sub', 'no-id.json'), JSON.stringify({ modified: '2024-01-01T00:00:00Z' }));
    const newer = { ...goAdvisory('GO-2020-0001'), modified: '2030-01-01T00:00:00Z', summary: 'newer copy' };
    writeFileSync(join(dir, 'sub', 'z-dup.json'), JSON.stringify(newer));
    writeFileSync(join(dir, 'sub', 'readme.md'), '# ignored');
    const r = await store.importFrom([dir], { batchSize: 1 });
    expect(r.imported).toBe(1);
    expect(r.duplicates).toBe(1);
    expect(r.skipped).toBe(3);
    expect(r.skipReasons).toEqual({ 'invalid JSON': 1, 'schema: affected': 1, 'schema: id': 1 });
    expect((await store.getAdvisory('GO-2020-0001'))!.summary).toBe('newer copy');
    expect(await rowCount(db, 'SELECT count(*) AS n FROM vuln_affected')).toBe(1);
    db.close();
  });

  it('readers see the previous import until a new one is complete, then only the new one', async () => {
    const { store, db, dataDir } = await freshStore();
    const first = await store.importFrom([GO_DIR]);
    // second import: 3,000 advisories derived from a real one, plus a changed gin advisory (fixed later)
    const dir = join(dataDir, 'big');
    mkdirSync(dir);
    const tmpl = goAdvisory('GO-2021-0052');
    for (let i = 0; i < 3000; i++) {
      writeFileSync(join(dir, `TEST-${i}.json`), JSON.stringify({ ...tmpl, id: `TEST-${i}`, aliases: [], affected: [{ ...tmpl.affected[0], package: { ecosystem: 'Go', name: `example.com/m${i}` } }] }));
    }
    const gin = goAdvisory('GO-2020-0001');
    gin.affected[0].ranges[0].events = [{ introduced: '0' }, { fixed: '1.9.0' }];
    writeFileSync(join(dir, 'GO-2020-0001.json'), JSON.stringify(gin));

    const seen: { importId?: number; fixed: string[]; m5: number }[] = [];
    // the same source (the Go directory's name) imported again from other files replaces it
    const r = await store.importFrom([dir], {
      sourceNames: [first.sources[0]!],
      batchSize: 500,
      onBatch: async () => {
        const m = await matchPackage(store, 'Go', 'github.com/gin-gonic/gin', '1.6.0');
        seen.push({
          importId: (await dbStatus(store)).importId,
          fixed: m.filter((x) => x.advisories.includes('GO-2020-0001')).flatMap((x) => x.fixedVersions),
          m5: (await matchPackage(store, 'Go', 'example.com/m5', '0.0.1')).length,
        });
      },
    });
    expect(seen.length).toBe(7); // 3,001 advisories in batches of 500
    for (const s of seen) expect(s).toEqual({ importId: first.importId, fixed: [], m5: 0 }); // gin 1.6.0 is fixed in the old data
    expect((await dbStatus(store)).importId).toBe(r.importId);
    expect((await matchPackage(store, 'Go', 'github.com/gin-gonic/gin', '1.6.0')).find((x) => x.advisories.includes('GO-2020-0001'))?.fixedVersions).toEqual(['1.9.0']);
    expect(await matchPackage(store, 'Go', 'example.com/m5', '0.0.1')).toHaveLength(1);
    // the old import's rows are gone
    expect(await rowCount(db, `SELECT count(*) AS n FROM vuln_advisory WHERE import_id <> ${r.importId}`)).toBe(0);
    expect(await rowCount(db, `SELECT count(*) AS n FROM vuln_affected WHERE import_id <> ${r.importId}`)).toBe(0);
    db.close();
  });

  it('a zip corrupted mid-way or with a huge entry fails the import and leaves the previous data current', async () => {
    const { store, db, dataDir } = await freshStore();
    const first = await store.importFrom([GO_DIR]);
    const before = await dbStatus(store);
    const files = goFiles();
    const entries = files.map((f) => ({ name: f, data: readFileSync(join(GO_DIR, f)) }));

    // stored (uncompressed) zip; flip bytes inside an entry in the middle: its CRC no longer matches
    const zip = await buildZip(entries, true);
    const mid = zip.indexOf(Buffer.from('"id": "GO-2021-0052"'));
    expect(mid).toBeGreaterThan(0);
    zip.write('"id": "GO-2021-0O52"', mid);
    const corrupt = join(dataDir, 'corrupt.zip');
    writeFileSync(corrupt, zip);
    const e1 = await caught(store.importFrom([corrupt], { batchSize: 10 }));
    expect(e1.kind).toBe('corrupt');
    expect(e1.message).toMatch(/GO-2021-0052\.json fails its CRC check/);

    // a hostile entry: 64 MiB of spaces deflated to a few KiB, after valid entries
    const hostile = join(dataDir, 'hostile.zip');
    writeFileSync(hostile, await buildZip([...entries.slice(0, 30), { name: 'huge.json', data: Buffer.alloc(64 * 1024 * 1024, 32) }, ...entries.slice(30)]));
    const e2 = await caught(store.importFrom([hostile], { batchSize: 10 }));
    expect(e2.kind).toBe('limit');
    expect(e2.message).toMatch(/huge\.json of 67108864 bytes is over the 16777216-byte cap/);

    // a directory holding one advisory file over the per-file cap
    const capped = join(dataDir, 'capped');
    mkdirSync(capped);
    for (const f of files.slice(0, 40)) writeFileSync(join(capped, f), readFileSync(join(GO_DIR, f)));
    writeFileSync(join(capped, 'GO-2020-0020.json'), ' '.repeat(5000) + readFileSync(join(GO_DIR, 'GO-2020-0001.json'), 'utf8'));
    const e3 = await caught(store.importFrom([capped], { batchSize: 5, maxFileBytes: 4096 }));
    expect(e3.kind).toBe('limit');
    expect(e3.message).toMatch(/GO-2020-0020\.json: advisory file of \d+ bytes is over the 4096-byte cap/);

    // not a zip at all / missing
    writeFileSync(join(dataDir, 'trunc.zip'), zip.subarray(0, zip.length / 2));
    expect((await caught(store.importFrom([join(dataDir, 'trunc.zip')]))).kind).toBe('corrupt');
    expect((await caught(store.importFrom([join(dataDir, 'nope')]))).kind).toBe('not-found');
    // an empty source (wrong directory, emptied mirror) does not wipe the data
    mkdirSync(join(dataDir, 'empty'));
    writeFileSync(join(dataDir, 'empty', 'GO-2022-0617.json'), readFileSync(join(GO_DIR, 'GO-2022-0617.json'))); // withdrawn
    const e4 = await caught(store.importFrom([join(dataDir, 'empty')]));
    expect(e4.kind).toBe('not-found');
    expect(e4.message).toMatch(/no advisories or severity records found .*\(0 skipped, 1 withdrawn\)/);

    const timeless = (s: DbStatus) => ({ ...s, sourceDetails: s.sourceDetails?.map(({ ageSeconds: _, ...d }) => d) });
    expect(timeless(await dbStatus(store))).toEqual(timeless(before));
    expect(before.importId).toBe(first.importId);
    expect(ids(await matchPackage(store, 'Go', 'github.com/gin-gonic/gin', '1.5.0'))).toContain('GO-2020-0001');
    // failed imports leave no rows behind and are recorded as failed
    expect(await rowCount(db, `SELECT count(*) AS n FROM vuln_advisory WHERE import_id <> ${first.importId}`)).toBe(0);
    expect(await rowCount(db, `SELECT count(*) AS n FROM vuln_import WHERE status = 'failed'`)).toBe(6);
    db.close();
  });

  it('reports import speed on the real fixtures', async () => {
    const { store, db } = await freshStore();
    const t = performance.now();
    const r = await store.importFrom([GO_DIR, PYPI_DIR]);
    const perSec = (r.imported + r.withdrawn) / ((performance.now() - t) / 1000);
    console.log(`vulndb import: ${r.imported + r.withdrawn} advisories in ${r.ms} ms (${perSec.toFixed(0)}/s)`);
    expect(perSec).toBeGreaterThan(50);
    db.close();
  });
});
