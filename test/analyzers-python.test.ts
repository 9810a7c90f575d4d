import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownedLanguageFiles } from '../src/analyzers/dpkg-files.ts';
import { inventoryAnalyzers, languagePaths } from '../src/ecosystems/index.ts';
import { parsePythonMetadata, pythonAnalyzer } from '../src/analyzers/python.ts';
import { inventoryLayers, treeEntries } from './helpers/layers.ts';
import type { TarEntry } from './helpers/tar.ts';

const dpkgFilesAnalyzer = inventoryAnalyzers().find((a) => a.name === 'dpkg-files')!;

// Debian's python3-* packages (python3-requests is installed by test/setup.sh) and pip-installed
// wheels of this machine's own Python (pyenv site-packages)
const DEBIAN_SITE = '/usr/lib/python3/dist-packages';
const PIP_SITE = execFileSync('python3', ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], { encoding: 'utf8' }).trim();
const EGG = execFileSync('python3', ['-c', 'import sysconfig, os; print(os.path.join(sysconfig.get_paths()["stdlib"], "test/test_importlib/data/example-21.12-py3.6.egg"))'], { encoding: 'utf8' }).trim();

/** importlib.metadata's view of a site directory: "Name Version dirname" lines. */
function importlibTruth(site: string): string[] {
  const py = 'import importlib.metadata as m, sys, os\nfor d in m.distributions(path=[sys.argv[1]]): print(d.metadata["Name"], d.version, os.path.basename(str(d._path)))';
  return execFileSync('/usr/bin/python3', ['-c', py, site], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
}

/** Only the metadata directories of a site directory (the code itself is irrelevant and large). */
function metadataEntries(site: string, at: string): TarEntry[] {
  return treeEntries(site, at, (rel) => !rel.includes('/') && !/\.(dist|egg)-info$/.test(rel));
}

describe('python analyzer on real installed distributions', () => {
  it("Debian's dist-packages: every distribution importlib sees, osOwned exactly when dpkg owns its metadata", async () => {
    const lists = readdirSync('/var/lib/dpkg/info').filter((n) => n.endsWith('.list'))
      .filter((n) => readFileSync(`/var/lib/dpkg/info/${n}`, 'utf8').includes('/dist-packages/'));
    expect(lists).toContain('python3-requests.list');
    const layer1 = metadataEntries(DEBIAN_SITE, 'usr/lib/python3/dist-packages');
    const layer2 = lists.map((n) => ({ path: `var/lib/dpkg/info/${n}`, content: readFileSync(`/var/lib/dpkg/info/${n}`) }));
    const { merged, descs } = await inventoryLayers([layer1, layer2], [pythonAnalyzer, dpkgFilesAnalyzer]);

    const truth = importlibTruth(DEBIAN_SITE);
    expect(truth.length).toBeGreaterThan(5);
    const got = merged.packages.map((p) => `${p.name} ${p.version} ${p.foundIn.split('/')[5]}`).sort();
    expect(got).toEqual(truth);

    const requests = merged.packages.find((p) => p.name === 'requests')!;
    expect(requests).toMatchObject({
      type: 'pypi', version: '2.28.1', license: 'Apache 2.0', osOwned: true, layer: descs[0]!.digest,
      foundIn: '/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO',
    });
    // ground truth for ownership: dpkg -S on each metadata file
    const out = spawnSync('dpkg-query', ['-S', ...merged.packages.map((p) => p.foundIn)], { encoding: 'utf8' }).stdout;
    const ownedByDpkg = new Set(out.split('\n').filter(Boolean).map((l) => l.slice(l.indexOf(': ') + 2)));
    expect(ownedByDpkg.size).toBeGreaterThan(5);
    expect(merged.packages.filter((p) => p.osOwned).map((p) => p.foundIn).sort()).toEqual([...ownedByDpkg].sort());
  }, 60_000);

  it('pip-installed wheels (dist-info) and a zipped egg are found and not OS-owned', async () => {
    const { merged } = await inventoryLayers([[
      ...metadataEntries(PIP_SITE, 'usr/local/lib/python3.11/site-packages'),
      { path: 'opt/eggs/example-21.12-py3.6.egg', content: readFileSync(EGG) },
    ]], [pythonAnalyzer, dpkgFilesAnalyzer]);
    const pip = merged.packages.filter((p) => p.foundIn.startsWith('/usr/local/'));
    expect(pip.map((p) => `${p.name} ${p.version} ${p.foundIn.split('/')[6]}`).sort()).toEqual(importlibTruth(PIP_SITE));
    expect(pip.length).toBeGreaterThan(5);
    expect(merged.packages.some((p) => p.osOwned)).toBe(false);
    expect(merged.packages.find((p) => p.foundIn === '/opt/eggs/example-21.12-py3.6.egg')).toMatchObject({ name: 'example', version: '21.12' });
  }, 60_000);
});

describe('python metadata parsing', () => {
  it('license from License-Expression, License, classifiers; continuation lines; body ignored', () => {
    const p = (s: string) => parsePythonMetadata('/m', s);
    expect(p('Metadata-Version: 2.4\nName: Foo_Bar\nVersion: 1.0\nLicense-Expression: MIT OR Apache-2.0\nLicense: ignored\n')).toMatchObject({ name: 'Foo_Bar', version: '1.0', license: 'MIT OR Apache-2.0' });
    expect(p('Name: a\nVersion: 2\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: BSD License\nClassifier: License :: OSI Approved :: MIT License\n')!.license).toBe('BSD License AND MIT License');
    expect(p('Name: a\nVersion: 2\nLicense: Copyright (c) x\n        Permission is hereby granted\n')!.license).toBeUndefined();
    expect(p('Name: a\r\nVersion: 3\r\n\r\nName: body\r\nVersion: 9\r\n')).toMatchObject({ name: 'a', version: '3' });
    expect(p('Name: a\n\nVersion: 3\n')).toBeNull();
    expect(p('\u0000\u0001garbage')).toBeNull();
  });

  it('broken eggs and odd files give a warning or nothing', async () => {
    const { merged, results } = await inventoryLayers([[
      { path: 'site/bad-1.0.egg', content: Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(100, 1)]) },
      { path: 'site/notzip-1.0.egg', content: 'hello' },
      { path: 'site/x.dist-info/METADATA', content: Buffer.from([0xff, 0xfe, ...Buffer.from('Name: wide\nVersion: 1.0\n', 'utf16le')]) },
      { path: 'site/y.egg-info', content: 'Metadata-Version: 1.0\nName: distutils-style\nVersion: 0.1\n' },
    ]], [pythonAnalyzer]);
    expect(merged.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['distutils-style@0.1', 'wide@1.0']);
    expect(results[0]!.warnings.join('\n')).toMatch(/bad-1.0.egg: not a readable egg/);
  });

  it('an egg whose PKG-INFO inflates past its cap is refused with a warning (zip made by python3 zipfile)', async () => {
    const py = 'import zipfile, sys\nwith zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z: z.writestr("EGG-INFO/PKG-INFO", "Name: bomb\\nVersion: 1\\n" + "A" * (8 << 20))';
    const file = join(mkdtempSync(join(tmpdir(), 'customs-egg-')), 'bomb-1-py3.egg');
    execFileSync('python3', ['-c', py, file]);
    const bytes = readFileSync(file);
    expect(bytes.length).toBeLessThan(64 * 1024);
    const { merged, results } = await inventoryLayers([[{ path: 'site/bomb-1-py3.egg', content: bytes }]], [pythonAnalyzer]);
    expect(merged.packages).toEqual([]);
    expect(results[0]!.warnings.join('\n')).toMatch(/bomb-1-py3.egg: EGG-INFO\/PKG-INFO of 8388\d+ bytes is over 1048576/);
  });

  it('dpkg lists are reduced to language metadata paths', () => {
    expect(ownedLanguageFiles('/.\n/usr\n/usr/lib/python3/dist-packages/requests/api.py\n/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO\n/usr/share/doc/x\n', languagePaths()))
      .toEqual(['/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO']);
    expect(dpkgFilesAnalyzer.wants('/var/lib/dpkg/info/python3-requests.list', 10)).toBe(true);
    expect(dpkgFilesAnalyzer.wants('/var/lib/dpkg/info/python3-requests.md5sums', 10)).toBe(false);
    expect(dpkgFilesAnalyzer.wants('/var/lib/dpkg/info/x/y.list', 10)).toBe(false);
  });
});
