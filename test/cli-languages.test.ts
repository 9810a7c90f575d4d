// End to end: an image holding real language metadata (Debian's python3-requests with its dpkg list,
// a real npm install, pip-installed wheels, Ruby's gemspecs, a composer install) pushed to a real
// registry and inventoried through the command line.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/client.ts';
import { customsCli } from './helpers/cli.ts';
import { treeEntries } from './helpers/layers.ts';
import { npmLsPackages, npmProject } from './helpers/npm-tree.ts';
import { pushImage, type PushedImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';

const ROOT = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'customs-cli-lang-'));
const customs = customsCli(work);

const DEB_SITE = '/usr/lib/python3/dist-packages';
const REQUESTS_DEB = readdirSync(DEB_SITE).find((n) => /^requests-.*\.egg-info$/.test(n))!;
const DEB_VERSION = REQUESTS_DEB.slice('requests-'.length, -'.egg-info'.length);
const PIP_SITE = execFileSync('python3', ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], { encoding: 'utf8' }).trim();
const REQUESTS_PIP = readdirSync(PIP_SITE).find((n) => /^requests-.*\.dist-info$/.test(n))!;
const GEMS = '/usr/lib/ruby/gems/3.1.0/specifications';

let reg: TestRegistry;
let client: RegistryClient;
let img: PushedImage;
let project: string;

beforeAll(async () => {
  project = npmProject();
  reg = await startRegistry({ auth: 'none' });
  client = new RegistryClient(testConfig());
  const base = gzip(await makeTar([
    { path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
    { path: 'usr/lib/os-release', content: readFileSync('/usr/lib/os-release') },
    { path: 'var/lib/dpkg/status', content: readFileSync('/var/lib/dpkg/status') },
    { path: 'var/lib/dpkg/info/python3-requests.list', content: readFileSync('/var/lib/dpkg/info/python3-requests.list') },
    ...treeEntries(`${DEB_SITE}/${REQUESTS_DEB}`, `usr/lib/python3/dist-packages/${REQUESTS_DEB}`),
    { path: `${GEMS.slice(1)}/rake-13.0.6.gemspec`, content: readFileSync(`${GEMS}/rake-13.0.6.gemspec`) },
    { path: `${GEMS.slice(1)}/default/json-2.6.1.gemspec`, content: readFileSync(`${GEMS}/default/json-2.6.1.gemspec`) },
  ]));
  const app = gzip(await makeTar([
    ...treeEntries(project, 'srv/app'),
    ...treeEntries(`${PIP_SITE}/${REQUESTS_PIP}`, `usr/local/lib/python3.11/dist-packages/${REQUESTS_PIP}`),
    { path: 'var/www/vendor/composer/installed.json', content: readFileSync(join(ROOT, 'test/fixtures/composer/installed.json')) },
  ]));
  img = await pushImage(client, reg.host, 'e2e/lang', 'v1', {
    layers: [{ data: base }, { data: app }],
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
  });
}, 200_000);

afterAll(async () => {
  await client?.close();
  await reg?.stop();
  rmSync(work, { recursive: true, force: true });
});

type Pkg = { type: string; name: string; version: string; foundIn: string; layer: string; layerIndex: number; osOwned?: boolean; license?: string };

describe('customs scan / sbom of language packages', () => {
  it('lists npm, pypi, gem and composer packages with path, layer, and osOwned for Debian python3-requests', async () => {
    const r = await customs(['scan', `${reg.host}/e2e/lang:v1`, '--format', 'json', '--no-cache']);
    expect(r.stderr).not.toMatch(/analyzer|failed|warning: layer/);
    expect(r.code).toBe(0);
    const pkgs = JSON.parse(r.stdout).images[0].packages as Pkg[];
    const of = (type: string) => pkgs.filter((p) => p.type === type);

    expect(new Set(of('npm').map((p) => `${p.name}@${p.version}`))).toEqual(npmLsPackages(project));
    expect(of('npm').every((p) => p.layerIndex === 1 && p.layer === img.layers[1]!.digest && p.foundIn.startsWith('/srv/app/node_modules/'))).toBe(true);

    expect(of('pypi').map((p) => [p.name, p.version, p.foundIn, p.layerIndex, p.osOwned === true])).toEqual([
      ['requests', DEB_VERSION, `/usr/lib/python3/dist-packages/${REQUESTS_DEB}/PKG-INFO`, 0, true],
      ['requests', REQUESTS_PIP.slice('requests-'.length, -'.dist-info'.length), `/usr/local/lib/python3.11/dist-packages/${REQUESTS_PIP}/METADATA`, 1, false],
    ]);
    // the same software as the deb it came in
    expect(pkgs.find((p) => p.type === 'deb' && p.name === 'python3-requests')).toBeDefined();
    expect(of('gem').map((p) => `${p.name}@${p.version} ${p.foundIn}`)).toEqual([
      `json@2.6.1 ${GEMS}/default/json-2.6.1.gemspec`, `rake@13.0.6 ${GEMS}/rake-13.0.6.gemspec`,
    ]);
    expect(of('composer').map((p) => `${p.name}@${p.version}`)).toEqual(['acme/http-client@v1.4.0-beta.2', 'acme/log@3.0.2']);
  }, 120_000);

  it('CycloneDX and SPDX carry purls, paths, layers and OS ownership', async () => {
    const cdx = await customs(['sbom', `${reg.host}/e2e/lang:v1`, '--format', 'cyclonedx', '--no-cache']);
    expect(cdx.code).toBe(0);
    const comps = JSON.parse(cdx.stdout).components as { purl?: string; properties?: { name: string; value: string }[] }[];
    const prop = (c: (typeof comps)[number], n: string) => c.properties?.find((x) => x.name === n)?.value;
    const byPurl = (purl: string) => comps.filter((c) => c.purl === purl);
    const codeFrame = byPurl('pkg:npm/%40babel/code-frame@7.24.7');
    expect(codeFrame).toHaveLength(1);
    expect(prop(codeFrame[0]!, 'customs:foundIn')).toBe('/srv/app/node_modules/@babel/code-frame/package.json');
    expect(prop(codeFrame[0]!, 'customs:layer:digest')).toBe(img.layers[1]!.digest);
    const debRequests = comps.find((c) => c.purl?.startsWith('pkg:pypi/requests@') && prop(c, 'customs:foundIn')!.startsWith('/usr/lib/'))!;
    expect(prop(debRequests, 'customs:package:osOwned')).toBe('true');
    expect(prop(debRequests, 'customs:layer:digest')).toBe(img.layers[0]!.digest);
    expect(comps.filter((c) => c.purl?.startsWith('pkg:pypi/requests@') && prop(c, 'customs:package:osOwned'))).toHaveLength(1);
    for (const purl of ['pkg:gem/rake@13.0.6', 'pkg:gem/json@2.6.1', 'pkg:composer/acme/log@3.0.2', 'pkg:composer/acme/http-client@v1.4.0-beta.2', 'pkg:npm/debug@2.6.9', 'pkg:npm/debug@4.3.4']) {
      expect(byPurl(purl).length, purl).toBe(1);
    }

    const spdx = await customs(['sbom', `${reg.host}/e2e/lang:v1`, '--format', 'spdx', '--no-cache']);
    expect(spdx.code).toBe(0);
    const pkgs = JSON.parse(spdx.stdout).packages as { externalRefs?: { referenceLocator: string }[]; sourceInfo?: string }[];
    const gem = pkgs.find((p) => p.externalRefs?.some((r) => r.referenceLocator === 'pkg:gem/rake@13.0.6'))!;
    expect(gem.sourceInfo).toBe(`found in ${GEMS}/rake-13.0.6.gemspec (layer ${img.layers[0]!.digest})`);
    const owned = pkgs.filter((p) => p.sourceInfo?.endsWith('; installed by an OS package'));
    expect(owned.map((p) => p.externalRefs![0]!.referenceLocator)).toEqual([`pkg:pypi/requests@${DEB_VERSION}`]);
  }, 120_000);
});
