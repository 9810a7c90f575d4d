// RHEL-family advisories as the vendor means them, on real AlmaLinux 8 OSV records
// (test/fixtures/os-advisories) and a real BerkeleyDB rpm database (test/fixtures/rpm-el8): module
// streams, bug-fix/enhancement advisories, CVEs of `related`, and source-rpm versions.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRpmDb } from '../src/analyzers/rpm.ts';
import { languagePaths } from '../src/ecosystems/index.ts';
import { RegistryClient } from '../src/registry/client.ts';
import type { ImageInventory, PackageRecord } from '../src/types.ts';
import { matchInventory } from '../src/vulndb/match.ts';
import { entryFitsStream, packageStream, summaryStreams } from '../src/vulndb/rpm-modules.ts';
import { isNonSecurityAdvisory } from '../src/vulndb/advisory-kind.ts';
import { pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';
import { freshStore } from './vulndb-helpers.ts';

const ROOT = resolve(import.meta.dirname, '..');
const ADVISORIES = join(ROOT, 'test/fixtures/os-advisories/almalinux8');
const RPMDB = join(ROOT, 'test/fixtures/rpm-el8/Packages');
const OS_RELEASE = 'NAME="AlmaLinux"\nVERSION="8.10 (Cerulean Leopard)"\nID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="8.10"\nPLATFORM_ID="platform:el8"\n';

const packages = (): PackageRecord[] => parseRpmDb('/var/lib/rpm/Packages', readFileSync(RPMDB), languagePaths()).packages;
const inventory = (pkgs: PackageRecord[]): ImageInventory => ({
  source: 'test', rootDigest: 'sha256:' + 'a'.repeat(64), manifestDigest: 'sha256:' + 'a'.repeat(64), platform: { os: 'linux', architecture: 'amd64' },
  configDigest: 'sha256:' + 'b'.repeat(64), config: {}, layers: [], packages: pkgs, warnings: [], os: { id: 'almalinux', versionId: '8.10', foundIn: '/etc/os-release' },
});
const row = (f: Awaited<ReturnType<typeof matchInventory>>[number]) => [f.package.name, f.id, f.advisories.join(' '), f.matchedName, f.matchedVersion, f.fixedVersion ?? ''];

describe('AlmaLinux 8 records against a real EL 8 rpm database', () => {
  it('the database holds what rpm -qa says, modularity label included', () => {
    const byName = Object.fromEntries(packages().map((p) => [p.name, p]));
    expect(byName.nodejs).toMatchObject({ epoch: 1, version: '10.21.0', release: '3.module_el8.2.0+391+8da3adc6', modularityLabel: 'nodejs:10:8020020200707141642:6a468ee4' });
    expect(byName['perl-Errno']).toMatchObject({ version: '1.28', release: '420.el8', sourceName: 'perl', sourceVersion: '5.26.3-420.el8' });
    expect(packageStream(byName.nodejs!)).toBe('nodejs:10');
    expect(packageStream(byName['perl-libs']!)).toBeUndefined();
  });

  it('by default: the stream\'s own security advisories only, one finding per CVE, compared at the right version', async () => {
    const { store, db } = await freshStore();
    await store.importFrom([ADVISORIES]);
    const found = await matchInventory(store, inventory(packages()));
    expect(found.map(row)).toEqual([
      // ALSA-2021:0735 (nodejs:10) fixes two CVEs; ALSA-2026:8339 is nodejs:20's and says nothing of nodejs:10
      ['nodejs', 'CVE-2021-22883', 'ALSA-2021:0735', 'nodejs', '1:10.21.0-3.module_el8.2.0+391+8da3adc6', '1:10.24.0-1.module_el8.3.0+2047+b07ac28e'],
      ['nodejs', 'CVE-2021-22884', 'ALSA-2021:0735', 'nodejs', '1:10.21.0-3.module_el8.2.0+391+8da3adc6', '1:10.24.0-1.module_el8.3.0+2047+b07ac28e'],
      // ALSA-2025:11805 lists both binaries; ALSA-2024:3128 (perl:5.32) does not judge the non-modular perl
      ['perl-Errno', 'CVE-2025-40909', 'ALSA-2025:11805', 'perl-Errno', '1.28-420.el8', '1.28-423.el8_10'],
      ['perl-libs', 'CVE-2025-40909', 'ALSA-2025:11805', 'perl-libs', '4:5.26.3-420.el8', '4:5.26.3-423.el8_10'],
    ]);
    // the ALSA stays an alias (exceptions and VEX by advisory id still reach it), the vendor's rating stays
    expect(found[0]!.aliases).toEqual(['ALSA-2021:0735']);
    expect(found[0]!.severity).toMatchObject({ rating: 'high', source: 'vendor', label: 'Important' });
    db.close();
  });

  it('with includeNonSecurityAdvisories: bug-fix advisories too, a source-only one compared at the source\'s version', async () => {
    const { store, db } = await freshStore();
    await store.importFrom([ADVISORIES]);
    const found = await matchInventory(store, inventory(packages()), { includeNonSecurityAdvisories: true });
    expect(found.filter((f) => f.id.startsWith('ALBA')).map(row)).toEqual([
      ['perl-Errno', 'ALBA-2022:2018', 'ALBA-2022:2018', 'perl-Errno', '1.28-420.el8', '1.28-421.el8'],
      ['perl-libs', 'ALBA-2022:2018', 'ALBA-2022:2018', 'perl-libs', '4:5.26.3-420.el8', '4:5.26.3-421.el8'],
    ]);
    // ALBA-2021:4459 names only the source (perl, fixed 4:5.26.3-420.el8): perl-Errno is judged at
    // perl's 4:5.26.3-420.el8, which is that fix — not at its own 0:1.28-420.el8, which is below it
    expect(found.some((f) => f.advisories.includes('ALBA-2021:4459'))).toBe(false);
    db.close();
  });
});

describe('module streams and advisory kinds', () => {
  it('reads streams from titles (impact prefix left out) and from an rpmmod purl qualifier', () => {
    expect(summaryStreams('Important: nodejs:10 security update')).toEqual(['nodejs:10']);
    expect(summaryStreams('Moderate: virt:rhel and virt-devel:rhel security, bug fix, and enhancement update')).toEqual(['virt:rhel', 'virt-devel:rhel']);
    expect(summaryStreams('Important: varnish security update')).toEqual([]);
    const alsa = JSON.parse(readFileSync(join(ADVISORIES, 'ALSA-2021-0735.json'), 'utf8'));
    const aff = alsa.affected[0];
    expect(entryFitsStream(aff, alsa.summary, 'nodejs:10')).toBe(true);
    expect(entryFitsStream(aff, alsa.summary, 'nodejs:20')).toBe(false);
    expect(entryFitsStream(aff, alsa.summary, undefined)).toBe(false); // a non-modular nodejs
    expect(entryFitsStream(aff, alsa.summary, { unknown: true })).toBe(true); // modular build without a label
    // Rocky Linux's apollo export and Red Hat purls name the stream on the entry itself, which wins over the title
    const withPurl = { ...aff, package: { ...aff.package, purl: 'pkg:rpm/rocky/nodejs?rpmmod=nodejs:16:8090020240312140000:d63f516d' } };
    expect(entryFitsStream(withPurl, alsa.summary, 'nodejs:16')).toBe(true);
    expect(entryFitsStream(withPurl, alsa.summary, 'nodejs:10')).toBe(false);
  });

  it('tells bug-fix and enhancement advisories of the Red Hat family by their id', () => {
    expect(['ALBA-2021:4459', 'ALEA-2022:1869', 'RHBA-2019:1992', 'RHEA-2020:1', 'RLBA-2022:1', 'RLEA-2023:2'].every(isNonSecurityAdvisory)).toBe(true);
    expect(['ALSA-2021:0735', 'RHSA-2024:1', 'RLSA-2022:1793', 'CVE-2021-22883', 'GHSA-xxxx-yyyy-zzzz', 'USN-1-1'].some(isNonSecurityAdvisory)).toBe(false);
  });
});

describe('customs scan of an AlmaLinux 8 image in a real registry', () => {
  const work = mkdtempSync(join(tmpdir(), 'customs-os-adv-'));
  const cfgFile = join(work, 'customs.yaml');
  writeFileSync(cfgFile, 'http:\n  retries: 1\n  backoffMs: 10\n  maxBackoffMs: 50\n  timeoutMs: 3000\n');
  let reg: TestRegistry;
  const customs = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((res) => {
    execFile(join(ROOT, 'bin/customs'), args, { env: { ...process.env, CUSTOMS_DATA: join(work, 'data'), CUSTOMS_CONFIG: cfgFile, CUSTOMS_LOG_LEVEL: 'warn' }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });

  beforeAll(async () => {
    reg = await startRegistry({ auth: 'none' });
    await pushImage(new RegistryClient(testConfig()), reg.host, 'os/alma8', 'v1', {
      layers: [{ data: gzip(await makeTar([{ path: 'etc/os-release', content: OS_RELEASE }, { path: 'var/lib/rpm/Packages', content: readFileSync(RPMDB) }])) }],
      config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
    });
    expect((await customs(['db', 'import', ADVISORIES])).code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await reg?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('reports CVEs of security advisories by default; --include-non-security adds the bug-fix ones', async () => {
    const ids = async (...extra: string[]) => {
      const r = await customs(['scan', `${reg.host}/os/alma8:v1`, '--format', 'json', '--no-cache', ...extra]);
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout).images[0].vulnerabilities.map((f: any) => `${f.package.name} ${f.id}`).sort();
    };
    const plain = await ids();
    expect(plain).toEqual(['nodejs CVE-2021-22883', 'nodejs CVE-2021-22884', 'perl-Errno CVE-2025-40909', 'perl-libs CVE-2025-40909']);
    expect(await ids('--include-non-security')).toEqual([...plain, 'perl-Errno ALBA-2022:2018', 'perl-libs ALBA-2022:2018'].sort());
  });
});
