// RPM distributions: purls as Trivy writes them, and OSV ecosystems for matching.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRpmDb } from '../src/analyzers/rpm.ts';
import { matchInventory } from '../src/vulndb/match.ts';
import type { ImageInventory } from '../src/types.ts';
import { freshStore } from './vulndb-helpers.ts';
import { packagePurl } from '../src/sbom/purl.ts';
import { rpmNamespace } from '../src/ecosystems/rpm.ts';
import { compareVersions, languagePaths, osEcosystems } from '../src/ecosystems/index.ts';
import type { OsInfo, PackageRecord } from '../src/types.ts';

const os = (id: string, versionId?: string): OsInfo => ({ id, ...(versionId ? { versionId } : {}), foundIn: '/etc/os-release' });
const openssl: PackageRecord = {
  type: 'rpm', name: 'openssl-libs', version: '3.0.7', release: '27.el9', epoch: 1, arch: 'x86_64',
  sourceName: 'openssl', sourceVersion: '3.0.7-27.el9', foundIn: '/var/lib/rpm/rpmdb.sqlite',
};

describe('rpm purls', () => {
  it('version-release as version, epoch and arch qualifiers, vendor namespace, distro and source rpm', () => {
    expect(packagePurl(openssl, os('rhel', '9.4'))).toBe(
      'pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=redhat-9.4&epoch=1&upstream=openssl-3.0.7-27.el9.src.rpm');
    const noEpoch = { ...openssl, epoch: undefined, name: 'bash', sourceName: 'bash', sourceVersion: '5.1.8-9.el9', version: '5.1.8', release: '9.el9' };
    expect(packagePurl(noEpoch, os('rocky', '9.3'))).toBe('pkg:rpm/rocky/bash@5.1.8-9.el9?arch=x86_64&distro=rocky-9.3&upstream=bash-5.1.8-9.el9.src.rpm');
    // epoch 0 is no epoch
    expect(packagePurl({ ...noEpoch, epoch: 0 }, os('almalinux', '8.10'))).not.toMatch(/epoch=/);
  });

  it('names each distribution by its vendor', () => {
    const ns = (id: string) => rpmNamespace(os(id, '1'));
    expect(['rhel', 'rocky', 'almalinux', 'sles', 'opensuse-leap', 'opensuse-tumbleweed', 'amzn', 'fedora', 'mariner', 'azurelinux', 'ol', 'centos'].map(ns))
      .toEqual(['redhat', 'rocky', 'almalinux', 'suse', 'opensuse', 'opensuse', 'amazon', 'fedora', 'mariner', 'azurelinux', 'oracle', 'centos']);
    expect(packagePurl(openssl, os('amzn', '2023'))).toMatch(/^pkg:rpm\/amazon\/openssl-libs@3\.0\.7-27\.el9\?.*distro=amazon-2023/);
    expect(packagePurl(openssl, undefined)).toBe('pkg:rpm/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-27.el9.src.rpm');
  });
});

describe('rpm distributions in OSV', () => {
  it('CBL-Mariner and Azure Linux share OSV\'s "Azure Linux:<major>"; SLE Micro and Tumbleweed too', () => {
    expect(osEcosystems(os('mariner', '2.0'))).toEqual({ type: 'rpm', ecosystems: ['Azure Linux:2'] });
    expect(osEcosystems(os('azurelinux', '3.0'))).toEqual({ type: 'rpm', ecosystems: ['Azure Linux:3'] });
    expect(osEcosystems(os('sle-micro', '5.5'))).toEqual({ type: 'rpm', ecosystems: ['SUSE:Linux Enterprise Micro 5.5'] });
    expect(osEcosystems(os('opensuse-tumbleweed', '20240801'))).toEqual({ type: 'rpm', ecosystems: ['openSUSE:Tumbleweed'] });
  });

  it('distributions without OSV data are recognised but not matched', () => {
    for (const id of ['amzn', 'fedora', 'ol', 'centos']) expect(osEcosystems(os(id, '2'))).toBeUndefined();
    expect(osEcosystems(os('mariner'))).toBeUndefined();
  });

  it('packages read from a real rpm database match an Azure Linux advisory through the store', async () => {
    const { store, db, dataDir } = await freshStore();
    // shaped like OSV's Azure Linux records (AZL-…): release-qualified ecosystem, ECOSYSTEM ranges
    const azl = { id: 'AZL-99999', modified: '2026-01-01T00:00:00Z', aliases: ['CVE-2099-0001'], summary: 'customs-hello overflow',
      affected: [{ package: { ecosystem: 'Azure Linux:3', name: 'customs-hello' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2:1.2.3-5.azl3' }] }] }] };
    const file = join(dataDir, 'azl.json');
    writeFileSync(file, JSON.stringify([azl]));
    await store.importFrom([file]);
    const { packages } = parseRpmDb('/var/lib/rpm/rpmdb.sqlite', readFileSync(resolve(import.meta.dirname, 'fixtures/rpm/rpmdb.sqlite')), languagePaths());
    const inv = (os: OsInfo): ImageInventory => ({
      source: 'test', rootDigest: 'sha256:' + 'a'.repeat(64), manifestDigest: 'sha256:' + 'a'.repeat(64), platform: { os: 'linux', architecture: 'amd64' },
      configDigest: 'sha256:' + 'b'.repeat(64), config: {}, layers: [], packages, warnings: [], os,
    });
    const hits = await matchInventory(store, inv(os('azurelinux', '3.0')));
    expect(hits.map((h) => [h.id, h.package.name, h.matchedVersion, h.fixedVersion])).toEqual([['CVE-2099-0001', 'customs-hello', '2:1.2.3-4.el9', '2:1.2.3-5.azl3']]);
    expect(await matchInventory(store, inv(os('azurelinux', '2.0')))).toEqual([]);
    expect(await matchInventory(store, inv(os('amzn', '2023')))).toEqual([]);
    db.close();
  });

  it('an rpm whose source rpm is named otherwise is matched by its own name too, once per vulnerability', async () => {
    const { store, db, dataDir } = await freshStore();
    // shaped like OSV's AlmaLinux (ALSA) records, which list binary packages; python3-customs is in
    // module stream customs:1.0, which the title names and the fixed release marks as modular
    const alsa = (id: string, cve: string, names: string[]) => ({ id, modified: '2026-01-01T00:00:00Z', aliases: [], upstream: [cve], summary: 'Important: customs:1.0 security update',
      affected: names.map((name) => ({ package: { ecosystem: 'AlmaLinux:9', name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0-1.module+el9.3.0+1300+abcdef12' }] }] })) });
    const file = join(dataDir, 'alsa.json');
    writeFileSync(file, JSON.stringify([alsa('ALSA-2026:0001', 'CVE-2099-0002', ['python3-customs']), alsa('ALSA-2026:0002', 'CVE-2099-0003', ['customs-py', 'python3-customs'])]));
    await store.importFrom([file]);
    const { packages } = parseRpmDb('/var/lib/rpm/rpmdb.sqlite', readFileSync(resolve(import.meta.dirname, 'fixtures/rpm/rpmdb.sqlite')), languagePaths());
    const inv: ImageInventory = {
      source: 'test', rootDigest: 'sha256:' + 'a'.repeat(64), manifestDigest: 'sha256:' + 'a'.repeat(64), platform: { os: 'linux', architecture: 'amd64' },
      configDigest: 'sha256:' + 'b'.repeat(64), config: {}, layers: [], packages, warnings: [], os: os('almalinux', '9.4'),
    };
    const hits = await matchInventory(store, inv);
    // python3-customs 1.0~rc1-1.module… (source customs-py) is below 1.0-1.module…: both advisories, each once
    expect(hits.map((h) => [h.id, h.package.name, h.matchedVersion]).sort()).toEqual([
      ['CVE-2099-0002', 'python3-customs', '1.0~rc1-1.module+el9.2.0+1234+abcdef12'],
      ['CVE-2099-0003', 'python3-customs', '1.0~rc1-1.module+el9.2.0+1234+abcdef12'],
    ]);
    db.close();
  });

  it('Azure Linux versions compare in rpm order (rpm 4.18 rpmvercmp)', () => {
    expect(compareVersions('Azure Linux:3', '1.3.1-1.azl3', '1.3.1-2')).toBe(-1);
    expect(compareVersions('Azure Linux:3', '0:1.3.1-1', '1.3.1-1')).toBe(0);
    expect(compareVersions('Azure Linux:3', '1:1.0-1', '2.0-1')).toBe(1);
  });
});
