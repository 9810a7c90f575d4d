import { describe, expect, it } from 'vitest';
import { inventoryAnalyzers } from '../src/ecosystems/index.ts';
import { configSchema } from '../src/config/schema.ts';
import { mergeLayers } from '../src/image/merge.ts';
import { inventoryLayers } from './helpers/layers.ts';
import type { TarEntry } from './helpers/tar.ts';

const LIMITS = configSchema.parse({}).limits;

const build = (layers: TarEntry[][]) => inventoryLayers(layers, inventoryAnalyzers(), LIMITS);

function stanza(name: string, version: string, extra = ''): string {
  return `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n${extra}\n`;
}
const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n';
const apkDb = (pkgs: [string, string, string][]) => pkgs.map(([p, v, o]) => `P:${p}\nV:${v}\nA:x86_64\no:${o}\nL:MIT\n`).join('\n');

describe('mergeLayers', () => {
  it('follows /etc/os-release → ../usr/lib/os-release across layers and attributes layers', async () => {
    const { results, descs } = await build([
      [{ path: 'usr/lib/os-release', content: DEBIAN }, { path: 'var/lib/dpkg/status', content: stanza('base-files', '12.4') + '\n' + stanza('libc6', '2.36-9', 'Source: glibc\n') }],
      [{ path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' }],
    ]);
    const m = mergeLayers(results, descs);
    expect(m.os).toEqual({ id: 'debian', name: 'Debian GNU/Linux', versionId: '12', versionCodename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)', foundIn: '/usr/lib/os-release', layer: descs[0]!.digest });
    expect(m.packages.map((p) => [p.name, p.layerIndex, p.layer, p.foundIn])).toEqual([
      ['base-files', 0, descs[0]!.digest, '/var/lib/dpkg/status'],
      ['libc6', 0, descs[0]!.digest, '/var/lib/dpkg/status'],
    ]);
    expect(m.warnings).toEqual([]);
  });

  it('keeps the layer that brought a package in when the status file is rewritten above', async () => {
    const { results, descs } = await build([
      [{ path: 'var/lib/dpkg/status', content: [stanza('a', '1'), stanza('b', '1'), stanza('gone', '1')].join('\n') }],
      [{ path: 'var/lib/dpkg/status', content: [stanza('a', '1'), stanza('b', '2'), stanza('c', '1')].join('\n') }],
      [{ path: 'var/lib/dpkg/status', content: [stanza('a', '1'), stanza('b', '2'), stanza('c', '1'), stanza('d', '1')].join('\n') }],
    ]);
    const m = mergeLayers(results, descs);
    expect(m.packages.map((p) => `${p.name}@${p.version}:${p.layerIndex}`)).toEqual(['a@1:0', 'b@2:1', 'c@1:1', 'd@1:2']);
    expect(m.packages[3]!.layer).toBe(descs[2]!.digest);
  });

  it('whiteouts delete files and directories of lower layers', async () => {
    const { results, descs } = await build([
      [
        { path: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.19.1\n' },
        { path: 'lib/apk/db/installed', content: apkDb([['musl', '1.2.4-r2', 'musl'], ['libssl3', '3.1.4-r5', 'openssl']]) },
        { path: 'var/lib/dpkg/status.d/foo', content: 'Package: foo\nVersion: 1\n' },
      ],
      [{ path: 'lib/apk/db/.wh.installed', content: '' }, { path: 'var/lib/.wh.dpkg', content: '' }],
    ]);
    expect(results[1]!.whiteouts.sort()).toEqual(['/lib/apk/db/installed', '/var/lib/dpkg']);
    const m = mergeLayers(results, descs);
    expect(m.packages).toEqual([]);
    expect(m.os?.id).toBe('alpine');
    // without the whiteout layer the packages are there (the test can fail)
    const m0 = mergeLayers(results.slice(0, 1), descs.slice(0, 1));
    expect(m0.packages.map((p) => `${p.type}:${p.name}<${p.sourceName}`)).toEqual(['apk:libssl3<openssl', 'apk:musl<musl', 'deb:foo<foo']);
  });

  it('an opaque directory hides lower content but keeps its own', async () => {
    const { results, descs } = await build([
      [
        { path: 'var/lib/dpkg/status.d/old', content: 'Package: old\nVersion: 1\nArchitecture: amd64\n' },
        { path: 'var/lib/dpkg/status.d/kept', content: 'Package: kept\nVersion: 1\nArchitecture: amd64\n' },
        { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID=12\n' },
      ],
      [
        { path: 'var/lib/dpkg/status.d/', type: 'dir' },
        { path: 'var/lib/dpkg/status.d/.wh..wh..opq', content: '' },
        { path: 'var/lib/dpkg/status.d/kept', content: 'Package: kept\nVersion: 1\nArchitecture: amd64\n' },
        { path: 'var/lib/dpkg/status.d/new', content: 'Package: new\nVersion: 2\nArchitecture: amd64\n' },
      ],
    ]);
    expect(results[1]!.opaqueDirs).toEqual(['/var/lib/dpkg/status.d']);
    const m = mergeLayers(results, descs);
    expect(m.packages.map((p) => `${p.name}:${p.layerIndex}`)).toEqual(['kept:1', 'new:1']);
    expect(m.os?.id).toBe('debian');
  });

  it('a higher layer file replaces a lower symlink, a higher symlink replaces a lower file', async () => {
    const { results, descs } = await build([
      [{ path: 'usr/lib/os-release', content: 'ID=debian\n' }, { path: 'etc/os-release', type: 'symlink', linkname: '/usr/lib/os-release' }],
      [{ path: 'etc/os-release', content: 'ID=ubuntu\nVERSION_ID="22.04"\n' }],
    ]);
    const m = mergeLayers(results, descs);
    expect(m.os).toMatchObject({ id: 'ubuntu', foundIn: '/etc/os-release', layer: descs[1]!.digest });
    const more = await build([[{ path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' }]]);
    const m2 = mergeLayers([...results, ...more.results], [...descs, ...more.descs]);
    expect(m2.os).toMatchObject({ id: 'debian', foundIn: '/usr/lib/os-release', layer: descs[0]!.digest });
  });

  it('survives symlink loops and dangling links with warnings', async () => {
    const { results, descs } = await build([
      [
        { path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
        { path: 'usr/lib/os-release', type: 'symlink', linkname: '/etc/os-release' },
        { path: 'lib/apk/db/installed', type: 'symlink', linkname: 'installed' },
      ],
    ]);
    const m = mergeLayers(results, descs);
    expect(m.os).toBeUndefined();
    expect(m.packages).toEqual([]);
    expect(m.warnings.some((w) => w.includes('symlink loop'))).toBe(true);
    const dangling = await build([[{ path: 'etc/os-release', type: 'symlink', linkname: '/nowhere/os-release' }]]);
    const noWanted = await build([[{ path: 'etc/os-release', type: 'symlink', linkname: '/usr/share/base-files/os-release' }]]);
    expect(mergeLayers(dangling.results, dangling.descs).warnings.join()).toContain('not found');
    expect(mergeLayers(noWanted.results, noWanted.descs).os).toBeUndefined();
  });

  it('is deterministic: packages sorted by type, name, version, arch', async () => {
    const { results, descs } = await build([
      [{ path: 'lib/apk/db/installed', content: apkDb([['zlib', '1.3-r0', 'zlib'], ['busybox', '1.36-r1', 'busybox']]) }],
      [{ path: 'var/lib/dpkg/status', content: [stanza('zz', '1'), stanza('aa', '2'), stanza('aa', '1')].join('\n') }],
    ]);
    const m = mergeLayers(results, descs);
    expect(m.packages.map((p) => `${p.type}:${p.name}@${p.version}`)).toEqual(['apk:busybox@1.36-r1', 'apk:zlib@1.3-r0', 'deb:aa@1', 'deb:aa@2', 'deb:zz@1']);
    expect(JSON.stringify(mergeLayers(results, descs))).toBe(JSON.stringify(m));
  });
});
