// RPM databases in their three formats, built from real rpms (test/fixtures/rpm/generate.sh), read
// by Customs and compared with what Debian's rpm 4.18 itself says about the same files.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { BdbError, readBdbHashValues } from '../src/analyzers/rpm-bdb.ts';
import { parseRpmHeader, RpmHeaderError, splitSourceRpm } from '../src/analyzers/rpm-header.ts';
import { NdbError, readNdbValues } from '../src/analyzers/rpm-ndb.ts';
import { SqliteDbError } from '../src/analyzers/rpm-sqlite.ts';
import { parseRpmManifest } from '../src/analyzers/rpm-manifest.ts';
import { parseRpmDb as parseRpmDbWith, readRpmDbValues } from '../src/analyzers/rpm.ts';
import { inventoryAnalyzers, languagePaths } from '../src/ecosystems/index.ts';
import { pythonAnalyzer } from '../src/analyzers/python.ts';
import { configSchema } from '../src/config/schema.ts';
import { analyzeLayer } from '../src/image/layer-walker.ts';
import { mergeLayers } from '../src/image/merge.ts';
import { chunked, gzip, makeTar } from './helpers/tar.ts';

const FIX = resolve(import.meta.dirname, 'fixtures/rpm');
// the rpm analyzer and database reader as the registry builds them (file lists reduced to the language ecosystems' metadata paths)
const rpmAnalyzer = inventoryAnalyzers().find((a) => a.name === 'rpm')!;
const parseRpmDb = (path: string, content: Buffer) => parseRpmDbWith(path, content, languagePaths());
const { isMetadataPath: isLanguageMetadataPath, mayBeMetadataFile: mayBeLanguageFile } = languagePaths();
const fixture = (f: string) => readFileSync(join(FIX, f));
const work = mkdtempSync(join(tmpdir(), 'customs-rpm-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const QF = '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{VENDOR}\\t%{LICENSE}\\t%{MODULARITYLABEL}\\n';

/** `rpm -qa` over a copy of one database file (rpm may touch the directory it is given). */
function rpmQa(file: string, asName: string, backend?: string): string[] {
  const dir = mkdtempSync(join(work, 'db-'));
  copyFileSync(join(FIX, file), join(dir, asName));
  const out = execFileSync('rpm', ['-qa', ...(backend ? ['--define', `_db_backend ${backend}`] : []), '--dbpath', dir, '--qf', QF],
    { stdio: ['ignore', 'pipe', 'ignore'] }).toString('utf8');
  return out.split('\n').filter(Boolean).filter((l) => !l.startsWith('gpg-pubkey\t')).sort();
}

/** The same fields, as Customs reports them, in rpm's --qf spelling ("(none)" for unset). */
function asRpmRows(file: string): string[] {
  const { packages } = parseRpmDb('/var/lib/rpm/x', fixture(file));
  const none = (v: unknown) => (v === undefined || v === '' ? '(none)' : String(v));
  return packages.map((p) => [p.name, none(p.epoch), p.version, none(p.release), none(p.arch),
    `${p.sourceName}-${p.sourceVersion}.src.rpm`, none(p.vendor), none(p.license), none(p.modularityLabel)].join('\t')).sort();
}

describe('rpm databases read like rpm reads them', () => {
  it('SQLite rpmdb.sqlite (rpm 4.18 default) matches rpm -qa', () => {
    const truth = rpmQa('rpmdb.sqlite', 'rpmdb.sqlite');
    expect(truth.length).toBe(3);
    expect(asRpmRows('rpmdb.sqlite')).toEqual(truth);
  });

  it('BerkeleyDB Packages (4 KiB and 512 B pages, both byte orders) matches rpm -qa with the bdb_ro backend', () => {
    for (const f of ['Packages', 'Packages-512', 'Packages-be']) {
      const truth = rpmQa(f, 'Packages', 'bdb_ro');
      expect(truth.length).toBe(3);
      expect(asRpmRows(f)).toEqual(truth);
      // like every real Packages file, the fixture keeps rpm's next-instance counter under key 0: it is
      // not a header, and reading it is no reason for a "malformed header" warning
      expect(readBdbHashValues(fixture(f), 1 << 20).values.filter((v) => v.length === 4)).toHaveLength(1);
      expect(parseRpmDb('/var/lib/rpm/Packages', fixture(f)).warnings).toEqual([]);
    }
  });

  it('NDB Packages.db holds the same packages (Debian rpm has no ndb backend: compared with the SQLite truth)', () => {
    expect(asRpmRows('Packages.db')).toEqual(rpmQa('rpmdb.sqlite', 'rpmdb.sqlite'));
  });

  it('keeps epoch, release, arch, source rpm, vendor, license and modularity label; skips gpg-pubkey', () => {
    const { packages, ownedFiles, warnings } = parseRpmDb('/var/lib/rpm/rpmdb.sqlite', fixture('rpmdb.sqlite'));
    expect(warnings).toEqual([]);
    expect(packages.map((p) => p.name).sort()).toEqual(['customs-base', 'customs-hello', 'python3-customs']);
    expect(packages.find((p) => p.name === 'customs-hello')).toEqual({
      type: 'rpm', name: 'customs-hello', epoch: 2, version: '1.2.3', release: '4.el9', arch: 'x86_64',
      sourceName: 'customs-hello', sourceVersion: '1.2.3-4.el9', vendor: 'Customs Test Vendor', license: 'MIT',
      foundIn: '/var/lib/rpm/rpmdb.sqlite',
    });
    expect(packages.find((p) => p.name === 'python3-customs')).toMatchObject({
      version: '1.0~rc1', release: '1.module+el9.2.0+1234+abcdef12', arch: 'noarch', sourceName: 'customs-py',
      sourceVersion: '1.0~rc1-1.module+el9.2.0+1234+abcdef12', modularityLabel: 'customs:1.0:9020020230101:abcdef12',
    });
    // the rpm database holds a real gpg-pubkey entry, which is not a package
    expect(readRpmDbValues(fixture('rpmdb.sqlite')).values.length).toBe(4);
    // files owned by rpms that language analyzers would report (a Python dist-info), nothing else
    expect(ownedFiles).toEqual(['/usr/lib/python3.9/site-packages/customs-1.0rc1.dist-info/METADATA']);
  });

  it('CBL-Mariner distroless manifest (rpm -qa --qf output) gives the same packages as the database', () => {
    const m = parseRpmManifest('/var/lib/rpmmanifest/container-manifest-2', fixture('container-manifest-2'));
    expect(m.warnings).toEqual([]);
    const db = parseRpmDb('/var/lib/rpm/rpmdb.sqlite', fixture('rpmdb.sqlite')).packages;
    // the manifest has no license or modularity label; EPOCHNUM 0 reads as no epoch
    const strip = (p: any) => ({ name: p.name, epoch: p.epoch || undefined, version: p.version, release: p.release, arch: p.arch, sourceName: p.sourceName, sourceVersion: p.sourceVersion, vendor: p.vendor });
    expect(m.packages.map(strip)).toEqual(db.map(strip));
    expect(rpmAnalyzer.wants('/var/lib/rpmmanifest/container-manifest-2', 100)).toBe(true);
  });

  it('manifest lines that are not rpm -qa lines are warnings', async () => {
    const text = 'bash\t5.2.15-3.cm2\t1\t1\tMicrosoft Corporation\t(none)\t1\tx86_64\t0\tbash-5.2.15-3.cm2.src.rpm\n'
      + 'garbage line\nzlib\tnodash\t1\t1\t(none)\t(none)\t1\tx86_64\t0\tzlib-1.src.rpm\nx\t1-1\t1\t1\t(none)\t(none)\t1\tx86_64\t-1\tx-1-1.src.rpm\n';
    const f = await rpmAnalyzer.analyze('/var/lib/rpmmanifest/container-manifest-2', Buffer.from(text));
    expect(f?.packages?.map((p) => `${p.name}@${p.version}-${p.release} ${p.vendor}`)).toEqual(['bash@5.2.15-3.cm2 Microsoft Corporation']);
    expect(f?.warnings).toEqual(['line 2: not a manifest line (1 fields)', 'line 3: not a manifest line (10 fields)', 'line 4: not a manifest line (10 fields)']);
    await expect(Promise.resolve().then(() => rpmAnalyzer.analyze('/var/lib/rpmmanifest/container-manifest-2', Buffer.from('a\tb\n'.repeat(100))))).rejects.toThrow(/not a manifest line/);
  });

  it('wants the three database files in the three rpm directories only, and is registered', () => {
    for (const d of ['/var/lib/rpm/', '/usr/lib/sysimage/rpm/', '/usr/share/rpm/']) {
      for (const f of ['Packages', 'Packages.db', 'rpmdb.sqlite']) expect(rpmAnalyzer.wants(d + f, 1000)).toBe(true);
    }
    expect(rpmAnalyzer.wants('/var/lib/rpm/Name', 1000)).toBe(false);
    expect(rpmAnalyzer.wants('/opt/var/lib/rpm/Packages', 1000)).toBe(false);
    expect(rpmAnalyzer.wants('/var/lib/rpm/rpmdb.sqlite-shm', 1000)).toBe(false);
    expect(inventoryAnalyzers()).toContain(rpmAnalyzer);
  });

  it('tells the format by content, not by name, and ignores empty placeholder files', async () => {
    const f = await rpmAnalyzer.analyze('/usr/lib/sysimage/rpm/Packages', fixture('Packages.db'));
    expect(f?.packages?.length).toBe(3);
    expect(await rpmAnalyzer.analyze('/var/lib/rpm/Packages', Buffer.alloc(0))).toBeNull();
  });

  it('a Python package whose files an rpm installed is osOwned; a pip-installed one is not', async () => {
    const metadata = 'Metadata-Version: 2.1\nName: customs\nVersion: 1.0rc1\n';
    const layers = [
      await makeTar([{ path: 'var/lib/rpm/rpmdb.sqlite', content: fixture('rpmdb.sqlite') }]),
      await makeTar([
        { path: 'usr/lib/python3.9/site-packages/customs-1.0rc1.dist-info/METADATA', content: metadata },
        { path: 'usr/local/lib/python3.9/site-packages/requests-2.31.0.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n' },
      ]),
    ].map(gzip);
    const descs = layers.map((l, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${String(i).repeat(64)}`, size: l.length }));
    const limits = configSchema.parse({}).limits;
    const results = [];
    for (let i = 0; i < layers.length; i++) results.push(await analyzeLayer(chunked(layers[i]!), descs[i]!, [rpmAnalyzer, pythonAnalyzer], limits));
    const merged = mergeLayers(results, descs);
    const py = merged.packages.filter((p) => p.type === 'pypi').map((p) => `${p.name}@${p.version} ${p.osOwned === true}`).sort();
    expect(py).toEqual(['customs@1.0rc1 true', 'requests@2.31.0 false']);
    expect(merged.packages.filter((p) => p.type === 'rpm').length).toBe(3);
  });

  it('the base-name prefilter of file lists lets through every path language analyzers read', () => {
    const paths = ['/usr/lib/python3.9/site-packages/six-1.15.0.dist-info/METADATA', '/usr/lib64/python3.6/site-packages/rpm-4.14.3-py3.6.egg-info',
      '/usr/lib/python3/dist-packages/x.egg-info/PKG-INFO', '/usr/lib/python3/x.egg', '/usr/lib/node_modules/npm/package.json',
      '/usr/lib/node_modules/@npmcli/arborist/package.json', '/usr/share/java/commons-io.jar', '/usr/share/java/X.WAR',
      '/usr/share/gems/specifications/json-2.5.1.gemspec', '/usr/share/gems/specifications/default/csv-3.1.9.gemspec',
      '/usr/share/php/vendor/composer/installed.json', '/usr/lib64/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json'];
    for (const p of paths) {
      expect(isLanguageMetadataPath(p)).toBe(true);
      expect(mayBeLanguageFile(p.slice(p.lastIndexOf('/') + 1))).toBe(true);
    }
    expect(mayBeLanguageFile('libc.so.6')).toBe(false);
    expect(mayBeLanguageFile('README')).toBe(false);
  });

  it('splits source rpm names at the last two dashes', () => {
    expect(splitSourceRpm('openssl-3.0.7-27.el9.src.rpm')).toEqual({ name: 'openssl', version: '3.0.7-27.el9' });
    expect(splitSourceRpm('python-lxml-4.9.3-2.el9_8.1.src.rpm')).toEqual({ name: 'python-lxml', version: '4.9.3-2.el9_8.1' });
    expect(splitSourceRpm('kernel-5.14.0-1.nosrc.rpm')).toEqual({ name: 'kernel', version: '5.14.0-1' });
    expect(splitSourceRpm('garbage')).toBeUndefined();
  });
});

// ---- hostile input: always a clear error or a warning, never a crash, a hang or a stray RangeError

const header = () => readRpmDbValues(fixture('rpmdb.sqlite')).values.find((v) => parseRpmHeader(v).name === 'customs-hello')!;

/** index of the first index entry with this tag */
function entryAt(blob: Buffer, tag: number): number {
  const il = blob.readUInt32BE(0);
  for (let i = 0; i < il; i++) if (blob.readInt32BE(8 + 16 * i) === tag) return 8 + 16 * i;
  throw new Error(`tag ${tag} not in header`);
}

/** a small deterministic PRNG so failures reproduce */
function prng(seed: number) {
  return () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
}

function expectClean(fn: () => unknown) {
  try { fn(); } catch (e) {
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(RangeError);
    expect((e as Error).message.length).toBeGreaterThan(0);
  }
}

describe('rpm header parser on hostile bytes', () => {
  it('refuses absurd tag counts and data lengths before allocating anything', () => {
    const h = Buffer.from(header());
    const a = Buffer.from(h); a.writeUInt32BE(0xffffffff, 0);
    expect(() => parseRpmHeader(a)).toThrow(/index entries/);
    const b = Buffer.from(h); b.writeUInt32BE(0x7fffffff, 4);
    expect(() => parseRpmHeader(b)).toThrow(RpmHeaderError);
  });

  it('refuses offsets outside the data and strings without their NUL', () => {
    const h = Buffer.from(header());
    const at = entryAt(h, 1000);
    const a = Buffer.from(h); a.writeInt32BE(0x7fffffff, at + 8);
    expect(() => parseRpmHeader(a)).toThrow(/offset 2147483647 outside data/);
    const b = Buffer.from(h); b.writeInt32BE(-16, at + 8);
    expect(() => parseRpmHeader(b)).toThrow(/outside data/);
    // NAME pointing at the last data byte, made non-NUL: the string would run past the header
    const c = Buffer.from(h); c.writeInt32BE(h.readUInt32BE(4) - 1, at + 8); c[c.length - 1] = 0x41;
    expect(() => parseRpmHeader(c)).toThrow(/runs past/);
  });

  it('refuses huge counts in the file list quickly', () => {
    const h = Buffer.from(header());
    const at = entryAt(h, 1117); // BASENAMES
    h.writeUInt32BE(0xfffffff0, at + 12);
    const t0 = Date.now();
    expect(() => parseRpmHeader(h, { files: true })).toThrow(/cannot fit/);
    expect(Date.now() - t0).toBeLessThan(1000);
    const d = Buffer.from(header());
    d.writeUInt32BE(0x40000000, entryAt(d, 1116) + 12); // DIRINDEXES
    expect(() => parseRpmHeader(d, { files: true })).toThrow(/run past/);
  });

  it('refuses millions of empty file names in a header of zeros', () => {
    // NAME, VERSION, RELEASE, then BASENAMES claiming 2,000,000 strings over 2 MB of NUL bytes
    const strs = Buffer.from('x\0' + '1\0' + '1\0');
    const dl = strs.length + 2_000_000;
    const blob = Buffer.alloc(8 + 4 * 16 + dl);
    blob.writeUInt32BE(4, 0); blob.writeUInt32BE(dl, 4);
    const ent = (i: number, tag: number, type: number, off: number, count: number) => {
      blob.writeInt32BE(tag, 8 + 16 * i); blob.writeUInt32BE(type, 12 + 16 * i); blob.writeInt32BE(off, 16 + 16 * i); blob.writeUInt32BE(count, 20 + 16 * i);
    };
    ent(0, 1000, 6, 0, 1); ent(1, 1001, 6, 2, 1); ent(2, 1002, 6, 4, 1); ent(3, 1117, 8, strs.length, 2_000_000);
    strs.copy(blob, 8 + 4 * 16);
    expect(parseRpmHeader(blob).name).toBe('x');
    expect(() => parseRpmHeader(blob, { files: true })).toThrow(/2000000 strings are too many/);
    // a name of 70,000 characters
    blob.fill(0x61, 8 + 4 * 16 + strs.length, 8 + 4 * 16 + strs.length + 70_000);
    ent(0, 1000, 6, strs.length, 1);
    expect(() => parseRpmHeader(blob)).toThrow(/tag 1000: value of 70000 characters is too long/);
  });

  it('survives every truncation and random byte flips with a clean error', () => {
    const h = header();
    for (let n = 0; n < h.length; n += 3) expectClean(() => parseRpmHeader(h.subarray(0, n), { files: true }));
    const rnd = prng(7);
    for (let k = 0; k < 300; k++) {
      const m = Buffer.from(h);
      for (let j = 0; j < 4; j++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
      expectClean(() => parseRpmHeader(m, { files: true }));
    }
  });
});

describe('rpm database readers on hostile bytes', () => {
  it('truncated databases give fewer packages or a clear error (every format, many cut points)', async () => {
    for (const f of ['rpmdb.sqlite', 'Packages', 'Packages-512', 'Packages.db']) {
      const buf = fixture(f);
      const step = Math.max(1, Math.floor(buf.length / 60));
      for (let n = 0; n < buf.length; n += step) {
        try {
          const r = await rpmAnalyzer.analyze('/var/lib/rpm/' + f, buf.subarray(0, n));
          expect((r?.packages ?? []).length).toBeLessThanOrEqual(3);
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
          expect(e).not.toBeInstanceOf(RangeError);
          expect((e as Error).message).not.toBe('');
        }
      }
    }
  });

  it('garbage after a valid magic is a clear error', () => {
    const rnd = prng(11);
    const noise = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
    for (let k = 0; k < 40; k++) {
      const bdb = noise(8192); bdb.writeUInt32LE(0x061561, 12); bdb.writeUInt32LE(4096, 20); bdb[24] = 0; bdb[25] = 8;
      expectClean(() => parseRpmDb('/var/lib/rpm/Packages', bdb));
      const ndb = noise(8192); ndb.write('RpmP', 0, 'latin1'); ndb.writeUInt32LE(0, 4); ndb.writeUInt32LE(1, 12);
      expectClean(() => parseRpmDb('/var/lib/rpm/Packages.db', ndb));
      const sql = noise(8192); sql.write('SQLite format 3\0', 0, 'latin1');
      expectClean(() => parseRpmDb('/var/lib/rpm/rpmdb.sqlite', sql));
    }
    expect(() => parseRpmDb('/var/lib/rpm/Packages', noise(100))).toThrow(/not an rpm database/);
  });

  it('BerkeleyDB: an overflow chain looping on itself or pointing past the file is a warning', async () => {
    const buf = Buffer.from(fixture('Packages-512'));
    const ps = 512;
    let looped = 0;
    for (let pg = 1; pg < buf.length / ps; pg++) {
      if (buf[pg * ps + 25] === 7 && buf.readUInt32LE(pg * ps + 16) !== 0 && looped === 0) {
        buf.writeUInt32LE(pg, pg * ps + 16); // next page = itself
        looped = pg;
      }
    }
    expect(looped).toBeGreaterThan(0);
    const t0 = Date.now();
    const r = parseRpmDb('/var/lib/rpm/Packages', buf);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r.packages.length).toBe(2);
    expect(r.warnings.join('\n')).toMatch(new RegExp(`overflow page ${looped} is used twice`));
    // through the layer walker: the packages that could be read, and the problem as a layer warning
    const layer = gzip(await makeTar([{ path: 'var/lib/rpm/Packages', content: buf }]));
    const desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'a'.repeat(64)}`, size: layer.length };
    const lr = await analyzeLayer(chunked(layer), desc, [rpmAnalyzer], configSchema.parse({}).limits);
    expect(lr.files['/var/lib/rpm/Packages']![0]!.packages!.length).toBe(2);
    expect(lr.files['/var/lib/rpm/Packages']![0]!.warnings).toBeUndefined();
    expect(lr.warnings).toEqual([expect.stringMatching(new RegExp(`analyzer rpm on /var/lib/rpm/Packages: overflow page ${looped} is used twice`))]);

    const far = Buffer.from(fixture('Packages-512'));
    for (let pg = 1; pg < far.length / ps; pg++) if (far[pg * ps + 25] === 7) far.writeUInt32LE(0x7ffffff0, pg * ps + 16);
    const r2 = readBdbHashValues(far, far.length);
    expect(r2.values.map((v) => v.length)).toEqual([4]); // only rpm's key-0 counter is on-page; every header was in a broken chain
    expect(r2.warnings.join('\n')).toMatch(/past the end of the file/);
  });

  it('BerkeleyDB: huge item counts, bad page sizes and encryption are refused', () => {
    const buf = Buffer.from(fixture('Packages'));
    const ps = 4096;
    for (let pg = 1; pg < buf.length / ps; pg++) if (buf[pg * ps + 25] === 13) buf.writeUInt16LE(0xffff, pg * ps + 20);
    expect(readBdbHashValues(buf, buf.length).warnings.join('\n')).toMatch(/claims 65535 items/);
    const bad = Buffer.from(fixture('Packages')); bad.writeUInt32LE(1000, 20);
    expect(() => readBdbHashValues(bad, bad.length)).toThrow(BdbError);
    const enc = Buffer.from(fixture('Packages')); enc[24] = 1;
    expect(() => readBdbHashValues(enc, enc.length)).toThrow(/encrypted/);
  });

  it('NDB: bad checksums, oversized blocks and absurd slot page counts', () => {
    const buf = Buffer.from(fixture('Packages.db'));
    buf[4096 + 100] ^= 0xff; // inside the first blob
    const r = readNdbValues(buf, buf.length);
    expect(r.values.length).toBe(3);
    expect(r.warnings).toEqual([expect.stringMatching(/checksum mismatch/)]);
    const big = Buffer.from(fixture('Packages.db'));
    big.writeUInt32LE(0xffffffff, 32 + 12); // first slot: block count
    expect(readNdbValues(big, big.length).warnings.join()).toMatch(/outside the blob area/);
    const pages = Buffer.from(fixture('Packages.db')); pages.writeUInt32LE(0xffffffff, 12);
    expect(() => readNdbValues(pages, pages.length)).toThrow(NdbError);
    // every slot pointing at the same blob cannot multiply the output
    const dup = Buffer.from(fixture('Packages.db'));
    const first = dup.subarray(32, 48);
    for (let off = 48; off < 4096; off += 16) first.copy(dup, off);
    expect(readNdbValues(dup, dup.length).warnings.join()).toMatch(/more than the file/);
  });

  it('SQLite: a view in place of the table is refused without running it; non-blob rows are skipped', () => {
    const file = join(work, 'view.sqlite');
    const db = new DatabaseSync(file);
    db.exec('CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x AS hnum, x AS blob FROM c');
    db.close();
    expect(() => readRpmDbValues(readFileSync(file))).toThrow(SqliteDbError);
    expect(() => readRpmDbValues(readFileSync(file))).toThrow(/no Packages table/);

    const file2 = join(work, 'mixed.sqlite');
    const db2 = new DatabaseSync(file2);
    db2.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL)');
    db2.prepare('INSERT INTO Packages VALUES (?, ?)').run(1, 'text, not a header');
    db2.prepare('INSERT INTO Packages VALUES (?, ?)').run(2, header());
    db2.close();
    const r = parseRpmDb('/var/lib/rpm/rpmdb.sqlite', readFileSync(file2));
    expect(r.packages.map((p) => p.name)).toEqual(['customs-hello']);
    expect(r.warnings).toEqual(['row 1: blob is not a BLOB']);
  });

  it('a WAL-mode database is read from the file alone', () => {
    const file = join(work, 'wal.sqlite');
    copyFileSync(join(FIX, 'rpmdb.sqlite'), file);
    const db = new DatabaseSync(file);
    db.exec('PRAGMA journal_mode=WAL');
    db.close();
    const buf = readFileSync(file);
    expect(buf[18]).toBe(2);
    expect(parseRpmDb('/var/lib/rpm/rpmdb.sqlite', buf).packages.length).toBe(3);
  });
});
