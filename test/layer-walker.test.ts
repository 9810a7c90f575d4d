import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Analyzer } from '../src/analyzers/analyzer.ts';
import { inventoryAnalyzers } from '../src/ecosystems/index.ts';
import { configSchema, type Limits } from '../src/config/schema.ts';
import { CustomsError } from '../src/errors.ts';
import { analyzeLayer } from '../src/image/layer-walker.ts';
import type { Descriptor } from '../src/types.ts';
import { DigestVerifier } from '../src/util/digest.ts';
import { chunked, gzip, makeTar, zeroTarGzipStream, zstd } from './helpers/tar.ts';
import { pzstdFrames, skippableFrame, zstdTwoFrames } from './helpers/hostile.ts';

const LIMITS: Limits = configSchema.parse({}).limits;
const GZ = 'application/vnd.oci.image.layer.v1.tar+gzip';
const ZST = 'application/vnd.oci.image.layer.v1.tar+zstd';
const TAR = 'application/vnd.oci.image.layer.v1.tar';

function desc(buf: Buffer, mediaType = GZ): Descriptor {
  return { mediaType, digest: `sha256:${createHash('sha256').update(buf).digest('hex')}`, size: buf.length };
}

async function caught(p: Promise<unknown>): Promise<CustomsError> {
  try { await p; } catch (e) { if (e instanceof CustomsError) return e; throw e; }
  throw new Error('expected a CustomsError, got success');
}

const OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n';
const STATUS = 'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u4\n\nPackage: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\nSource: bash (5.2.15-2)\n';

async function sampleTar(): Promise<Buffer> {
  return makeTar([
    { path: 'etc/', type: 'dir' },
    { path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
    { path: 'usr/lib/os-release', content: OS_RELEASE },
    { path: 'usr/bin/big-unwanted', content: Buffer.alloc(300_000, 7) },
    { path: './var/lib/dpkg/status', content: STATUS },
    { path: 'var/lib/dpkg/.wh.status-old', content: '' },
    { path: 'var/cache/apt/.wh..wh..opq', content: '' },
    { path: 'root/.wh..wh.plnk', content: '' },
  ]);
}

describe('analyzeLayer', () => {
  it('reads gzip, zstd and plain tar layers alike', async () => {
    const t = await sampleTar();
    for (const [mt, bytes] of [[GZ, gzip(t)], [ZST, zstd(t)], [TAR, t]] as const) {
      const r = await analyzeLayer(chunked(bytes, 4096), desc(bytes, mt), inventoryAnalyzers(), LIMITS);
      expect(Object.keys(r.files).sort()).toEqual(['/usr/lib/os-release', '/var/lib/dpkg/status']);
      expect(r.files['/usr/lib/os-release']![0]!.os).toMatchObject({ id: 'debian', versionId: '12', versionCodename: 'bookworm' });
      const pk = r.files['/var/lib/dpkg/status']![0]!;
      expect(pk.analyzer).toBe('dpkg');
      expect(pk.packages!.map((p) => `${p.name}=${p.version}<${p.sourceName}=${p.sourceVersion}`)).toEqual(['libc6=2.36-9+deb12u4<glibc=2.36-9+deb12u4', 'bash=5.2.15-2+b2<bash=5.2.15-2']);
      expect(r.symlinks).toEqual({ '/etc/os-release': '/usr/lib/os-release' });
      expect(r.whiteouts).toEqual(['/var/lib/dpkg/status-old']);
      expect(r.opaqueDirs).toEqual(['/var/cache/apt']);
      expect(r.stats.entries).toBe(8);
      expect(r.stats.uncompressedBytes).toBe(t.length);
      expect(r.stats.bytesRead).toBe(bytes.length);
      expect(r.warnings).toEqual([]);
    }
  });

  it('reads every frame of a multi-frame zstd layer (zstd CLI, pzstd, skippable frames), whatever the chunking', async () => {
    const t = await sampleTar();
    const layers = [
      zstdTwoFrames(t),
      pzstdFrames(t),
      Buffer.concat([skippableFrame(Buffer.from('toc')), zstdTwoFrames(t), skippableFrame(Buffer.alloc(0), 0xf)]),
    ];
    for (const bytes of layers) {
      for (const size of [1, 3, 5, 4096]) {
        const r = await analyzeLayer(chunked(bytes, size), desc(bytes, ZST), inventoryAnalyzers(), LIMITS);
        expect(Object.keys(r.files).sort()).toEqual(['/usr/lib/os-release', '/var/lib/dpkg/status']);
        expect(r.stats.uncompressedBytes).toBe(t.length);
        expect(r.stats.bytesRead).toBe(bytes.length);
      }
    }
    // a frame asking for a 1 GiB window (zstd --long=30 on a stream of unknown size) is a limit, not corrupt
    const tar = await sampleTar();
    const long = execFileSync('zstd', ['-q', '--long=30', '-c'], { input: tar });
    const w = await caught(analyzeLayer(chunked(long), desc(long, ZST), inventoryAnalyzers(), LIMITS));
    expect(w.kind).toBe('limit');
    expect(w.message).toMatch(/: zstd frame needs a window above 128 MiB of memory to decode/);
    // garbage after the last frame is not silently dropped
    const trailing = Buffer.concat([zstd(t), Buffer.from('not a frame')]);
    const e = await caught(analyzeLayer(chunked(trailing), desc(trailing, ZST), inventoryAnalyzers(), LIMITS));
    expect(e.kind).toBe('corrupt');
    expect(e.message).toMatch(/: not a zstd frame at byte \d+ \(magic 0x/);
  });

  it('trusts magic bytes over a lying media type', async () => {
    const t = await sampleTar();
    const gz = gzip(t);
    const r1 = await analyzeLayer(chunked(gz), desc(gz, TAR), inventoryAnalyzers(), LIMITS);
    expect(Object.keys(r1.files)).toContain('/var/lib/dpkg/status');
    const r2 = await analyzeLayer(chunked(t), desc(t, GZ), inventoryAnalyzers(), LIMITS);
    expect(Object.keys(r2.files)).toContain('/var/lib/dpkg/status');
    const zs = zstd(t);
    const r3 = await analyzeLayer(chunked(zs), desc(zs, GZ), inventoryAnalyzers(), LIMITS);
    expect(Object.keys(r3.files)).toContain('/var/lib/dpkg/status');
  });

  it('reads the blob to its end so an upstream DigestVerifier checks it (tar padding included)', async () => {
    const t = Buffer.concat([await sampleTar(), Buffer.alloc(10240)]); // extra record padding
    const gz = gzip(t);
    const good = desc(gz);
    const ok = Readable.from(chunked(gz)).pipe(new DigestVerifier(good.digest, good.size, 'layer'));
    const r = await analyzeLayer(ok, good, inventoryAnalyzers(), LIMITS);
    expect(Object.keys(r.files)).toContain('/var/lib/dpkg/status');
    const bad = { ...good, digest: `sha256:${'ab'.repeat(32)}` };
    const lying = Readable.from(chunked(gz)).pipe(new DigestVerifier(bad.digest, bad.size, 'layer'));
    const e = await caught(analyzeLayer(lying, bad, inventoryAnalyzers(), LIMITS));
    expect(e.kind).toBe('digest-mismatch');
  });

  it('normalises paths and never lets an entry escape the root (nothing is written to disk)', async () => {
    const tag = `customs-escape-${process.pid}-${Date.now()}`;
    const t = await makeTar([
      { path: `../../../../../../tmp/${tag}-a`, content: 'x' },
      { path: `/tmp/${tag}-b`, content: 'abs' },
      { path: `a/../../tmp/${tag}-c`, content: 'x' },
      { path: '/etc/os-release', content: 'ID=alpine\n' },
      { path: 'var/lib/../lib/dpkg/./status', content: STATUS },
      { path: 'usr/lib/os-release', type: 'symlink', linkname: '/../../../../etc/passwd' },
      { path: `etc/../../../tmp/${tag}-d`, type: 'symlink', linkname: '/etc/passwd' },
      { path: 'lib/apk/db/installed', type: 'symlink', linkname: '../../../../../../../../etc/shadow' },
      { path: `var/lib/dpkg/status.d/x`, type: 'link', linkname: '../../etc/passwd' },
    ]);
    const gz = gzip(t);
    const r = await analyzeLayer(chunked(gz), desc(gz), inventoryAnalyzers(), LIMITS);
    expect(Object.keys(r.files).sort()).toEqual(['/etc/os-release', '/var/lib/dpkg/status']);
    // symlink targets are clamped at the image root
    expect(r.symlinks).toEqual({ '/usr/lib/os-release': '/etc/passwd', '/lib/apk/db/installed': '/etc/shadow' });
    expect(r.warnings.filter((w) => w.includes('unsafe path'))).toHaveLength(3);
    expect(r.warnings.some((w) => w.includes('hard link /var/lib/dpkg/status.d/x points outside'))).toBe(true);
    for (const s of ['a', 'b', 'c', 'd']) expect(existsSync(`/tmp/${tag}-${s}`)).toBe(false);
    for (const p of [...Object.keys(r.files), ...Object.keys(r.symlinks), ...Object.values(r.symlinks)]) {
      expect(p.startsWith('/')).toBe(true);
      expect(p.split('/')).not.toContain('..');
    }
  });

  it('a hard link to a wanted file too big to keep for links is an unread input, not a silent gap', async () => {
    const big = 'Package: big\nStatus: install ok installed\nVersion: 1\nDescription: x\n' + ' x\n'.repeat(2_000_000);
    const t = await makeTar([
      { path: 'var/lib/dpkg/status.d/big', content: big },
      { path: 'var/lib/dpkg/status', type: 'link', linkname: 'var/lib/dpkg/status.d/big' },
    ]);
    const r = await analyzeLayer(chunked(t), desc(t, TAR), inventoryAnalyzers(), LIMITS);
    expect(r.files['/var/lib/dpkg/status.d/big']![0]!.packages!.map((p) => p.name)).toEqual(['big']);
    expect(r.files['/var/lib/dpkg/status']).toEqual([{ analyzer: 'dpkg', facts: [{ id: 'unread-input', detail: expect.stringMatching(/^dpkg: hard link to \/var\/lib\/dpkg\/status\.d\/big, whose content was not kept/) }] }]);
  });

  it('analyses hard links to wanted files captured earlier in the layer', async () => {
    const t = await makeTar([
      { path: 'usr/lib/os-release', content: OS_RELEASE },
      { path: 'etc/os-release', type: 'link', linkname: 'usr/lib/os-release' },
      { path: 'var/lib/dpkg/status', type: 'link', linkname: 'usr/share/not-captured' },
    ]);
    const r = await analyzeLayer(chunked(t), desc(t, TAR), inventoryAnalyzers(), LIMITS);
    expect(r.files['/etc/os-release']![0]!.os!.id).toBe('debian');
    expect(r.files['/etc/os-release']![0]!.os!.foundIn).toBe('/etc/os-release');
    expect(r.files['/var/lib/dpkg/status']).toBeUndefined();
    expect(r.warnings.some((w) => w.includes('not captured'))).toBe(true);
  });

  it('records wanted files with no findings, too-big wanted files as warnings and unread inputs, analyzer errors as warnings', async () => {
    const boom: Analyzer = { name: 'boom', version: 1, wants: (p) => p === '/etc/boom' || p === '/etc/os-release', analyze: async () => { throw new Error('kaput'); } };
    const slow: Analyzer = {
      name: 'slow', version: 1, wants: (p) => p === '/etc/slow',
      analyze: async (p, c) => { await new Promise((r) => setTimeout(r, 20)); return { packages: [{ type: 'apk', name: c.toString(), version: '1', foundIn: p }] }; },
    };
    const t = await makeTar([
      { path: 'etc/boom', content: 'x' },
      { path: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.19.1\n' },
      { path: 'var/lib/dpkg/status', content: 'not a status file\n' },
      { path: 'lib/apk/db/installed', content: Buffer.alloc(5000, 0x41) },
      { path: 'etc/slow', content: 'slowpkg' },
    ]);
    const gz = gzip(t);
    const limits = { ...LIMITS, maxFileBytes: 4096 };
    const r = await analyzeLayer(chunked(gz, 100), desc(gz), [...inventoryAnalyzers(), boom, slow], limits);
    expect(r.files['/etc/boom']).toEqual([]); // a failing analyzer of default completeness: a warning only
    expect(r.files['/var/lib/dpkg/status']).toEqual([]); // not a status file: no packages, nothing failed
    // an OS package database over the cap leaves an unread-input fact (the inventory is incomplete while it is visible)
    expect(r.files['/lib/apk/db/installed']).toEqual([{ analyzer: 'apk', facts: [{ id: 'unread-input', detail: 'apk: 5000 bytes, above limits.maxFileBytes (4096): not analysed' }] }]);
    expect(r.files['/etc/os-release']).toEqual([{ analyzer: 'os-release', os: { id: 'alpine', versionId: '3.19.1', foundIn: '/etc/os-release' } }]);
    expect(r.files['/etc/slow']![0]!.packages![0]!.name).toBe('slowpkg');
    expect(r.warnings.filter((w) => w.includes('kaput'))).toHaveLength(2);
    expect(r.warnings.some((w) => w.includes('/lib/apk/db/installed is 5000 bytes, above maxFileBytes'))).toBe(true);
  });

  it('fails with corrupt on a truncated gzip or zstd layer', async () => {
    const t = await sampleTar();
    const gz = gzip(t);
    const e1 = await caught(analyzeLayer(chunked(gz.subarray(0, gz.length >> 1)), desc(gz), inventoryAnalyzers(), LIMITS));
    expect(e1.kind).toBe('corrupt');
    expect(e1.message).toContain(desc(gz).digest);
    const zs = zstd(t);
    const e2 = await caught(analyzeLayer(chunked(zs.subarray(0, zs.length >> 1)), desc(zs, ZST), inventoryAnalyzers(), LIMITS));
    expect(e2.kind).toBe('corrupt');
    const broken = Buffer.from(gz);
    broken[broken.length >> 1] ^= 0xff; broken[(broken.length >> 1) + 1] ^= 0xff;
    const e3 = await caught(analyzeLayer(chunked(broken), desc(broken), inventoryAnalyzers(), LIMITS));
    expect(e3.kind).toBe('corrupt');
  });

  it('fails with corrupt on a corrupt tar header or a truncated tar', async () => {
    const t = await sampleTar();
    const bad = Buffer.from(t);
    bad[512 + 3] ^= 0x55; // second header's name, checksum left as it was
    const gz = gzip(bad);
    const e1 = await caught(analyzeLayer(chunked(gz), desc(gz), inventoryAnalyzers(), LIMITS));
    expect(e1.kind).toBe('corrupt');
    expect(e1.message).toContain(desc(gz).digest);
    const cut = t.subarray(0, 512 * 3 + 100); // inside an entry
    const e2 = await caught(analyzeLayer(chunked(cut), desc(cut, TAR), inventoryAnalyzers(), LIMITS));
    expect(e2.kind).toBe('corrupt');
    const garbage = Buffer.alloc(4096, 0x61);
    const e3 = await caught(analyzeLayer(chunked(garbage), desc(garbage, TAR), inventoryAnalyzers(), LIMITS));
    expect(e3.kind).toBe('corrupt');
  });

  it('refuses unknown media types and caps entries per layer', async () => {
    const t = await sampleTar();
    const e1 = await caught(analyzeLayer(chunked(t), desc(t, 'application/vnd.example.thing'), inventoryAnalyzers(), LIMITS));
    expect(e1.kind).toBe('unsupported');
    const e2 = await caught(analyzeLayer(chunked(t), desc(t, TAR), inventoryAnalyzers(), { ...LIMITS, maxEntriesPerLayer: 3 }));
    expect(e2.kind).toBe('limit');
    const e3 = await caught(analyzeLayer(chunked(t), desc(t, TAR), inventoryAnalyzers(), { ...LIMITS, maxLayerBytes: 100_000 }));
    expect(e3.kind).toBe('limit');
  });

  it('stops a gzip bomb with a limit error while memory stays bounded', async () => {
    const size = 8 * 1024 ** 3 - 4096; // 8 GiB of zeros, generated lazily
    const blob = zeroTarGzipStream(size);
    const before = process.memoryUsage().rss;
    const limits = { ...LIMITS, ratioGraceBytes: 64 * 1024 * 1024, maxCompressionRatio: 200 };
    const d: Descriptor = { mediaType: GZ, digest: `sha256:${'0'.repeat(64)}`, size: 0 };
    const e = await caught(analyzeLayer(blob, d, inventoryAnalyzers(), limits));
    expect(e.kind).toBe('limit');
    expect(e.message).toMatch(/decompression ratio above 200:1 — possible decompression bomb/);
    expect(process.memoryUsage().rss - before).toBeLessThan(150 * 1024 * 1024);
  });

  it('drains a large unwanted entry without buffering it', async () => {
    const size = 768 * 1024 * 1024; // passes the ratio cap only because it is raised here
    const before = process.memoryUsage().rss;
    const d: Descriptor = { mediaType: GZ, digest: `sha256:${'0'.repeat(64)}`, size: 0 };
    const r = await analyzeLayer(zeroTarGzipStream(size, 'usr/share/big.img'), d, inventoryAnalyzers(), { ...LIMITS, maxCompressionRatio: 100_000 });
    expect(r.stats.entries).toBe(1);
    expect(r.stats.uncompressedBytes).toBeGreaterThan(size);
    expect(process.memoryUsage().rss - before).toBeLessThan(150 * 1024 * 1024);
  });

  it('uses this machine\'s real dpkg status when layered', async () => {
    const t = await makeTar([{ path: 'var/lib/dpkg/status', content: readFileSync('/var/lib/dpkg/status') }]);
    const zs = zstd(t);
    const r = await analyzeLayer(chunked(zs), desc(zs, ZST), inventoryAnalyzers(), LIMITS);
    expect(r.files['/var/lib/dpkg/status']![0]!.packages!.length).toBeGreaterThan(50);
  });
});
