// Language packages, rpm distributions, fix status and guidance, against real Go/PyPI advisories.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImageInventory, OsInfo, PackageRecord } from '../src/types.ts';
import { matchInventory } from '../src/vulndb/match.ts';
import { osEcosystems } from '../src/ecosystems/index.ts';
import { GO_DIR, PYPI_DIR, freshStore } from './vulndb-helpers.ts';

const pkg = (type: PackageRecord['type'], name: string, version: string, extra: Partial<PackageRecord> = {}): PackageRecord =>
  ({ type, name, version, foundIn: `/app/${name}`, layer: 'sha256:' + '2'.repeat(64), layerIndex: 1, ...extra });
const inventory = (os: OsInfo | undefined, packages: PackageRecord[]): ImageInventory => ({
  source: 'test', rootDigest: 'sha256:' + 'a'.repeat(64), manifestDigest: 'sha256:' + 'a'.repeat(64),
  platform: { os: 'linux', architecture: 'amd64' }, configDigest: 'sha256:' + 'b'.repeat(64), config: {}, layers: [],
  packages, warnings: [], ...(os ? { os } : {}),
});

describe('matching language packages', () => {
  it('Go modules and stdlib, PyPI (PEP 503 names); OS-owned language packages are left to the distribution', async () => {
    const { store, db } = await freshStore();
    await store.importFrom([GO_DIR, PYPI_DIR]);
    const inv = inventory({ id: 'debian', versionId: '12', foundIn: '/etc/os-release' }, [
      pkg('golang', 'github.com/gin-gonic/gin', 'v1.5.0'),
      pkg('golang', 'GitHub.com/Gin-Gonic/Gin', '1.5.0'),     // Go module paths are case-sensitive: no match
      pkg('golang', 'stdlib', 'go1.19.5'),
      pkg('pypi', 'AioHTTP', '3.8.4'),
      pkg('pypi', 'aiohttp', '3.8.4', { osOwned: true, foundIn: '/usr/lib/python3/dist-packages/aiohttp-3.8.4.dist-info/METADATA' }),
      pkg('npm', 'aiohttp', '3.8.4'),                         // same name, other ecosystem: no match
      pkg('golang', 'github.com/gin-gonic/gin', '(devel)', { foundIn: '/usr/local/bin/built-from-checkout' }), // no version: not judged
    ]);
    const findings = await matchInventory(store, inv);
    const keys = new Set(findings.map((f) => `${f.package.type} ${f.package.name} ${f.package.version}`));
    expect([...keys].sort()).toEqual(['golang github.com/gin-gonic/gin v1.5.0', 'golang stdlib go1.19.5', 'pypi AioHTTP 3.8.4']);
    expect(findings.every((f) => f.foundIn !== '/usr/lib/python3/dist-packages/aiohttp-3.8.4.dist-info/METADATA')).toBe(true);

    const gin = findings.find((f) => f.advisories.includes('GO-2020-0001'))!;
    expect(gin).toMatchObject({
      id: 'CVE-2020-36567', ecosystem: 'Go', matchedName: 'github.com/gin-gonic/gin', matchedVersion: 'v1.5.0',
      fixedVersions: ['1.6.0'], fixedVersion: '1.6.0', status: 'fixed-available', guidance: 'upgrade github.com/gin-gonic/gin to 1.6.0',
      layerIndex: 1,
    });
    const fp = findings.find((f) => f.advisories.includes('GO-2023-1568'))!;
    expect(fp).toMatchObject({ package: { name: 'stdlib' }, fixedVersion: '1.19.6', status: 'fixed-available' });
    const py = findings.find((f) => f.advisories.includes('PYSEC-2023-120'))!;
    expect(py).toMatchObject({ id: 'CVE-2023-37276', ecosystem: 'PyPI', package: { name: 'AioHTTP', type: 'pypi' } });
    // every finding carries a status and guidance consistent with its fixes
    for (const f of findings) {
      expect(f.status).toBe(f.fixedVersions.length ? 'fixed-available' : 'no-fix');
      expect(f.guidance).toBe(f.fixedVersion ? `upgrade ${f.package.name} to ${f.fixedVersion}` : 'no fix yet');
      if (f.fixedVersion) expect(f.fixedVersion).toBe(f.fixedVersions[0]);
    }
    db.close();
  });

  it('no fix yet, will-not-fix (Debian "unimportant"), and the lowest fix above the installed version', async () => {
    const { store, db, dataDir } = await freshStore();
    // shaped like OSV's DEBIAN-CVE records: unfixed ranges carry only introduced; urgency on the entry
    const recs = [
      { id: 'DEBIAN-CVE-2024-0001', modified: '2024-02-01T00:00:00Z', upstream: ['CVE-2024-0001'],
        affected: [{ package: { ecosystem: 'Debian:12', name: 'binutils' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], ecosystem_specific: { urgency: 'unimportant' } }] },
      { id: 'DEBIAN-CVE-2024-0002', modified: '2024-02-01T00:00:00Z', upstream: ['CVE-2024-0002'],
        affected: [{ package: { ecosystem: 'Debian:12', name: 'binutils' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], ecosystem_specific: { urgency: 'low' } }] },
      // two fix lines: 2.40-2+deb12u1 (stable update) and 2.41-1; installed 2.40-2 gets the lower one
      { id: 'DEBIAN-CVE-2024-0003', modified: '2024-02-01T00:00:00Z', upstream: ['CVE-2024-0003'],
        affected: [{ package: { ecosystem: 'Debian:12', name: 'binutils' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.40-2+deb12u1' }, { introduced: '2.41~' }, { fixed: '2.41-1' }] }] }] },
    ];
    const file = join(dataDir, 'debian.json');
    writeFileSync(file, JSON.stringify(recs));
    await store.importFrom([file]);
    const f = await matchInventory(store, inventory({ id: 'debian', versionId: '12.5', foundIn: '/etc/os-release' }, [
      pkg('deb', 'libbinutils', '2.40-2', { sourceName: 'binutils' }),
    ]));
    expect(f.map((x) => [x.id, x.status, x.fixedVersion ?? null, x.guidance])).toEqual([
      ['CVE-2024-0001', 'will-not-fix', null, 'the distribution will not fix binutils: mitigate or accept'],
      ['CVE-2024-0002', 'no-fix', null, 'no fix yet'],
      ['CVE-2024-0003', 'fixed-available', '2.40-2+deb12u1', 'upgrade libbinutils (source binutils) to 2.40-2+deb12u1'],
    ]);
    db.close();
  });

  it('rpm distributions: source rpm with epoch:version-release; ecosystems per release', async () => {
    const { store, db, dataDir } = await freshStore();
    // shaped like OSV's Rocky Linux (RLSA) records: ECOSYSTEM ranges, fixed versions with epoch
    const rlsa = { id: 'RLSA-2024:0001', modified: '2024-01-10T00:00:00Z', aliases: [], upstream: ['CVE-2023-5678'], summary: 'Moderate: openssl security update',
      affected: [{ package: { ecosystem: 'Rocky Linux:9', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:3.0.7-25.el9_3' }] }] }] };
    const file = join(dataDir, 'rocky.json');
    writeFileSync(file, JSON.stringify([rlsa]));
    await store.importFrom([file]);
    const rocky = { id: 'rocky', versionId: '9.3', foundIn: '/etc/os-release' };
    const rpm = (release: string) => pkg('rpm', 'openssl-libs', '3.0.7', { epoch: 1, release, sourceName: 'openssl' });
    const hit = await matchInventory(store, inventory(rocky, [rpm('24.el9')]));
    expect(hit.map((x) => [x.id, x.matchedName, x.matchedVersion, x.fixedVersion])).toEqual([['CVE-2023-5678', 'openssl', '1:3.0.7-24.el9', '1:3.0.7-25.el9_3']]);
    expect(await matchInventory(store, inventory(rocky, [rpm('25.el9_3')]))).toEqual([]);
    expect(await matchInventory(store, inventory({ ...rocky, versionId: '8.9' }, [rpm('24.el9')]))).toEqual([]);
    db.close();
  });

  it('maps rpm distributions to OSV ecosystems', () => {
    const os = (id: string, versionId: string) => ({ id, versionId, foundIn: '/etc/os-release' });
    expect(osEcosystems(os('rocky', '9.3'))).toEqual({ type: 'rpm', ecosystems: ['Rocky Linux:9'] });
    expect(osEcosystems(os('almalinux', '8.10'))).toEqual({ type: 'rpm', ecosystems: ['AlmaLinux:8'] });
    expect(osEcosystems(os('rhel', '9.4'))).toEqual({ type: 'rpm', ecosystems: ['Red Hat:enterprise_linux:9*'] });
    expect(osEcosystems(os('sles', '15.5'))).toEqual({ type: 'rpm', ecosystems: ['SUSE:Linux Enterprise Server 15 SP5'] });
    expect(osEcosystems(os('opensuse-leap', '15.6'))).toEqual({ type: 'rpm', ecosystems: ['openSUSE:Leap 15.6'] });
    expect(osEcosystems(os('fedora', '40'))).toBeUndefined();
  });
});
