// End to end through the real command line (bin/customs on Node 24) against a real docker-registry.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/client.ts';
import { pushImage, pushIndex, type PushedImage } from './helpers/push.ts';
import { freePort, startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar, zeroTarGzipStream } from './helpers/tar.ts';
import { collect } from './helpers/util.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CUSTOMS = join(ROOT, 'bin/customs');
const work = mkdtempSync(join(tmpdir(), 'customs-cli-'));
// fast failure paths: no long retry waits in tests
const cfgFile = join(work, 'customs.yaml');
writeFileSync(cfgFile, 'http:\n  retries: 1\n  backoffMs: 10\n  maxBackoffMs: 50\n  timeoutMs: 3000\n');

function customs(args: string[], dataDir = join(work, 'data')): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(CUSTOMS, args, { env: { ...process.env, CUSTOMS_DATA: dataDir, CUSTOMS_CONFIG: cfgFile, CUSTOMS_LOG_LEVEL: 'warn' }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

// This machine's own package database and os-release: real files in their real formats.
const dpkgStatus = readFileSync('/var/lib/dpkg/status');
const osRelease = readFileSync('/usr/lib/os-release');
const alpineOsRelease = 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n';
const apkDb = [
  'C:Q1abc=\nP:musl\nV:1.2.4_git20230717-r4\nA:aarch64\nS:383152\nI:622592\nT:the musl c library (libc) implementation\nU:https://musl.libc.org/\nL:MIT\no:musl\nm:Timo Teräs <timo.teras@iki.fi>\nt:1705590080\nc:f93af038c3de7146121c2ea8124ba5ce29b4b058\nF:lib\nR:ld-musl-aarch64.so.1\n',
  'C:Q1def=\nP:libcrypto3\nV:3.1.4-r5\nA:aarch64\nL:Apache-2.0\no:openssl\nm:Ariadne Conill <ariadne@dereferenced.org>\n',
  'C:Q1ghi=\nP:busybox\nV:1.36.1-r15\nA:aarch64\nL:GPL-2.0-only\no:busybox\n',
].join('\n');

let reg: TestRegistry;
let client: RegistryClient;
let amd64: PushedImage;
let arm64: PushedImage;
const expectedDebs = new Set<string>();

beforeAll(async () => {
  reg = await startRegistry({ auth: 'none' });
  client = new RegistryClient(testConfig());
  for (const stanza of dpkgStatus.toString('utf8').split(/\n\n+/)) {
    const name = /^Package: (.+)$/m.exec(stanza)?.[1];
    if (name && /^Status: \S+ ok installed$/m.test(stanza)) expectedDebs.add(name);
  }
  // amd64: layer 0 = base OS; layer 1 = a distroless status.d entry + a whiteout removing a file of layer 0
  const base = gzip(await makeTar([
    { path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
    { path: 'usr/lib/os-release', content: osRelease },
    { path: 'var/lib/dpkg/status', content: dpkgStatus },
    { path: 'opt/tool/status.d/x', content: 'not a package db' },
  ]));
  const app = gzip(await makeTar([
    { path: 'var/lib/dpkg/status.d/myapp', content: 'Package: myapp\nVersion: 2.0-1\nArchitecture: amd64\nSource: myapp-src (2.0-1)\nMaintainer: Team <t@example.com>\n' },
    { path: 'opt/.wh.tool', content: '' },
  ]));
  amd64 = await pushImage(client, reg.host, 'e2e/app', undefined, {
    layers: [{ data: base }, { data: app }],
    config: { architecture: 'amd64', os: 'linux', config: { User: '1000' }, rootfs: { type: 'layers', diff_ids: [] } },
  });
  arm64 = await pushImage(client, reg.host, 'e2e/app', undefined, {
    layers: [{ data: gzip(await makeTar([{ path: 'etc/os-release', content: alpineOsRelease }, { path: 'lib/apk/db/installed', content: apkDb }])) }],
    config: { architecture: 'arm64', variant: 'v8', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
  });
  // buildkit-style attestation child: must never be scanned as an image
  const att = await pushImage(client, reg.host, 'e2e/app', undefined, {
    layers: [{ data: Buffer.from('{"_type":"https://in-toto.io/Statement/v0.1"}'), mediaType: 'application/vnd.in-toto+json' }],
    config: { architecture: 'unknown', os: 'unknown' },
  });
  await pushIndex(client, reg.host, 'e2e/app', 'multi', [
    amd64.descriptor({ os: 'linux', architecture: 'amd64' }),
    arm64.descriptor({ os: 'linux', architecture: 'arm64', variant: 'v8' }),
    att.descriptor({ os: 'unknown', architecture: 'unknown' }),
  ]);
}, 120_000);

afterAll(async () => {
  await client?.close();
  await reg?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('customs scan / sbom against a real registry', () => {
  it('scans every platform of an index, skipping the attestation child', async () => {
    const r = await customs(['scan', `${reg.host}/e2e/app:multi`, '--format', 'json', '--no-cache']);
    // no advisories imported in this data dir: said clearly, never a silent "no vulnerabilities"
    expect(r.stderr).toMatch(/^customs: warning: the vulnerability database is empty/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.images.map((i: any) => `${i.platform.os}/${i.platform.architecture}`)).toEqual(['linux/amd64', 'linux/arm64']);
    const [a, b] = out.images;
    expect(a.os).toMatchObject({ id: 'debian', versionId: '12', foundIn: '/usr/lib/os-release' });
    const debs = a.packages.filter((p: any) => p.foundIn === '/var/lib/dpkg/status');
    expect(new Set(debs.map((p: any) => p.name))).toEqual(expectedDebs);
    expect(debs.every((p: any) => p.layer === amd64.layers[0]!.digest && p.layerIndex === 0)).toBe(true);
    const myapp = a.packages.find((p: any) => p.name === 'myapp');
    expect(myapp).toMatchObject({ version: '2.0-1', sourceName: 'myapp-src', foundIn: '/var/lib/dpkg/status.d/myapp', layer: amd64.layers[1]!.digest, layerIndex: 1 });
    expect(b.os).toMatchObject({ id: 'alpine', versionId: '3.19.1' });
    expect(b.packages.map((p: any) => `${p.name}@${p.version}<${p.sourceName}`)).toEqual(
      ['busybox@1.36.1-r15<busybox', 'libcrypto3@3.1.4-r5<openssl', 'musl@1.2.4_git20230717-r4<musl']);
    expect(b.manifestDigest).toBe(arm64.manifestDigest);
  });

  it('--quiet keeps stderr empty; progress is drawn on a terminal unless --no-progress or --quiet', async () => {
    const quiet = await customs(['scan', `${reg.host}/e2e/app:multi`, '--format', 'json', '--no-cache', '-q']);
    expect(quiet).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(quiet.stdout).images).toHaveLength(2);
    // a real pseudo-terminal (util-linux script) for stderr
    const onTty = (extra: string) => new Promise<string>((res) => execFile('script', ['-qec', `${CUSTOMS} scan ${reg.host}/e2e/app:multi --format json --no-cache ${extra} >/dev/null`, '/dev/null'],
      { env: { ...process.env, CUSTOMS_DATA: join(work, 'data'), CUSTOMS_CONFIG: cfgFile, CUSTOMS_LOG_LEVEL: 'warn' } }, (_e, stdout) => res(stdout)));
    expect(await onTty('')).toMatch(/e2e\/app:multi: \d+ layers, \d+ cached, [\d.]+ MB to fetch/);
    expect(await onTty('--no-progress')).not.toMatch(/MB to fetch/);
    expect(await onTty('--quiet')).toBe('');
  });

  it('--platform narrows an index to one platform; an absent platform is a clear error', async () => {
    const r = await customs(['scan', `${reg.host}/e2e/app:multi`, '--platform', 'linux/arm64', '--format', 'json', '--no-cache']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).images.map((i: any) => i.platform.architecture)).toEqual(['arm64']);
    const none = await customs(['scan', `${reg.host}/e2e/app:multi`, '--platform', 'linux/s390x', '--no-cache']);
    expect(none.code).toBe(4);
    expect(none.stderr).toMatch(/no image for platform linux\/s390x/);
    const bad = await customs(['scan', `${reg.host}/e2e/app:multi`, '--platform', 'linux']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid platform "linux"/);
  });

  it('prints a table for people, with the layer each package came from', async () => {
    const r = await customs(['scan', `${reg.host}/e2e/app@${amd64.manifestDigest}`, '--format', 'inventory', '--no-cache']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Debian GNU\/Linux 12 \(bookworm\); 2 layers \(0 from cache\); \d+ packages/);
    expect(r.stdout).toMatch(new RegExp(`deb\\s+myapp\\s+2\\.0-1\\s+amd64\\s+myapp-src 2\\.0-1\\s+1 ${amd64.layers[1]!.digest.slice(7, 19)}`));
  });

  it('writes CycloneDX 1.6 with purls, image digest and layer of origin', async () => {
    const file = join(work, 'bom.json');
    const r = await customs(['sbom', `${reg.host}/e2e/app@${amd64.manifestDigest}`, '--output', file, '--no-cache']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const bom = JSON.parse(readFileSync(file, 'utf8'));
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1 });
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(bom.metadata.component).toMatchObject({ type: 'container', version: amd64.manifestDigest });
    expect(bom.metadata.component.purl).toMatch(/^pkg:oci\/app@sha256:[0-9a-f]{64}\?arch=amd64&repository_url=127\.0\.0\.1%3A\d+%2Fe2e%2Fapp$/);
    const libc = bom.components.find((c: any) => c.name === 'libc6');
    expect(libc.purl).toMatch(/^pkg:deb\/debian\/libc6@[^?]+\?arch=amd64&distro=debian-12&upstream=glibc$/);
    expect(libc.properties).toContainEqual({ name: 'customs:layer:digest', value: amd64.layers[0]!.digest });
    expect(bom.components.find((c: any) => c.type === 'operating-system')).toMatchObject({ name: 'debian', version: '12' });
    const refs = new Set(bom.components.map((c: any) => c['bom-ref']));
    expect(refs.size).toBe(bom.components.length); // bom-refs are unique
    expect(bom.dependencies.find((d: any) => d.ref === bom.metadata.component['bom-ref']).dependsOn.length).toBe(bom.components.length);
  });

  it('writes SPDX 2.3 for a multi-arch index: one container package per platform', async () => {
    const r = await customs(['sbom', `${reg.host}/e2e/app:multi`, '--format', 'spdx', '--no-cache']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT' });
    const containers = doc.packages.filter((p: any) => p.primaryPackagePurpose === 'CONTAINER');
    expect(containers.map((p: any) => p.versionInfo)).toEqual([amd64.manifestDigest, arm64.manifestDigest]);
    expect(doc.documentDescribes).toEqual(containers.map((p: any) => p.SPDXID));
    const musl = doc.packages.find((p: any) => p.name === 'musl');
    expect(musl.externalRefs[0].referenceLocator).toBe('pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=aarch64&distro=alpine-3.19.1');
    expect(doc.relationships).toContainEqual({ spdxElementId: containers[1].SPDXID, relationshipType: 'CONTAINS', relatedSpdxElement: musl.SPDXID });
    for (const p of doc.packages) expect(p.SPDXID).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    expect(new Set(doc.packages.map((p: any) => p.SPDXID)).size).toBe(doc.packages.length);
  });

  it('answers a second scan from the layer cache without downloading any layer blob', async () => {
    const data = join(work, 'cache-data');
    const img = await pushImage(client, reg.host, 'e2e/cached', 'v1', {
      layers: [{ data: gzip(await makeTar([{ path: 'etc/os-release', content: osRelease }, { path: 'var/lib/dpkg/status', content: dpkgStatus }])) }],
      config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
    });
    const first = await customs(['scan', `${reg.host}/e2e/cached:v1`, '--format', 'json'], data);
    expect(first.code).toBe(0);
    // Remove the layer from the registry: only the cache can answer now.
    rmSync(reg.blobPath(img.layers[0]!.digest));
    const second = await customs(['scan', `${reg.host}/e2e/cached:v1`, '--format', 'json'], data);
    expect(second.stderr).not.toMatch(/error/i);
    expect(second.code).toBe(0);
    const a = JSON.parse(first.stdout).images[0];
    const b = JSON.parse(second.stdout).images[0];
    expect(a.layers[0].cached).toBe(false);
    expect(b.layers[0].cached).toBe(true);
    expect(b.packages).toEqual(a.packages);
    // and without the cache the missing blob is a clear not-found
    const uncached = await customs(['scan', `${reg.host}/e2e/cached:v1`, '--no-cache'], data);
    expect(uncached.code).toBe(4);
    expect(uncached.stderr).toMatch(/blob|unknown|not found/i);
  });
});

describe('customs command line errors', () => {
  it('unknown reference syntax → exit 2', async () => {
    const r = await customs(['scan', 'UPPER/Case::x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^customs: invalid image reference/);
  });

  it('registry unreachable → exit 5 naming the host', async () => {
    const port = await freePort();
    const r = await customs(['scan', `127.0.0.1:${port}/x/y:z`]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(new RegExp(`cannot reach 127\\.0\\.0\\.1:${port}`));
  });

  it('speaks sentences on stderr by default, JSON lines when asked, and refuses an unknown log format', async () => {
    const port = await freePort();
    const text = await customs(['scan', `127.0.0.1:${port}/x/y:z`]);
    const lines = text.stderr.trim().split('\n');
    // no raw JSON before the error: the retry warning is a sentence, the error the last line
    expect(lines.every((l) => l.startsWith('customs: '))).toBe(true);
    expect(lines[0]).toMatch(/^customs: warning: connection failed; retrying \(what=127\.0\.0\.1:\d+\/x\/y:z manifest, host=127\.0\.0\.1:\d+, code=ECONNREFUSED, attempt=1, waitMs=\d+\)$/);
    const json = await customs(['scan', `127.0.0.1:${port}/x/y:z`, '--log-format', 'json']);
    expect(JSON.parse(json.stderr.split('\n')[0]!)).toMatchObject({ level: 40, msg: 'connection failed; retrying', code: 'ECONNREFUSED' });
    const bad = await customs(['scan', `127.0.0.1:${port}/x/y:z`, '--log-format', 'xml']);
    expect(bad).toMatchObject({ code: 2, stderr: 'customs: --log-format must be text or json, not "xml"\n' });
  });

  it('archive not found → exit 4', async () => {
    for (const ref of ['oci-archive:/nonexistent/app.tar', 'docker-archive:/nonexistent/app.tar', 'oci:/nonexistent/layout']) {
      const r = await customs(['scan', ref]);
      expect(r.code, ref).toBe(4);
      expect(r.stderr, ref).toMatch(/not found: \/nonexistent\//);
    }
  });

  it('blob digest mismatch → exit 7', async () => {
    const img = await pushImage(client, reg.host, 'e2e/tampered', 'v1', {
      layers: [{ data: gzip(await makeTar([{ path: 'etc/os-release', content: osRelease }])) }],
      config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
    });
    const p = reg.blobPath(img.layers[0]!.digest);
    const bytes = readFileSync(p);
    bytes[bytes.length - 5] ^= 0xff; // same size, different content
    writeFileSync(p, bytes);
    const r = await customs(['scan', `${reg.host}/e2e/tampered:v1`, '--no-cache']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/digest/);
  });

  it('unsupported layer media type → exit 8', async () => {
    await pushImage(client, reg.host, 'e2e/weird', 'v1', {
      layers: [{ data: Buffer.from('hello'), mediaType: 'application/vnd.example.layer.v1+rar' }],
      config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
    });
    const r = await customs(['scan', `${reg.host}/e2e/weird:v1`, '--no-cache']);
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/unsupported layer media type "application\/vnd\.example\.layer\.v1\+rar"/);
  });

  it('corrupt (truncated) layer → exit 9', async () => {
    const full = gzip(await makeTar([{ path: 'var/lib/dpkg/status', content: dpkgStatus }]));
    await pushImage(client, reg.host, 'e2e/truncated', 'v1', {
      layers: [{ data: full.subarray(0, Math.floor(full.length / 2)) }], // digest of the truncated bytes: only gunzip can tell
      config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
    });
    const r = await customs(['scan', `${reg.host}/e2e/truncated:v1`, '--no-cache']);
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(/corrupt|truncated|unexpected end/i);
  });

  it('gzip bomb → exit 10, stopped early', async () => {
    const bomb = await collect(zeroTarGzipStream(1024 ** 3)); // 1 GiB of zeros in about 1 MB
    await pushImage(client, reg.host, 'e2e/bomb', 'v1', {
      layers: [{ data: bomb }],
      config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
    });
    const r = await customs(['scan', `${reg.host}/e2e/bomb:v1`, '--no-cache']);
    expect(r.code).toBe(10);
    expect(r.stderr).toMatch(/decompression ratio above 200:1/);
  });

  it('auth refused → exit 6 naming registry and scope', async () => {
    const secured = await startRegistry({ auth: 'htpasswd', users: { alice: { password: 'wonderland' } } });
    try {
      const r = await customs(['scan', `${secured.host}/private/app:v1`]);
      expect(r.code).toBe(6);
      expect(r.stderr).toContain(secured.host);
      expect(r.stderr).toContain('repository:private/app:pull');
    } finally {
      await secured.stop();
    }
  });
});

describe('customs serve', () => {
  it('answers /healthz with the embedded database and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(CUSTOMS, ['serve'], { env: { ...process.env, CUSTOMS_DATA: join(work, 'serve-data'), CUSTOMS_PORT: String(port), CUSTOMS_CONFIG: cfgFile } });
    let stderr = '';
    child.stderr.on('data', (c) => { stderr += c; });
    try {
      let body: any;
      for (let i = 0; i < 100 && !body; i++) {
        try { body = await (await fetch(`http://127.0.0.1:${port}/healthz`)).json(); } catch { await new Promise((r) => setTimeout(r, 100)); }
      }
      expect(body).toMatchObject({ status: 'ok' });
      expect(statSync(join(work, 'serve-data', 'customs.db')).size).toBeGreaterThan(0);
      const nf = await fetch(`http://127.0.0.1:${port}/nope`);
      expect(nf.status).toBe(404);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(stderr).toMatch(/customs listening/);
  });

  it('refuses an invalid configuration at start with exit 3', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((res) => {
      execFile(CUSTOMS, ['serve'], { env: { ...process.env, CUSTOMS_PORT: 'abc' } }, (err, _o, stderr) => res({ code: (err as any)?.code ?? 0, stderr }));
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/server\.port/);
  });
});
