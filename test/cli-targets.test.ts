// More scan targets, end to end through bin/customs: rootfs:/fs: (an unpacked filesystem),
// docker-daemon: (a real Docker Engine on its own unix socket, the image pulled from a real registry),
// sbom: (Customs' own CycloneDX/SPDX round-tripped, and SBOMs Trivy wrote).
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/client.ts';
import { customsCli, type CliResult } from './helpers/cli.ts';
import { startDockerd, type TestDockerd } from './helpers/dockerd.ts';
import { pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { githubToken } from './helpers/secret-fixtures.ts';
import { gzip, makeTar } from './helpers/tar.ts';

const work = mkdtempSync(join(tmpdir(), 'customs-targets-'));
const customs = customsCli(work);
const json = (r: CliResult): any => {
  try { return JSON.parse(r.stdout); } catch { throw new Error(`exit ${r.code}, no JSON; stderr: ${r.stderr}`); }
};
const FIXTURES = join(import.meta.dirname, 'fixtures/sbom');

const osRelease = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n';
const dpkgStatus = [
  'Package: libssl3\nStatus: install ok installed\nVersion: 3.0.8-1\nArchitecture: amd64\nSource: openssl\n',
  'Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\nSource: zlib\n',
].join('\n');
const pkgJson = JSON.stringify({ name: 'lodash', version: '4.17.15', license: 'MIT' });
const advisories = [
  { id: 'DSA-5417-1', modified: '2023-06-01T00:00:00Z', upstream: ['CVE-2023-2650'], summary: 'openssl - security update',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }],
    affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.9-1' }] }] }] },
  { id: 'GHSA-p6mc-m468-83gw', modified: '2024-01-01T00:00:00Z', aliases: ['CVE-2020-8203'], summary: 'Prototype Pollution in lodash', database_specific: { severity: 'HIGH' },
    affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.19' }] }] }] },
  // for the Trivy SBOMs: an Alpine record (matched by origin) and an npm one
  { id: 'ALPINE-TEST-musl', modified: '2024-01-01T00:00:00Z', aliases: ['CVE-2099-0001'], summary: 'musl test record',
    affected: [{ package: { ecosystem: 'Alpine:v3.16', name: 'musl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2.3-r2' }] }] }] },
  { id: 'GHSA-test-bootstrap', modified: '2024-01-01T00:00:00Z', summary: 'bootstrap test record', database_specific: { severity: 'MODERATE' },
    affected: [{ package: { ecosystem: 'npm', name: 'bootstrap' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '5.0.0' }, { fixed: '5.0.3' }] }] }] },
];

let reg: TestRegistry;
let ref: string;
const root = join(work, 'rootfs');
const outside = join(work, 'outside');

function buildRootfs(): void {
  for (const d of ['etc', 'var/lib/dpkg', 'srv/app/node_modules/lodash', 'srv/app/config']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'etc/os-release'), osRelease);
  writeFileSync(join(root, 'var/lib/dpkg/status'), dpkgStatus);
  writeFileSync(join(root, 'srv/app/node_modules/lodash/package.json'), pkgJson);
  writeFileSync(join(root, 'srv/app/config/inside.env'), `GITHUB_TOKEN=${githubToken('ghp')}\n`);
  // hostile: links out of the directory (absolute and relative), a loop, a fifo
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'host.env'), `GITHUB_TOKEN=${githubToken('ghp')}\n`);
  symlinkSync(join(outside, 'host.env'), join(root, 'srv/app/config/abs.env'));
  symlinkSync('../../../../outside/host.env', join(root, 'srv/app/config/rel.env'));
  symlinkSync('../..', join(root, 'srv/app/loop'));
  execFileSync('mkfifo', [join(root, 'srv/app/pipe')]);
}

beforeAll(async () => {
  buildRootfs();
  reg = await startRegistry({ auth: 'none' });
  const client = new RegistryClient(testConfig());
  const tars = [
    await makeTar([{ path: 'etc/os-release', content: osRelease }, { path: 'var/lib/dpkg/status', content: dpkgStatus }]),
    await makeTar([{ path: 'srv/app/node_modules/lodash/package.json', content: pkgJson }]),
  ];
  // real diff_ids: the Docker Engine checks them when it pulls
  const diffIds = tars.map((t) => `sha256:${createHash('sha256').update(t).digest('hex')}`);
  await pushImage(client, reg.host, 'targets/app', 'v1', {
    layers: tars.map((t) => ({ data: gzip(t) })),
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } },
  });
  await client.close();
  ref = `${reg.host}/targets/app:v1`;
  const file = join(work, 'advisories.json');
  writeFileSync(file, JSON.stringify(advisories));
  const imp = await customs(['db', 'import', file]);
  expect(imp.code, imp.stderr).toBe(0);
}, 120_000);
afterAll(async () => { await reg?.stop(); });

const ids = (j: any) => j.images.flatMap((i: any) => i.vulnerabilities.map((v: any) => `${v.package.name} ${v.id}`)).sort();
const pkgs = (j: any) => j.images.flatMap((i: any) => i.packages.map((p: any) => `${p.type}:${p.name}@${p.version}`)).sort();

describe('rootfs: and fs:', () => {
  it('read a directory as the image it would be: the same packages and findings as the pushed image', async () => {
    const image = json(await customs(['scan', ref, '--format', 'json']));
    for (const kind of ['rootfs', 'fs']) {
      const r = await customs(['scan', `${kind}:${root}`, '--format', 'json']);
      const dir = json(r);
      expect(pkgs(dir)).toEqual(pkgs(image));
      expect(ids(dir)).toEqual(ids(image));
      expect(ids(dir)).toEqual(['libssl3 CVE-2023-2650', 'lodash CVE-2020-8203']);
      expect(dir.images[0].os).toMatchObject({ id: 'debian', versionId: '12' });
      // a directory has no image config: no USER/HEALTHCHECK findings
      expect(dir.images[0].hygiene.config.map((c: any) => c.id)).not.toContain('root-user');
    }
  });

  it('never follows links out of the directory, does not loop, skips fifos', async () => {
    const dir = json(await customs(['scan', `rootfs:${root}`, '--format', 'json', '--scanners', 'secret']));
    const secrets = dir.images[0].hygiene.secrets;
    expect(secrets.map((s: any) => s.path)).toEqual(['/srv/app/config/inside.env']);
  });

  it('a missing directory is exit 4, a file is exit 2', async () => {
    const missing = await customs(['scan', `rootfs:${join(work, 'nope')}`]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/no such directory/);
    const file = await customs(['scan', `fs:${join(root, 'etc/os-release')}`]);
    expect(file.code).toBe(2);
    expect(file.stderr).toMatch(/not a directory/);
    expect((await customs(['scan', 'rootfs:'])).code).toBe(2);
  });
});

describe('sbom:', () => {
  it("Customs' own CycloneDX and SPDX give back the image's findings", async () => {
    const image = json(await customs(['scan', ref, '--format', 'json']));
    for (const format of ['cyclonedx', 'spdx']) {
      const file = join(work, `bom.${format}.json`);
      const s = await customs(['sbom', ref, '--format', format, '--output', file]);
      expect(s.code, s.stderr).toBe(0);
      const r = json(await customs(['scan', `sbom:${file}`, '--format', 'json']));
      expect(ids(r), format).toEqual(ids(image));
      expect(r.images[0].os).toMatchObject({ id: 'debian', versionId: '12' });
    }
  });

  it('SBOMs written by Trivy (CycloneDX 1.5, SPDX 2.2) are matched, OS and language packages alike', async () => {
    for (const f of ['trivy-cyclonedx.json', 'trivy-spdx.json']) {
      const r = json(await customs(['scan', `sbom:${join(FIXTURES, f)}`, '--format', 'json']));
      expect(r.images[0].os, f).toMatchObject({ id: 'alpine', versionId: '3.16.0' });
      expect(pkgs(r), f).toEqual(['apk:musl@1.2.3-r0', 'composer:pear/log@1.13.1', 'composer:pear/pear_exception@v1.0.0',
        'golang:github.com/package-url/packageurl-go@v0.1.1-0.20220203205134-d70459300c8a', 'maven:org.codehaus.mojo:child-project@1.0', 'npm:bootstrap@5.0.2']);
      expect(ids(r), f).toEqual(['bootstrap GHSA-test-bootstrap', 'musl CVE-2099-0001']);
    }
    const trivy = json(await customs(['scan', `sbom:${join(FIXTURES, 'trivy-cyclonedx.json')}`, '--format', 'json']));
    expect(trivy.images[0].packages.find((p: any) => p.name === 'bootstrap').foundIn).toBe('/app/app/package.json');
  });

  it('refuses what is not an SBOM with the documented codes', async () => {
    const notJson = join(work, 'not.json');
    writeFileSync(notJson, '{"bomFormat": "CycloneDX", ');
    expect((await customs(['scan', `sbom:${notJson}`])).code).toBe(9);
    const other = join(work, 'other.json');
    writeFileSync(other, JSON.stringify({ hello: 'world' }));
    const r = await customs(['scan', `sbom:${other}`]);
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/not a CycloneDX or SPDX JSON document/);
    expect((await customs(['scan', `sbom:${join(work, 'absent.json')}`])).code).toBe(4);
    const deep = join(work, 'deep.json');
    writeFileSync(deep, `{"bomFormat":"CycloneDX","components":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    expect((await customs(['scan', `sbom:${deep}`])).code).toBe(10);
  });
});

describe('docker-daemon:', () => {
  let engine: TestDockerd;
  beforeAll(async () => { engine = await startDockerd(); }, 120_000);
  afterAll(async () => { await engine?.stop(); }, 30_000);

  it('scans an image the local engine pulled from the registry: the same findings as the registry', async () => {
    const pull = await engine.docker(['pull', ref]);
    expect(pull.code, pull.stderr).toBe(0);
    const env = { DOCKER_HOST: `unix://${engine.socket}` };
    const withEngine = customsCli(work, '', env);
    const image = json(await customs(['scan', ref, '--format', 'json']));
    const daemon = json(await withEngine(['scan', `docker-daemon:${ref}`, '--format', 'json']));
    expect(pkgs(daemon)).toEqual(pkgs(image));
    expect(ids(daemon)).toEqual(ids(image));
    // by image id too
    const id = (await engine.docker(['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim();
    expect(ids(json(await withEngine(['scan', `docker-daemon:${id}`, '--format', 'json'])))).toEqual(ids(image));
  }, 120_000);

  it('an image the engine does not have is exit 4; no engine is exit 5; a TCP DOCKER_HOST is exit 8', async () => {
    const missing = await customsCli(work, '', { DOCKER_HOST: `unix://${engine.socket}` })(['scan', 'docker-daemon:nothing/here:1']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/no such image in the Docker Engine/);
    const none = await customsCli(work, '', { DOCKER_HOST: `unix://${join(work, 'none.sock')}` })(['scan', 'docker-daemon:alpine:3']);
    expect(none.code).toBe(5);
    expect(none.stderr).toMatch(/not reachable/);
    expect((await customsCli(work, '', { DOCKER_HOST: 'tcp://127.0.0.1:2375' })(['scan', 'docker-daemon:alpine:3'])).code).toBe(8);
  });
});
