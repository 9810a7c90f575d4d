// --scanners, --pkg-types, --skip-dirs/--skip-files, --list-all-pkgs and the table's columns, width and
// summary: end to end through bin/customs against a real registry, real tar layers, real formats.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/client.ts';
import { customsCli, type CliResult } from './helpers/cli.ts';
import { pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { githubToken } from './helpers/secret-fixtures.ts';
import { gzip, makeTar } from './helpers/tar.ts';

const work = mkdtempSync(join(tmpdir(), 'customs-narrow-'));
const customs = customsCli(work);
const json = (r: CliResult): any => {
  try { return JSON.parse(r.stdout); } catch { throw new Error(`exit ${r.code}, no JSON; stderr: ${r.stderr}`); }
};

const osRelease = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n';
const dpkgStatus = 'Package: libssl3\nStatus: install ok installed\nVersion: 3.0.8-1\nArchitecture: amd64\nSource: openssl\n';
const pkgJson = (name: string, version: string) => JSON.stringify({ name, version, license: 'MIT', description: 'x' });
const advisories = [
  { id: 'DSA-5417-1', modified: '2023-06-01T00:00:00Z', upstream: ['CVE-2023-2650'], summary: 'openssl - security update: possible denial of service translating ASN.1 object identifiers',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }],
    affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.9-1' }] }] }] },
  { id: 'GHSA-p6mc-m468-83gw', modified: '2024-01-01T00:00:00Z', aliases: ['CVE-2020-8203'], summary: 'Prototype Pollution in lodash',
    database_specific: { severity: 'HIGH' },
    affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.19' }] }] }] },
  { id: 'GHSA-xvch-5gv4-984h', modified: '2024-01-01T00:00:00Z', aliases: ['CVE-2021-44906'], summary: 'Prototype Pollution in minimist',
    database_specific: { severity: 'CRITICAL' },
    affected: [{ package: { ecosystem: 'npm', name: 'minimist' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.2.6' }] }] }] },
];

let reg: TestRegistry;
let ref: string;

beforeAll(async () => {
  reg = await startRegistry({ auth: 'none' });
  const client = new RegistryClient(testConfig());
  await pushImage(client, reg.host, 'narrow/app', 'v1', {
    layers: [
      { data: gzip(await makeTar([{ path: 'etc/os-release', content: osRelease }, { path: 'var/lib/dpkg/status', content: dpkgStatus }])) },
      { data: gzip(await makeTar([
        { path: 'srv/app/node_modules/lodash/package.json', content: pkgJson('lodash', '4.17.15') },
        { path: 'opt/vendor/tools/node_modules/minimist/package.json', content: pkgJson('minimist', '1.2.5') },
        { path: 'srv/app/config/deploy.env', content: `GITHUB_TOKEN=${githubToken('ghp')}\n` },
      ])) },
    ],
    config: { architecture: 'amd64', os: 'linux', config: { User: 'root' }, rootfs: { type: 'layers', diff_ids: [] } },
  });
  await client.close();
  ref = `${reg.host}/narrow/app:v1`;
  const file = join(work, 'advisories.json');
  writeFileSync(file, JSON.stringify(advisories));
  const imp = await customs(['db', 'import', file]);
  expect(imp.code, imp.stderr).toBe(0);
}, 120_000);
afterAll(async () => { await reg?.stop(); });

const findings = (j: any) => j.images.flatMap((i: any) => i.vulnerabilities.map((v: any) => v.package.name)).sort();
const packages = (j: any) => j.images.flatMap((i: any) => i.packages.map((p: any) => p.name)).sort();
const secrets = (j: any) => j.images.flatMap((i: any) => i.hygiene?.secrets ?? []);

describe('--scanners and --pkg-types', () => {
  it('by default everything is reported', async () => {
    const j = json(await customs(['scan', ref, '--format', 'json']));
    expect(findings(j)).toEqual(['libssl3', 'lodash', 'minimist']);
    expect(secrets(j)).toHaveLength(1);
    expect(j.images[0].hygiene.config.length).toBeGreaterThan(0); // runs as root
  });

  it('--pkg-types os / library keep only those packages and their findings (Trivy spellings too)', async () => {
    const os = json(await customs(['scan', ref, '--format', 'json', '--pkg-types', 'os']));
    expect(packages(os)).toEqual(['libssl3']);
    expect(findings(os)).toEqual(['libssl3']);
    const lib = json(await customs(['scan', ref, '--format', 'json', '--pkg-types', 'library']));
    expect(findings(lib)).toEqual(['lodash', 'minimist']);
    const both = json(await customs(['scan', ref, '--format', 'json', '--pkg-types', 'os-pkgs,LANG-PKGS']));
    expect(findings(both)).toEqual(['libssl3', 'lodash', 'minimist']);
  });

  it('--scanners secret: secrets only, no findings and no empty-database talk', async () => {
    const r = await customs(['scan', ref, '--format', 'json', '--scanners', 'secret']);
    const j = json(r);
    expect(findings(j)).toEqual([]);
    expect(secrets(j)).toHaveLength(1);
    expect(j.images[0].hygiene.config).toEqual([]);
    expect(r.stderr).not.toMatch(/empty/);
  });

  it('--scanners vuln: no secrets (the analyzer does not run), no configuration findings; licenses only with license', async () => {
    const j = json(await customs(['scan', ref, '--format', 'json', '--scanners', 'vuln']));
    expect(findings(j)).toEqual(['libssl3', 'lodash', 'minimist']);
    expect(secrets(j)).toEqual([]);
    expect(j.images[0].hygiene.config).toEqual([]);
    expect(j.images[0].packages.some((p: any) => p.license)).toBe(false);
    const withLicense = json(await customs(['scan', ref, '--format', 'json', '--scanners', 'vuln,license']));
    expect(withLicense.images[0].packages.find((p: any) => p.name === 'lodash').license).toBe('MIT');
  });

  it('refuses unknown words with exit 2 before pulling anything', async () => {
    for (const args of [['--scanners', 'vuln,rootkit'], ['--pkg-types', 'kernel'], ['--scanners', ','], ['--skip-dirs', '/']]) {
      const r = await customs(['scan', `${reg.host}/narrow/absent:v1`, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^customs: --(scanners|pkg-types|skip-dirs)/);
    }
  });
});

describe('--skip-dirs and --skip-files', () => {
  it('leave out packages and secrets under the globs, with or without a leading slash, repeated or comma-listed', async () => {
    for (const dir of ['opt/vendor', '/opt/vendor/', '/opt/**', '**/tools']) {
      expect(findings(json(await customs(['scan', ref, '--format', 'json', '--skip-dirs', dir]))), dir).toEqual(['libssl3', 'lodash']);
    }
    const files = json(await customs(['scan', ref, '--format', 'json', '--skip-files', '**/*.env']));
    expect(secrets(files)).toEqual([]);
    expect(findings(files)).toEqual(['libssl3', 'lodash', 'minimist']);
    const both = json(await customs(['scan', ref, '--format', 'json', '--skip-dirs', 'opt/vendor,srv/app/node_modules', '--skip-files', '/srv/app/config/deploy.env']));
    expect(findings(both)).toEqual(['libssl3']);
    expect(secrets(both)).toEqual([]);
    // a glob that names the directory itself, not a file below it, leaves the file in
    expect(findings(json(await customs(['scan', ref, '--format', 'json', '--skip-files', 'opt/vendor'])))).toEqual(['libssl3', 'lodash', 'minimist']);
  });

  it('apply to SBOMs too, and the cache serves every setting (no layer analysed twice)', async () => {
    const sbom = json(await customs(['sbom', ref, '--skip-dirs', '/opt', '--pkg-types', 'library']));
    expect(sbom.components.filter((c: any) => c.type !== 'operating-system').map((c: any) => c.name).sort()).toEqual(['lodash']);
    const inv = await customs(['scan', ref, '--format', 'inventory', '--log-level', 'info', '--log-format', 'json', '--skip-dirs', 'srv']);
    expect(inv.stdout).not.toMatch(/lodash/);
    expect(inv.stdout).toMatch(/minimist/);
    expect(inv.stdout).toMatch(/2 layers \(2 from cache\)/);
  });
});

describe('the table', () => {
  it('has target and title columns, per-severity totals and the coverage line', async () => {
    const r = await customs(['scan', ref]);
    expect(r.code).toBe(0);
    const header = r.stdout.split('\n').find((l) => l.startsWith('PACKAGE'))!;
    expect(header).toMatch(/TARGET\s+LAYER\s+TITLE$/);
    expect(header).not.toMatch(/EPSS|KEV/); // no feed loaded: no empty columns
    expect(r.stdout).toMatch(/lodash .*\/srv\/app\/node_modules\/lodash\/package\.json .*Prototype Pollution in lodash/);
    expect(r.stdout).toMatch(/^total: 3 vulnerabilities \(critical 1, high 2, medium 0, low 0, unknown 0, none 0\)$/m);
    expect(r.stdout).toMatch(/^coverage: 3 of 3 packages judged against loaded advisories$/m);
  });

  it('fits $COLUMNS by cutting titles and paths first', async () => {
    const wide = await customs(['scan', ref]);
    const longest = Math.max(...wide.stdout.split('\n').filter((l) => /^(PACKAGE|libssl3|lodash|minimist)/.test(l)).map((l) => l.length));
    expect(longest).toBeGreaterThan(140);
    const cli = customsCli(work);
    const prev = process.env.COLUMNS;
    process.env.COLUMNS = '140';
    try {
      const narrow = await cli(['scan', ref]);
      const rows = narrow.stdout.split('\n').filter((l) => /^(PACKAGE|libssl3|lodash|minimist)/.test(l));
      expect(rows.length).toBe(4);
      for (const l of rows) expect(l.length, l).toBeLessThanOrEqual(140);
      expect(narrow.stdout).toMatch(/…/);
    } finally {
      if (prev === undefined) delete process.env.COLUMNS; else process.env.COLUMNS = prev;
    }
  });

  it('--list-all-pkgs lists every package with license, path and layer', async () => {
    const r = await customs(['scan', ref, '--list-all-pkgs', '--pkg-types', 'library']);
    expect(r.stdout).toMatch(/packages of linux\/amd64 \(2\):/);
    expect(r.stdout).toMatch(/^npm\s+lodash\s+4\.17\.15\s+MIT\s+\/srv\/app\/node_modules\/lodash\/package\.json\s+1$/m);
    expect((await customs(['scan', ref])).stdout).not.toMatch(/packages of/);
  });
});
