// Issue 19, image side: hostile images pushed to a real docker-registry and scanned by the real CLI
// (bin/customs scan as a child process) — each ends in a clear answer: the exit code and message of
// its kind, or a warning and an incomplete inventory. Inputs come from the real tools (jar, zip,
// zstd, pzstd, GNU tar, bzip2; test/helpers/hostile.ts). Time and memory are measured by
// bench/hostile.ts, not here.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/client.ts';
import { customsCli, type CliResult } from './helpers/cli.ts';
import { TarFileIndex } from '../src/image/tar-index.ts';
import { bzip2Tar, gnuTarPax, hugeDescriptionStatus, nestedJarBomb, overlappingJarBomb, paxLengthOverrun, workDir, pzstdFrames, skippableFrame, zstdTwoFrames, zstdZeroBomb } from './helpers/hostile.ts';
import { dpkgStatus, pushImage, pushIndex } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar, type TarEntry } from './helpers/tar.ts';
import { caught } from './helpers/util.ts';

const OS_RELEASE: TarEntry = { path: 'etc/os-release', content: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n' };
const CONFIG = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } };
const ZST = 'application/vnd.oci.image.layer.v1.tar+zstd';

let reg: TestRegistry;
let client: RegistryClient;
let cli: (args: string[]) => Promise<CliResult>;

beforeAll(async () => {
  reg = await startRegistry();
  client = new RegistryClient(testConfig());
  cli = customsCli(mkdtempSync(join(tmpdir(), 'customs-hostile-cli-')));
}, 60_000);

afterAll(async () => {
  await client.close();
  await reg.stop();
});

async function pushLayer(repo: string, data: Buffer, mediaType?: string): Promise<string> {
  await pushImage(client, reg.host, repo, 'v1', { layers: [{ data, ...(mediaType ? { mediaType } : {}) }], config: CONFIG });
  return `${reg.host}/${repo}:v1`;
}

const scanJson = (ref: string) => cli(['scan', ref, '--format', 'json', '--no-cache']);
const packagesOf = (r: CliResult) => (JSON.parse(r.stdout).images as { packages: { name: string; version: string }[] }[])[0]!.packages.map((p) => `${p.name}@${p.version}`);

describe('nested archive bombs', () => {
  const bombLayer = async (jars: [string, string][]) => gzip(await makeTar([OS_RELEASE, ...jars.map(([path, jar]) => ({ path, content: readFileSync(jar) }))]));
  const incompleteOf = (r: CliResult) => JSON.parse(r.stdout).images[0].incomplete as { path: string; reason: string }[] | undefined;

  it('overlapping zip entries (200 central records sharing one local entry, 4 levels): refused as a zip bomb at once, the inventory incomplete', async () => {
    const jar = overlappingJarBomb(workDir('overlap'), 4, 200);
    const r = await scanJson(await pushLayer('jar/overlap', await bombLayer([['app/bomb.jar', jar]])));
    expect(r.code, r.stderr).toBe(0);
    expect(incompleteOf(r)).toEqual([{ path: '/app/bomb.jar', reason: expect.stringMatching(/^java-archive: \/app\/bomb\.jar: overlapping zip entries \(entries \d+ and \d+ share bytes at offset 0\), a zip bomb: not read$/) }]);
    expect(r.stderr).toMatch(/customs: warning: inventory of linux\/amd64 incomplete, 1 input\(s\) not analysed: \/app\/bomb\.jar \(java-archive: .*a zip bomb/);
    expect(packagesOf(r)).toEqual([]);
  });

  it('real copies nested 3 levels × 30 (27,000 inner jars): cut at limits.maxNestedArchives with what was found, the inventory incomplete', async () => {
    const jar = nestedJarBomb(workDir('nested'), 3, 30);
    const r = await scanJson(await pushLayer('jar/nested', await bombLayer([['app/bomb.jar', jar]])));
    expect(r.code, r.stderr).toBe(0);
    expect(incompleteOf(r)).toEqual([{ path: '/app/bomb.jar', reason: 'java-archive: more than 10000 archives opened in this archive, nested ones included (limits.maxNestedArchives)' }]);
    // what was found before the cut: one package per inner jar read, at most one per archive opened
    const found = packagesOf(r);
    expect(found.filter((p) => p === 'bomb:inner@1.0').length).toBeGreaterThan(9000); // the outer levels are named by their file (copy-NNNN.jar)
    expect(found.length).toBeLessThanOrEqual(10_000);
  });

  it('per layer and per image: many bombs end the scan with exit 10, also when the layers come from the cache', async () => {
    const jar = nestedJarBomb(workDir('many'), 3, 30);
    const work = mkdtempSync(join(tmpdir(), 'customs-hostile-budget-'));
    // three bombs in one layer: each stops at its own 10,000, the layer at 25,000
    const layerCli = customsCli(work, 'limits:\n  maxArchivesPerLayer: 25000\n');
    const three = await pushLayer('jar/layer', await bombLayer([['a/1.jar', jar], ['a/2.jar', jar], ['a/3.jar', jar]]));
    const perLayer = await layerCli(['scan', three, '--format', 'json', '--no-cache']);
    expect(perLayer.code).toBe(10);
    expect(perLayer.stderr).toMatch(/layer sha256:[0-9a-f]{64}: Java archives: more than 25000 archives opened in this layer \(limits\.maxArchivesPerLayer\) \(at \/a\/3\.jar\)/);
    // two layers of one bomb each: within each layer's cap, over the image's
    await pushImage(client, reg.host, 'jar/image', 'v1', { layers: [{ data: await bombLayer([['a/1.jar', jar]]) }, { data: await bombLayer([['b/2.jar', jar]]) }], config: CONFIG });
    const ref = `${reg.host}/jar/image:v1`;
    const roomy = await customsCli(work)(['scan', ref, '--format', 'json']); // fills the layer cache
    expect(roomy.code, roomy.stderr).toBe(0);
    const imageCli = customsCli(work, 'limits:\n  maxArchivesPerImage: 15000\n');
    for (const cache of [['--no-cache'], []]) {
      const perImage = await imageCli(['scan', ref, '--format', 'json', ...cache]);
      expect(perImage.code, cache.join()).toBe(10);
      expect(perImage.stderr).toMatch(/Java archives: more than 15000 archives opened in this image \(limits\.maxArchivesPerImage\)/);
    }
  });
});

describe('zstd layers of several frames', () => {
  const files = async () => makeTar([OS_RELEASE, { path: 'usr/share/doc/filler', content: Buffer.alloc(3 << 20, 0x61) }, { path: 'var/lib/dpkg/status', content: dpkgStatus([['bash', '5.2.15-2'], ['libc6', '2.36-9']]) }]);

  it('two frames from the zstd CLI, concatenated: every frame is read', async () => {
    const data = zstdTwoFrames(await files());
    const r = await scanJson(await pushLayer('zstd/two', data, ZST));
    expect(r.stderr).not.toMatch(/corrupt/);
    expect(r.code).toBe(0);
    expect(packagesOf(r)).toEqual(['bash@5.2.15-2', 'libc6@2.36-9']); // the status is in the second frame
  });

  it('pzstd (a skippable frame before each frame) and skippable frames between and after', async () => {
    const tar = await files();
    const framed = pzstdFrames(tar);
    const withToc = Buffer.concat([skippableFrame(Buffer.from('lead')), zstdTwoFrames(tar), skippableFrame(Buffer.alloc(0), 0x1), skippableFrame(Buffer.from('{"toc":"zstd:chunked-like"}'))]);
    for (const [repo, data] of [['zstd/pzstd', framed], ['zstd/toc', withToc]] as const) {
      const r = await scanJson(await pushLayer(repo, data, ZST));
      expect(r.code, r.stderr).toBe(0);
      expect(packagesOf(r)).toEqual(['bash@5.2.15-2', 'libc6@2.36-9']);
    }
  });

  it('a truncated last frame is corrupt (exit 9)', async () => {
    const data = zstdTwoFrames(await files());
    const r = await scanJson(await pushLayer('zstd/cut', data.subarray(0, data.length - 7), ZST));
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(/layer sha256:[0-9a-f]{64}: (zstd stream truncated inside a frame|corrupt zstd stream)/);
  });

  it('a zstd bomb (1 GiB of zeros in a few kB) ends with exit 10, not 9', async () => {
    const data = zstdZeroBomb(2 ** 30);
    expect(data.length).toBeLessThan(200_000);
    const r = await scanJson(await pushLayer('zstd/bomb', data, ZST));
    expect(r.code).toBe(10);
    expect(r.stderr).toMatch(/decompression ratio above 200:1 — possible decompression bomb/);
  });
});

describe('memory', () => {
  it('a dpkg status with one 60 MB Description (under maxFileBytes) is read in full: the packages before and after it', async () => {
    const status = hugeDescriptionStatus(60 << 20);
    const r = await scanJson(await pushLayer('mem/dpkg', gzip(await makeTar([OS_RELEASE, { path: 'var/lib/dpkg/status', content: status }]))));
    expect(r.code, r.stderr).toBe(0);
    expect(packagesOf(r)).toEqual(['after@2.0', 'bigdesc@1.0-1']);
    expect(JSON.parse(r.stdout).images[0].incomplete).toBeUndefined();
  });
});

describe('odd input gets the right answer', () => {
  it('an index listing one manifest 10,000 times hits limits.maxManifestsPerImage (exit 10), not "a cycle"', async () => {
    const img = await pushImage(client, reg.host, 'odd/index', undefined, { layers: [{ data: gzip(await makeTar([OS_RELEASE])) }], config: CONFIG });
    await pushIndex(client, reg.host, 'odd/index', 'v1', Array.from({ length: 10_000 }, () => img.descriptor({ os: 'linux', architecture: 'amd64' })));
    const r = await scanJson(`${reg.host}/odd/index:v1`);
    expect(r.code).toBe(10);
    expect(r.stderr).toMatch(/index lists 10000 manifests, more than limits\.maxManifestsPerImage \(256\)/);
    // listed twice is not a cycle: the image is scanned once
    await pushIndex(client, reg.host, 'odd/index', 'twice', [img.descriptor({ os: 'linux', architecture: 'amd64' }), img.descriptor({ os: 'linux', architecture: 'amd64' })]);
    const twice = await scanJson(`${reg.host}/odd/index:twice`);
    expect(twice.code, twice.stderr).toBe(0);
    expect(JSON.parse(twice.stdout).images).toHaveLength(1);
  });

  it('a PAX header whose record length overruns it is a corrupt layer (exit 9); GNU tar\'s own PAX layer reads', async () => {
    const files: [string, string][] = [[`opt/${'d'.repeat(120)}/x`, 'x'], ['etc/os-release', 'ID=debian\nVERSION_ID="12"\n']];
    const bad = await scanJson(await pushLayer('odd/pax', gzip(paxLengthOverrun(files))));
    expect(bad.code).toBe(9);
    expect(bad.stderr).toMatch(/layer sha256:[0-9a-f]{64}: corrupt tar \(malformed PAX header: record at byte 0 claims \d+ bytes, only \d+ are left\)/);
    const good = await scanJson(await pushLayer('odd/pax-ok', gzip(gnuTarPax(files))));
    expect(good.code, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout).images[0].os).toMatchObject({ id: 'debian', versionId: '12' });
    // the same archive read in place (oci-archive/docker-archive index their tar with tar-index.ts)
    const dir = mkdtempSync(join(tmpdir(), 'customs-pax-'));
    writeFileSync(join(dir, 'bad.tar'), paxLengthOverrun(files));
    const e = await caught(TarFileIndex.open(join(dir, 'bad.tar')));
    expect(e.kind).toBe('corrupt');
    expect(e.message).toMatch(/malformed PAX header: record at byte 0 claims/);
  });

  it('a tar+bzip2 layer is an unsupported media type (exit 8); bzip2 bytes under a tar media type too', async () => {
    const data = bzip2Tar([['etc/os-release', 'ID=debian\n']]);
    const typed = await scanJson(await pushLayer('odd/bzip2', data, 'application/vnd.oci.image.layer.v1.tar+bzip2'));
    expect(typed.code).toBe(8);
    expect(typed.stderr).toMatch(/unsupported layer media type "application\/vnd\.oci\.image\.layer\.v1\.tar\+bzip2"/);
    const sniffed = await scanJson(await pushLayer('odd/bzip2-as-tar', data, 'application/vnd.oci.image.layer.v1.tar'));
    expect(sniffed.code).toBe(8);
    expect(sniffed.stderr).toMatch(/bzip2-compressed layer: not supported/);
  });
});
