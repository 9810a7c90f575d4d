import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImageInventory, PackageRecord } from '../src/types.ts';
import { compareIds, inRange, matchInventory, matchPackage } from '../src/vulndb/match.ts';
import { osEcosystems } from '../src/ecosystems/index.ts';
import { GO_DIR, PYPI_DIR, freshStore, goAdvisory } from './vulndb-helpers.ts';

const allIds = (ms: { id: string; aliases: string[] }[]) => ms.flatMap((m) => [m.id, ...m.aliases]);

describe('matching packages against the real Go and PyPI advisories', () => {
  it('Go: affected below the fix, not at it; stdlib with two introduced/fixed pairs', async () => {
    const { store, db } = await freshStore();
    await store.importFrom([GO_DIR, PYPI_DIR]);
    // GO-2020-0001: gin < 1.6.0; GO-2021-0052: gin < 1.7.7
    const at150 = await matchPackage(store, 'Go', 'github.com/gin-gonic/gin', '1.5.0');
    expect(at150.map((m) => m.id)).toEqual(['CVE-2020-28483', 'CVE-2020-36567']);
    expect(at150[1]).toMatchObject({ aliases: ['GHSA-6vm3-jj99-7229', 'GO-2020-0001'], advisories: ['GO-2020-0001'], fixedVersions: ['1.6.0'], ecosystem: 'Go' });
    expect((await matchPackage(store, 'Go', 'github.com/gin-gonic/gin', '1.6.0')).map((m) => m.id)).toEqual(['CVE-2020-28483']);
    expect(await matchPackage(store, 'Go', 'github.com/gin-gonic/gin', '1.7.7')).toEqual([]);
    expect(await matchPackage(store, 'Go', 'github.com/not/there', '1.0.0')).toEqual([]);

    // GO-2023-1568 (path/filepath): introduced 0 fixed 1.19.6, introduced 1.20.0-0 fixed 1.20.1
    const has1568 = async (v: string) => (await matchPackage(store, 'Go', 'stdlib', v)).find((m) => m.advisories.includes('GO-2023-1568'));
    expect((await has1568('1.19.5'))?.fixedVersions).toEqual(['1.19.6']);
    expect(await has1568('1.19.6')).toBeUndefined();
    expect((await has1568('1.20.0'))?.fixedVersions).toEqual(['1.20.1']);
    expect(await has1568('1.20.1')).toBeUndefined();
    db.close();
  });

  it('PyPI: aiohttp 3.8.4 is affected by PYSEC-2023-120 (listed version), 3.8.5 is not; names are PEP 503-normalised', async () => {
    const { store, db } = await freshStore();
    await store.importFrom([PYPI_DIR]);
    const m = await matchPackage(store, 'PyPI', 'aiohttp', '3.8.4');
    expect(m.find((x) => x.advisories.includes('PYSEC-2023-120'))).toMatchObject({ id: 'CVE-2023-37276', aliases: ['GHSA-45c4-8wx5-qw6w', 'PYSEC-2023-120'] });
    expect(allIds(await matchPackage(store, 'PyPI', 'AioHTTP', '3.8.4'))).toContain('PYSEC-2023-120');
    expect(allIds(await matchPackage(store, 'PyPI', 'aiohttp', '3.8.5'))).not.toContain('PYSEC-2023-120');
    db.close();
  });

  it('links aliasing advisories (GO ↔ GHSA ↔ CVE) into one finding with a CVE primary id', async () => {
    const { store, db, dataDir } = await freshStore();
    // a GitHub advisory for the same gin vulnerability, as GHSA publishes it in OSV
    const ghsa = {
      id: 'GHSA-6vm3-jj99-7229', modified: '2023-01-01T00:00:00Z', published: '2021-05-01T00:00:00Z',
      aliases: ['CVE-2020-36567'], summary: 'Gin log injection',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N' }],
      affected: [{ package: { ecosystem: 'Go', name: 'github.com/gin-gonic/gin' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.6.0' }] }] }],
      database_specific: { severity: 'HIGH' },
    };
    const file = join(dataDir, 'both.json');
    writeFileSync(file, JSON.stringify([goAdvisory('GO-2020-0001'), ghsa]));
    await store.importFrom([file]);
    const m = await matchPackage(store, 'Go', 'github.com/gin-gonic/gin', '1.5.0');
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({
      id: 'CVE-2020-36567', aliases: ['GHSA-6vm3-jj99-7229', 'GO-2020-0001'], advisories: ['GHSA-6vm3-jj99-7229', 'GO-2020-0001'],
      fixedVersions: ['1.6.0'], severity: { score: 7.5, rating: 'high', source: 'advisory', provider: 'GitHub', record: 'GHSA-6vm3-jj99-7229', type: 'CVSS_V3' },
    });
    expect(compareIds('GO-2020-0001', 'CVE-2021-1')).toBeGreaterThan(0);
    expect(compareIds('CVE-2021-9999', 'CVE-2021-10000')).toBeLessThan(0);
    db.close();
  });

  it('range evaluation: unsorted events, last_affected, several pairs, GIT ignored', () => {
    const r = (events: any[], type = 'ECOSYSTEM') => ({ type, events }) as any;
    const fx: string[] = [];
    const unsorted = r([{ fixed: '1.5.0' }, { introduced: '1.2.0' }, { fixed: '1.1.0' }, { introduced: '0' }]);
    expect(inRange('1.0.0', unsorted, 'Go', fx)).toBe(true);
    expect(fx).toEqual(['1.1.0']);
    expect(inRange('1.1.0', unsorted, 'Go', [])).toBe(false);
    expect(inRange('1.3.0', unsorted, 'Go', [])).toBe(true);
    expect(inRange('1.5.0', unsorted, 'Go', [])).toBe(false);
    const last = r([{ introduced: '1.0.0' }, { last_affected: '1.4.0' }]);
    expect(inRange('1.4.0', last, 'Go', [])).toBe(true);
    expect(inRange('1.4.1', last, 'Go', [])).toBe(false);
    expect(inRange('0.9.0', last, 'Go', [])).toBe(false);
    expect(inRange('1.0.0', r([{ introduced: '0' }], 'GIT'), 'Go', [])).toBe(false);
    expect(inRange('1.0.0', r([{ introduced: '0' }, { fixed: '2.0.0' }]), 'NoSuchEcosystem', [])).toBe(false);
  });
});

const deb = (name: string, version: string, source?: string, sourceVersion?: string): PackageRecord => ({
  type: 'deb', name, version, arch: 'amd64', foundIn: '/var/lib/dpkg/status', layer: 'sha256:' + '1'.repeat(64), layerIndex: 0,
  ...(source ? { sourceName: source } : {}), ...(sourceVersion ? { sourceVersion } : {}),
});
const inventory = (os: ImageInventory['os'], packages: PackageRecord[]): ImageInventory => ({
  source: 'test', rootDigest: 'sha256:' + 'a'.repeat(64), manifestDigest: 'sha256:' + 'a'.repeat(64),
  platform: { os: 'linux', architecture: 'amd64' }, configDigest: 'sha256:' + 'b'.repeat(64), config: {}, layers: [],
  packages, warnings: [], ...(os ? { os } : {}),
});

describe('matching an image inventory (Debian)', () => {
  it('matches binary packages by their source package and source version in Debian:<major>', async () => {
    const { store, db, dataDir } = await freshStore();
    // as in OSV's Debian data: advisories name the source package, ECOSYSTEM ranges with fixed
    const dsa = {
      id: 'DSA-5417-1', modified: '2023-06-01T00:00:00Z', published: '2023-05-31T00:00:00Z',
      summary: 'openssl - security update', upstream: ['CVE-2023-2650'],
      affected: [
        { package: { ecosystem: 'Debian:12', name: 'openssl', purl: 'pkg:deb/debian/openssl?arch=source' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.9-1' }] }] },
        { package: { ecosystem: 'Debian:11', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1.1n-0+deb11u5' }] }] },
      ],
    };
    const cve = {
      id: 'DEBIAN-CVE-2023-2650', modified: '2023-07-01T00:00:00Z', upstream: ['CVE-2023-2650'],
      details: 'Processing some specially crafted ASN.1 object identifiers or data containing them may be very slow.',
      affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.9-1' }] }], ecosystem_specific: { urgency: 'medium' } }],
    };
    const file = join(dataDir, 'debian.json');
    writeFileSync(file, JSON.stringify([dsa, cve]));
    await store.importFrom([file]);
    const os = { id: 'debian', versionId: '12', foundIn: '/etc/os-release' };

    const affected = await matchInventory(store, inventory(os, [
      deb('libssl3', '3.0.8-1', 'openssl', '3.0.8-1'),
      deb('openssl', '3.0.8-1'),
      deb('zlib1g', '1:1.2.13.dfsg-1', 'zlib', '1:1.2.13.dfsg-1'),
    ]));
    expect(affected).toHaveLength(2);
    expect(affected[0]).toMatchObject({
      id: 'CVE-2023-2650', aliases: ['DEBIAN-CVE-2023-2650', 'DSA-5417-1'], advisories: ['DEBIAN-CVE-2023-2650', 'DSA-5417-1'],
      package: { name: 'libssl3', version: '3.0.8-1', type: 'deb', sourceName: 'openssl' },
      ecosystem: 'Debian:12', matchedName: 'openssl', matchedVersion: '3.0.8-1', fixedVersions: ['3.0.9-1'],
      severity: { rating: 'medium', source: 'vendor', provider: 'Debian', type: 'ecosystem_specific.urgency', record: 'DEBIAN-CVE-2023-2650' }, summary: 'openssl - security update',
      layer: 'sha256:' + '1'.repeat(64), layerIndex: 0, foundIn: '/var/lib/dpkg/status',
    });
    expect(affected[1]!.package.name).toBe('openssl');

    // at the fix, after it (stable update), and a binNMU whose binary version differs from the source's
    for (const v of ['3.0.9-1', '3.0.11-1~deb12u2']) {
      expect(await matchInventory(store, inventory(os, [deb('libssl3', v, 'openssl', v)]))).toEqual([]);
    }
    expect(await matchInventory(store, inventory(os, [deb('libssl3', '3.0.9-1+b1', 'openssl', '3.0.9-1')]))).toEqual([]);
    expect(await matchInventory(store, inventory(os, [deb('libssl3', '3.0.8-1+b1', 'openssl', '3.0.8-1')]))).toHaveLength(1);
    // Debian 11's range applies only to Debian 11 images
    const bullseye = await matchInventory(store, inventory({ ...os, versionId: '11' }, [deb('libssl1.1', '1.1.1n-0+deb11u4', 'openssl', '1.1.1n-0+deb11u4')]));
    expect(bullseye.map((f) => [f.id, f.ecosystem, f.fixedVersions])).toEqual([['CVE-2023-2650', 'Debian:11', ['1.1.1n-0+deb11u5']]]);
    expect(await matchInventory(store, inventory({ ...os, versionId: '11' }, [deb('libssl1.1', '1.1.1n-0+deb11u5', 'openssl', '1.1.1n-0+deb11u5')]))).toEqual([]);
    // no OS / unknown OS: nothing to match against
    expect(await matchInventory(store, inventory(undefined, [deb('libssl3', '3.0.8-1', 'openssl', '3.0.8-1')]))).toEqual([]);
    db.close();
  });

  it('matches Alpine packages by origin in Alpine:v<major.minor> and Ubuntu packages in Ubuntu:<release>:LTS', async () => {
    const { store, db, dataDir } = await freshStore();
    const alpine = {
      id: 'ALPINE-CVE-2024-0727', modified: '2024-02-01T00:00:00Z', upstream: ['CVE-2024-0727'],
      affected: [{ package: { ecosystem: 'Alpine:v3.19', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.1.4-r5' }] }] }],
    };
    const ubuntu = {
      id: 'UBUNTU-CVE-2024-0727', modified: '2024-02-01T00:00:00Z', upstream: ['CVE-2024-0727'], severity: [{ type: 'Ubuntu', score: 'low' }],
      affected: [{ package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.2-0ubuntu1.14' }] }] }],
    };
    const file = join(dataDir, 'os.json');
    writeFileSync(file, JSON.stringify([alpine, ubuntu]));
    await store.importFrom([file]);
    const apk = (version: string): PackageRecord => ({ type: 'apk', name: 'libcrypto3', version, sourceName: 'openssl', foundIn: '/lib/apk/db/installed' });
    const a = { id: 'alpine', versionId: '3.19.1', foundIn: '/etc/os-release' };
    expect((await matchInventory(store, inventory(a, [apk('3.1.4-r4')]))).map((f) => [f.id, f.ecosystem, f.matchedName, f.fixedVersions]))
      .toEqual([['CVE-2024-0727', 'Alpine:v3.19', 'openssl', ['3.1.4-r5']]]);
    expect(await matchInventory(store, inventory(a, [apk('3.1.4-r5')]))).toEqual([]);
    expect(await matchInventory(store, inventory({ ...a, versionId: '3.18.6' }, [apk('3.1.4-r4')]))).toEqual([]);
    // deb packages in an Alpine image are not matched against Alpine data
    expect(await matchInventory(store, inventory(a, [deb('openssl', '3.1.4-r4')]))).toEqual([]);

    const u = { id: 'ubuntu', versionId: '22.04', foundIn: '/etc/os-release' };
    const found = await matchInventory(store, inventory(u, [deb('libssl3', '3.0.2-0ubuntu1.13', 'openssl', '3.0.2-0ubuntu1.13')]));
    expect(found.map((f) => [f.id, f.ecosystem, f.severity.rating, f.fixedVersions])).toEqual([['CVE-2024-0727', 'Ubuntu:22.04:LTS', 'low', ['3.0.2-0ubuntu1.14']]]);
    expect(await matchInventory(store, inventory(u, [deb('libssl3', '3.0.2-0ubuntu1.14', 'openssl', '3.0.2-0ubuntu1.14')]))).toEqual([]);
    db.close();
  });

  it('maps OS releases to OSV ecosystems', () => {
    expect(osEcosystems({ id: 'debian', versionId: '12', foundIn: '' })).toEqual({ type: 'deb', ecosystems: ['Debian:12'] });
    expect(osEcosystems({ id: 'debian', foundIn: '' })).toBeUndefined(); // sid/testing: no release
    expect(osEcosystems({ id: 'ubuntu', versionId: '22.04', foundIn: '' })).toEqual({ type: 'deb', ecosystems: ['Ubuntu:22.04:LTS', 'Ubuntu:22.04'] });
    expect(osEcosystems({ id: 'alpine', versionId: '3.19.1', foundIn: '' })).toEqual({ type: 'apk', ecosystems: ['Alpine:v3.19'] });
  });
});
