import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventoryAnalyzers } from '../src/ecosystems/index.ts';
import { configSchema } from '../src/config/schema.ts';
import { CustomsError } from '../src/errors.ts';
import { analyzeLayer } from '../src/image/layer-walker.ts';
import { mergeLayers } from '../src/image/merge.ts';
import { openLocalSource } from '../src/image/open-source.ts';
import type { Descriptor, ImageRef, ImageSource } from '../src/types.ts';
import { gzip, makeTar } from './helpers/tar.ts';

const LIMITS = configSchema.parse({}).limits;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let dir: string;
let layout: string;
let layerDescs: Descriptor[];
let manifestDigest: string;

function writeBlob(root: string, b: Buffer): string {
  const hex = sha(b);
  writeFileSync(join(root, 'blobs', 'sha256', hex), b);
  return `sha256:${hex}`;
}

/** An OCI layout written by hand: two gzip layers (Debian-like base + apk db in a later layer). */
function buildLayout(root: string, l1: Buffer, l2: Buffer): void {
  mkdirSync(join(root, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(root, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const gz1 = gzip(l1), gz2 = gzip(l2);
  layerDescs = [
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: writeBlob(root, gz1), size: gz1.length },
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: writeBlob(root, gz2), size: gz2.length },
  ];
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: { Env: ['PATH=/usr/bin'], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [`sha256:${sha(l1)}`, `sha256:${sha(l2)}`] },
    history: [{ created_by: 'base' }, { created_by: 'apk' }],
  }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: writeBlob(root, config), size: config.length },
    layers: layerDescs,
  }));
  manifestDigest = writeBlob(root, manifest);
  writeFileSync(join(root, 'index.json'), JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }],
  }));
}

async function readAll(s: NodeJS.ReadableStream & AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c);
  return Buffer.concat(parts);
}

async function caught(p: Promise<unknown>): Promise<CustomsError> {
  try { await p; } catch (e) { if (e instanceof CustomsError) return e; throw e; }
  throw new Error('expected a CustomsError, got success');
}

async function scan(src: ImageSource) {
  const [img, ...rest] = await src.resolve();
  expect(rest).toEqual([]);
  const results = [];
  for (const l of img!.layers) results.push(await analyzeLayer(await src.openBlob(l), l, inventoryAnalyzers(), LIMITS));
  return { img: img!, merged: mergeLayers(results, img!.layers) };
}

const APK = 'P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\nL:MIT\n\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\no:openssl\nL:Apache-2.0\n';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'customs-local-'));
  layout = join(dir, 'layout');
  const l1 = await makeTar([
    { path: 'etc/', type: 'dir' },
    { path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
    { path: 'usr/lib/os-release', content: 'ID=alpine\nNAME="Alpine Linux"\nVERSION_ID=3.19.1\n' },
    { path: 'bin/busybox', content: Buffer.alloc(100_000, 1) },
  ]);
  const l2 = await makeTar([{ path: 'lib/apk/db/installed', content: APK }]);
  buildLayout(layout, l1, l2);
  execFileSync('tar', ['-C', layout, '-cf', join(dir, 'image.oci.tar'), '.']);
  execFileSync('skopeo', ['--insecure-policy', 'copy', '-q', `oci:${layout}:v1`, `docker-archive:${join(dir, 'image.docker.tar')}:lab/app:v1`]);
});

afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('local image sources', () => {
  const refs = (): ImageRef[] => [
    { kind: 'oci', path: layout, tag: 'v1', original: `oci:${layout}:v1` },
    { kind: 'oci', path: layout, original: `oci:${layout}` },
    { kind: 'oci-archive', path: join(dir, 'image.oci.tar'), tag: 'v1', original: 'oci-archive' },
    { kind: 'docker-archive', path: join(dir, 'image.docker.tar'), original: 'docker-archive' },
  ];

  it('each source resolves, its blobs verify, and the scan finds the same inventory', async () => {
    for (const ref of refs()) {
      const src = openLocalSource(ref, LIMITS);
      const { img, merged } = await scan(src);
      expect(img.platform).toEqual({ os: 'linux', architecture: 'amd64' });
      expect(img.layers).toHaveLength(2);
      expect(img.config.diffIds).toHaveLength(2);
      for (const l of img.layers) {
        const bytes = await readAll(await src.openBlob(l));
        expect(`sha256:${sha(bytes)}`).toBe(l.digest);
        expect(bytes.length).toBe(l.size);
      }
      expect(merged.os).toMatchObject({ id: 'alpine', versionId: '3.19.1', foundIn: '/usr/lib/os-release', layer: img.layers[0]!.digest });
      expect(merged.packages.map((p) => `${p.name}@${p.version}<${p.sourceName}:${p.layerIndex}`)).toEqual(['libcrypto3@3.1.4-r5<openssl:1', 'musl@1.2.4-r2<musl:1']);
      if (ref.kind === 'docker-archive') {
        // skopeo stores uncompressed layers: digests are their diff ids
        expect(img.layers.map((l) => l.digest)).toEqual(img.config.diffIds);
        expect(img.layers[0]!.mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
      } else {
        expect(img.manifestDigest).toBe(manifestDigest);
        expect(img.layers).toEqual(layerDescs);
      }
    }
  });

  it('a tampered blob in an OCI layout fails with digest-mismatch', async () => {
    const copy = join(dir, 'tampered');
    execFileSync('cp', ['-r', layout, copy]);
    const victim = layerDescs[1]!;
    const p = join(copy, 'blobs', 'sha256', victim.digest.slice(7));
    const b = readFileSync(p);
    b[b.length - 20] ^= 0x01;
    writeFileSync(p, b);
    const src = openLocalSource({ kind: 'oci', path: copy, tag: 'v1', original: 'x' }, LIMITS);
    const [img] = await src.resolve();
    const e1 = await caught(readAll(await src.openBlob(img!.layers[1]!)));
    expect(e1.kind).toBe('digest-mismatch');
    // the layer walker surfaces the same error
    const e2 = await caught(analyzeLayer(await src.openBlob(img!.layers[1]!), img!.layers[1]!, inventoryAnalyzers(), LIMITS));
    expect(['digest-mismatch', 'corrupt']).toContain(e2.kind);
    // a tampered manifest fails at resolve time
    const m = join(copy, 'blobs', 'sha256', manifestDigest.slice(7));
    writeFileSync(m, readFileSync(m).toString().replace('"schemaVersion":2', '"schemaVersion": 2'));
    expect((await caught(src.resolve())).kind).toBe('digest-mismatch');
  });

  it('missing archives, layouts and tags are not-found', async () => {
    for (const ref of [
      { kind: 'oci-archive', path: join(dir, 'nope.tar'), original: 'x' },
      { kind: 'docker-archive', path: join(dir, 'nope.tar'), original: 'x' },
    ] as ImageRef[]) {
      const e = await caught(openLocalSource(ref, LIMITS).resolve());
      expect(e.kind).toBe('not-found');
      expect(e.message).toBe(`archive not found: ${join(dir, 'nope.tar')}`);
    }
    expect((await caught(openLocalSource({ kind: 'oci', path: join(dir, 'nolayout'), original: 'x' }, LIMITS).resolve())).kind).toBe('not-found');
    const e = await caught(openLocalSource({ kind: 'oci', path: layout, tag: 'v2', original: 'x' }, LIMITS).resolve());
    expect(e.kind).toBe('not-found');
    expect(e.message).toContain('tags: v1');
  });

  it('a blob whose digest would name a path outside the layout is refused', async () => {
    const src = openLocalSource({ kind: 'oci', path: layout, tag: 'v1', original: 'x' }, LIMITS);
    const e = await caught(src.openBlob({ mediaType: 'x', digest: 'sha256:../../../../etc/passwd', size: 1 }));
    expect(e.kind).toBe('corrupt');
  });

  it('a corrupt archive is corrupt', async () => {
    const bad = join(dir, 'bad.tar');
    const b = readFileSync(join(dir, 'image.oci.tar'));
    b[10] ^= 0x20; // first header's name; checksum no longer matches
    writeFileSync(bad, b);
    expect((await caught(openLocalSource({ kind: 'oci-archive', path: bad, original: 'x' }, LIMITS).resolve())).kind).toBe('corrupt');
    writeFileSync(bad, b.subarray(0, 700));
    expect((await caught(openLocalSource({ kind: 'docker-archive', path: bad, original: 'x' }, LIMITS).resolve())).kind).toBe('corrupt');
  });
});

describe('archive edge cases', () => {
  it('a gzip-compressed archive is refused as unsupported, not misread', async () => {
    const d = mkdtempSync(join(tmpdir(), 'customs-gz-'));
    try {
      const f = join(d, 'x.tar.gz');
      writeFileSync(f, gzip(await makeTar([{ path: 'index.json', content: '{}' }])));
      expect((await caught(openLocalSource({ kind: 'oci-archive', path: f, original: 'x' }, LIMITS).resolve())).kind).toBe('unsupported');
    } finally { rmSync(d, { recursive: true, force: true }); }
  });

  it('reads members with long (pax) names and follows in-archive symlinks', async () => {
    const d = mkdtempSync(join(tmpdir(), 'customs-pax-'));
    try {
      const { TarFileIndex } = await import('../src/image/tar-index.ts');
      const long = `dir/${'x'.repeat(150)}/${'y'.repeat(120)}.tar`;
      const f = join(d, 'a.tar');
      writeFileSync(f, await makeTar([
        { path: long, content: 'hello world' },
        { path: 'abc/layer.tar', type: 'symlink', linkname: `../${long}` },
        { path: 'hard', type: 'link', linkname: long },
        { path: 'empty', content: '' },
      ]));
      const t = await TarFileIndex.open(f);
      for (const n of [long, `./${long}`, 'abc/layer.tar', 'hard']) {
        const m = t.get(n)!;
        expect((await t.read(m, 100, n)).toString()).toBe('hello world');
        expect((await readAll(t.open(m) as any)).toString()).toBe('hello world');
      }
      expect((await t.read(t.get('empty')!, 10, 'e')).length).toBe(0);
      expect(t.get('missing')).toBeUndefined();
      expect((await caught(t.read(t.get(long)!, 5, 'small cap'))).kind).toBe('limit');
    } finally { rmSync(d, { recursive: true, force: true }); }
  });
});
