import { randomBytes } from 'node:crypto';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MT } from '../src/image/media-types.ts';
import { parseReference } from '../src/image/reference.ts';
import { RemoteSource } from '../src/registry/remote-source.ts';
import { RegistryClient } from '../src/registry/client.ts';
import type { ImageRef } from '../src/types.ts';
import { digestOf } from '../src/util/digest.ts';
import { pushImage, pushIndex } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { caught, collect } from './helpers/util.ts';

const cfg = testConfig();
let reg: TestRegistry;
let client: RegistryClient;

function config(arch: string, variant?: string) {
  return { architecture: arch, os: 'linux', ...(variant ? { variant } : {}), rootfs: { type: 'layers', diff_ids: [] }, config: { Env: ['A=1'] } };
}


function source(ref: string): RemoteSource {
  return new RemoteSource(client, parseReference(ref) as Extract<ImageRef, { kind: 'registry' }>, cfg.limits);
}

beforeAll(async () => {
  reg = await startRegistry({ auth: 'none' });
  client = new RegistryClient(cfg);
});
afterAll(async () => {
  await client?.close();
  await reg?.stop();
});

describe('anonymous pulls from a real registry', () => {
  it('fetches a manifest by tag and by digest, verified', async () => {
    const layer = randomBytes(3000);
    const img = await pushImage(client, reg.host, 'lab/app', 'v1', { layers: [{ data: layer }], config: config('amd64') });
    const byTag = await client.getManifest(reg.host, 'lab/app', 'v1', cfg.limits.maxManifestBytes);
    expect(byTag.digest).toBe(img.manifestDigest);
    expect(byTag.contentType).toBe(MT.ociManifest);
    expect(byTag.bytes.equals(img.manifestBytes)).toBe(true);
    const byDigest = await client.getManifest(reg.host, 'lab/app', img.manifestDigest, cfg.limits.maxManifestBytes);
    expect(byDigest.digest).toBe(img.manifestDigest);
    expect(await client.headManifest(reg.host, 'lab/app', 'v1')).toBe(img.manifestDigest);
    expect(await client.listTags(reg.host, 'lab/app')).toEqual(['v1']);

    const blob = await collect(await client.openBlob(reg.host, 'lab/app', img.layers[0]!));
    expect(blob.equals(layer)).toBe(true);

    const [resolved] = await source(`${reg.host}/lab/app:v1`).resolve();
    expect(resolved!.manifestDigest).toBe(img.manifestDigest);
    expect(resolved!.platform).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(resolved!.config.env).toEqual(['A=1']);
  });

  it('reports a missing tag and a missing repository as not-found without retries', async () => {
    expect((await caught(client.getManifest(reg.host, 'lab/app', 'nope', 1 << 20))).kind).toBe('not-found');
    expect((await caught(client.getManifest(reg.host, 'lab/none', 'v1', 1 << 20))).kind).toBe('not-found');
    const missing = { mediaType: 'x', digest: digestOf('missing'), size: 7 };
    expect((await caught(client.openBlob(reg.host, 'lab/app', missing))).kind).toBe('not-found');
  });

  for (const format of ['oci', 'docker'] as const) {
    it(`resolves a multi-arch ${format} index, skipping the attestation child, and selects --platform`, async () => {
      const repo = `lab/multi-${format}`;
      const amd = await pushImage(client, reg.host, repo, undefined, { layers: [{ data: randomBytes(100) }], config: config('amd64'), format });
      const arm = await pushImage(client, reg.host, repo, undefined, { layers: [{ data: randomBytes(100) }], config: config('arm64', 'v8'), format });
      const att = await pushImage(client, reg.host, repo, undefined, { layers: [{ data: randomBytes(50), mediaType: 'application/vnd.in-toto+json' }], config: {}, format });
      const idx = await pushIndex(client, reg.host, repo, 'multi', [
        amd.descriptor({ os: 'linux', architecture: 'amd64' }),
        arm.descriptor({ os: 'linux', architecture: 'arm64', variant: 'v8' }),
        { ...att.descriptor({ os: 'unknown', architecture: 'unknown' }), annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd.manifestDigest } },
      ], { format });
      const all = await source(`${reg.host}/${repo}:multi`).resolve();
      expect(all.map((i) => i.manifestDigest)).toEqual([amd.manifestDigest, arm.manifestDigest]);
      expect(all.every((i) => i.rootDigest === idx.digest)).toBe(true);
      const armOnly = await source(`${reg.host}/${repo}@${idx.digest}`).resolve({ platform: { os: 'linux', architecture: 'arm64' } });
      expect(armOnly.map((i) => i.manifestDigest)).toEqual([arm.manifestDigest]);
      expect((await caught(source(`${reg.host}/${repo}:multi`).resolve({ platform: { os: 'linux', architecture: 's390x' } }))).kind).toBe('not-found');
    });
  }

  it('mounts across repositories, deletes manifests, and does not fetch foreign layers from their urls', async () => {
    const data = randomBytes(2000);
    const img = await pushImage(client, reg.host, 'lab/mnt-src', 'v1', { layers: [{ data }], config: config('amd64') });
    expect(await client.blobExists(reg.host, 'lab/mnt-dst', img.layers[0]!.digest)).toBe(false);
    expect(await client.mountBlob(reg.host, 'lab/mnt-dst', img.layers[0]!.digest, 'lab/mnt-src')).toBe(true);
    expect(await client.blobExists(reg.host, 'lab/mnt-dst', img.layers[0]!.digest)).toBe(true);
    expect(await client.mountBlob(reg.host, 'lab/mnt-dst', digestOf('absent'), 'lab/mnt-src')).toBe(false);

    await client.deleteManifest(reg.host, 'lab/mnt-src', img.manifestDigest);
    expect((await caught(client.getManifest(reg.host, 'lab/mnt-src', img.manifestDigest, 1 << 20))).kind).toBe('not-found');

    const foreign = { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: digestOf('foreign'), size: 7, urls: ['http://127.0.0.1:9/never'] };
    const e = await caught(source(`${reg.host}/lab/mnt-dst:x`).openBlob(foreign));
    expect(e.kind).toBe('unsupported');
    expect(e.message).toMatch(/external URLs/);
  });

  it('lets a reader stop early without leaks or stray errors', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const img = await pushImage(client, reg.host, 'lab/early', 'e', { layers: [{ data }], config: config('amd64') });
    for (let i = 0; i < 3; i++) {
      const s = await client.openBlob(reg.host, 'lab/early', img.layers[0]!);
      for await (const chunk of s) { expect(chunk.length).toBeGreaterThan(0); break; }
    }
    await new Promise((r) => setTimeout(r, 100));
    expect((await collect(await client.openBlob(reg.host, 'lab/early', img.layers[0]!))).equals(data)).toBe(true);
  });

  it('detects a tampered blob in the registry storage (digest-mismatch) and a truncated one', async () => {
    const data = randomBytes(50_000);
    const img = await pushImage(client, reg.host, 'lab/tamper', 't', { layers: [{ data }], config: config('amd64') });
    const desc = img.layers[0]!;
    const file = reg.blobPath(desc.digest);
    const bad = Buffer.from(readFileSync(file));
    bad[1000] = bad[1000]! ^ 0xff;
    writeFileSync(file, bad);
    const e = await caught(collect(await client.openBlob(reg.host, 'lab/tamper', desc)));
    expect(e.kind).toBe('digest-mismatch');
    expect(e.message).toContain(desc.digest);

    truncateSync(file, 20_000);
    const t = await caught(collect(await client.openBlob(reg.host, 'lab/tamper', desc)));
    expect(t.kind).toBe('corrupt');
    expect(t.message).toMatch(/truncated/);
    // small blobs (configs) are verified the same way
    expect((await caught(client.fetchBlob(reg.host, 'lab/tamper', desc, 1 << 20))).kind).toBe('corrupt');
  });

  it('refuses a manifest that does not hash to the requested digest', async () => {
    const img = await pushImage(client, reg.host, 'lab/mdig', 'a', { layers: [{ data: randomBytes(10) }], config: config('amd64') });
    // rewrite the stored manifest bytes (same length) behind the registry's back
    const file = reg.blobPath(img.manifestDigest);
    const text = readFileSync(file, 'utf8').replace('"schemaVersion":2', '"schemaVersion":2 ');
    writeFileSync(file, text); // still valid JSON, different bytes
    const e = await caught(client.getManifest(reg.host, 'lab/mdig', img.manifestDigest, 1 << 20));
    expect(e.kind).toBe('digest-mismatch');
    // by tag, the registry's Docker-Content-Digest no longer matches the bytes either
    expect((await caught(client.getManifest(reg.host, 'lab/mdig', 'a', 1 << 20))).kind).toBe('digest-mismatch');
  });

  it('refuses an index cycle made by rewriting storage', async () => {
    // An index cannot contain its own digest (a hash fixed point), so a cycle needs a lying registry:
    // index B → A, then A's stored bytes are replaced by "A → B".
    const fakeSelf = { mediaType: MT.ociIndex, digest: '', size: 0 };
    const aBytes = (child: string) => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [{ ...fakeSelf, digest: child, size: 1, platform: { os: 'linux', architecture: 'amd64' } }] }));
    const img = await pushImage(client, reg.host, 'lab/cycle', undefined, { layers: [{ data: randomBytes(10) }], config: config('amd64') });
    const a = aBytes(img.manifestDigest);
    const aDigest = await client.putManifest(reg.host, 'lab/cycle', 'a', a, MT.ociIndex);
    const b = aBytes(aDigest);
    const bDigest = await client.putManifest(reg.host, 'lab/cycle', 'b', b, MT.ociIndex);
    writeFileSync(reg.blobPath(aDigest), aBytes(bDigest));
    const e = await caught(source(`${reg.host}/lab/cycle:b`).resolve());
    // A's bytes no longer match A's digest: refused before any loop can happen
    expect(e.kind).toBe('digest-mismatch');
  });
});
