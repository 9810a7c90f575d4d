// Declared licenses: SPDX normalisation, and Debian copyright files (this machine's own) joined to
// the dpkg packages of an image analysed through the real layer walker and merge.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { takeInventory } from '../src/scan/inventory.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { toCycloneDx } from '../src/sbom/cyclonedx.ts';
import { toSpdx } from '../src/sbom/spdx.ts';
import { pushImage } from './helpers/push.ts';
import { startRegistry, testConfig } from './helpers/registry.ts';
import { configuredAnalyzers } from '../src/analyzers/configured.ts';
import { inventoryAnalyzers } from '../src/ecosystems/index.ts';
import { configSchema } from '../src/config/schema.ts';
import { analyzeLayer } from '../src/image/layer-walker.ts';
import { mergeLayers } from '../src/image/merge.ts';
import { copyrightLicenses, joinDebLicenses } from '../src/analyzers/dpkg-copyright.ts';
import { toSpdxExpression } from '../src/licenses/spdx.ts';
import { digestOf } from '../src/util/digest.ts';
import { chunked, gzip, makeTar, type TarEntry } from './helpers/tar.ts';

describe('SPDX normalisation', () => {
  it('maps declared texts to SPDX expressions and refuses to guess the unmappable', () => {
    const cases: [string, string | undefined][] = [
      ['MIT', 'MIT'], ['Apache 2.0', 'Apache-2.0'], ['ASL 2.0', 'Apache-2.0'], ['GPL-2+', 'GPL-2.0-or-later'], ['GPLv2+', 'GPL-2.0-or-later'],
      ['Expat', 'MIT'], ['BSD-3-clause', 'BSD-3-Clause'], ['MIT/Apache-2.0', 'MIT OR Apache-2.0'],
      ['GPL-2+ or Artistic', 'GPL-2.0-or-later OR Artistic-1.0-Perl'], ['LGPL-2.1+ and GPL-3+', 'LGPL-2.1-or-later AND GPL-3.0-or-later'],
      ['(Apache-2.0 or GPL-2+) AND Expat', '(Apache-2.0 OR GPL-2.0-or-later) AND MIT'],
      ['GPL-2.0-or-later LGPL-2.1-or-later', 'GPL-2.0-or-later AND LGPL-2.1-or-later'],
      // one license per file in the package database means it once (SPDX documents repeated terms otherwise)
      ['LGPL-3+, LGPL-3+', 'LGPL-3.0-or-later'],
      ['GPL-2+ and GPL-2+ and MIT', 'GPL-2.0-or-later AND MIT'],
      ['MIT or Apache-2.0', 'MIT OR Apache-2.0'],
      ['(MIT OR Apache-2.0) AND MIT', '(MIT OR Apache-2.0) AND MIT'],
      ['GPL-2+ or LGPL-2.1+ and MIT', 'GPL-2.0-or-later OR (LGPL-2.1-or-later AND MIT)'],
      ['Apache-2.0 WITH LLVM-exception', 'Apache-2.0 WITH LLVM-exception'],
      ['custom weird license', undefined], ['', undefined], ['MIT AND ('.repeat(200), undefined],
    ];
    for (const [text, want] of cases) expect(toSpdxExpression(text), text).toBe(want);
  });
});

/** copyright files of this machine's packages, with their dpkg status stanzas */
function machinePackages(names: string[]): { status: string; files: TarEntry[] } {
  const stanzas = readFileSync('/var/lib/dpkg/status', 'utf8').split(/\n\n+/);
  const pick = names.filter((n) => existsSync(`/usr/share/doc/${n}/copyright`));
  return {
    status: stanzas.filter((s) => pick.some((n) => s.startsWith(`Package: ${n}\n`))).join('\n\n') + '\n',
    files: pick.map((n) => ({ path: `usr/share/doc/${n}/copyright`, content: readFileSync(`/usr/share/doc/${n}/copyright`) })),
  };
}

describe('dpkg copyright licenses', () => {
  it("read this machine's machine-readable and free-form copyright files", () => {
    expect(copyrightLicenses(readFileSync('/usr/share/doc/adduser/copyright', 'utf8'))).toEqual(['GPL-2+']);
    const free = 'This package is under the GPL.\nOn Debian systems see /usr/share/common-licenses/GPL-2.\nand /usr/share/common-licenses/LGPL-2.1.\n';
    expect(copyrightLicenses(free)).toEqual(['GPL-2', 'LGPL-2.1']);
    expect(copyrightLicenses('Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: x\nLicense: MIT\n\nFiles: a/*\nLicense: BSD-3-clause\n\nLicense: MIT\n Permission is hereby granted\n')).toEqual(['MIT', 'BSD-3-clause']);
  });

  it('are joined to the deb packages of an image after the merge', async () => {
    const { status, files } = machinePackages(['adduser', 'apt', 'bash', 'coreutils', 'tar']);
    expect(files.length).toBeGreaterThanOrEqual(3);
    const layer = gzip(await makeTar([{ path: 'var/lib/dpkg/status', content: status }, ...files]));
    const desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf(layer), size: layer.length };
    const limits = configSchema.parse({}).limits;
    const { analyzers } = configuredAnalyzers(configSchema.parse({}), inventoryAnalyzers());
    const result = await analyzeLayer(chunked(layer), desc, analyzers, limits);
    const merged = mergeLayers([result], [desc]);
    const joined = joinDebLicenses(merged.packages, merged.facts);
    const lic = Object.fromEntries(joined.packages.map((p) => [p.name, p.license]));
    expect(lic.adduser).toBe('GPL-2+');
    for (const f of files) expect(lic[f.path.split('/')[3]!], f.path).toBeTruthy();
    expect(joined.facts.some((f) => f.id === 'license')).toBe(false);
    expect(toSpdxExpression(lic.adduser)).toBe('GPL-2.0-or-later');
  });
});

describe('licenses in SBOMs', () => {
  it('an image in a registry: dpkg copyright licenses as SPDX ids/expressions in CycloneDX and SPDX', async () => {
    const reg = await startRegistry({ auth: 'none' });
    try {
      const { status, files } = machinePackages(['adduser', 'apt', 'tar']);
      const extra = 'Package: oddlicense\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: all\n\nPackage: pdtool\nStatus: install ok installed\nVersion: 2.0-1\nArchitecture: all\n';
      const odd = 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: public-domain\n\nFiles: x/*\nLicense: Some-Vendor-EULA\n';
      const layer = gzip(await makeTar([
        { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
        { path: 'var/lib/dpkg/status', content: status + '\n' + extra },
        ...files, { path: 'usr/share/doc/oddlicense/copyright', content: odd },
        { path: 'usr/share/doc/pdtool/copyright', content: 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: public-domain\n' },
      ]));
      const client = new RegistryClient(testConfig());
      await pushImage(client, reg.host, 'lic/app', 'v1', { layers: [{ data: layer }], config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } } });
      await client.close();
      const run = await takeInventory(`${reg.host}/lic/app:v1`, testConfig({ dataDir: mkdtempSync(join(tmpdir(), 'customs-lic-')) }), { cache: false });
      const inv = run.inventories[0]!;
      expect(inv.packages.find((p) => p.name === 'adduser')!.license).toBe('GPL-2+');
      const subject = { ref: run.ref, toolVersion: 'test', timestamp: run.finishedAt, inventories: run.inventories };
      const cdx = toCycloneDx(subject) as any;
      const comp = (name: string) => findComponent(cdx, name);
      expect(comp('adduser').licenses).toEqual([{ license: { id: 'GPL-2.0-or-later' } }]);
      expect(comp('oddlicense').licenses).toEqual([{ license: { name: 'public-domain AND Some-Vendor-EULA' } }]);
      expect(comp('apt').licenses).toEqual([{ expression: expect.stringMatching(/^GPL-2\.0-or-later AND .*MIT/) }]);
      expect(comp('pdtool').licenses).toEqual([{ expression: 'LicenseRef-public-domain' }]);
      const spdx = toSpdx(subject) as any;
      const pkg = (name: string) => spdx.packages.find((p: any) => p.name === name);
      expect(pkg('adduser').licenseDeclared).toBe('GPL-2.0-or-later');
      expect(pkg('oddlicense').licenseDeclared).toBe('NOASSERTION');
      expect(pkg('apt').licenseDeclared).toMatch(/GPL-2.0-or-later/);
      expect(pkg('apt').licenseComments).toContain('declared by the package database');
      expect(pkg('pdtool').licenseDeclared).toBe('LicenseRef-public-domain');
      expect(spdx.hasExtractedLicensingInfos).toEqual([expect.objectContaining({ licenseId: 'LicenseRef-public-domain' })]);
    } finally {
      await reg.stop();
    }
  }, 60_000);
});

function findComponent(node: any, name: string): any {
  if (!node || typeof node !== 'object') return undefined;
  if (node.type === 'library' && node.name === name) return node;
  for (const v of Object.values(node)) {
    const f = Array.isArray(v) ? v.map((x) => findComponent(x, name)).find(Boolean) : findComponent(v, name);
    if (f) return f;
  }
  return undefined;
}
