// End to end: images whose layers hold real rpm databases (test/fixtures/rpm), pushed to a real
// docker-registry, inventoried by the real command line; the packages must be what `rpm -qa` says.
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PackageURL } from 'packageurl-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/client.ts';
import { pushImage, type PushedImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';

const ROOT = resolve(import.meta.dirname, '..');
const FIX = join(ROOT, 'test/fixtures/rpm');
const work = mkdtempSync(join(tmpdir(), 'customs-rpm-e2e-'));
const cfgFile = join(work, 'customs.yaml');
writeFileSync(cfgFile, 'http:\n  retries: 1\n  backoffMs: 10\n  maxBackoffMs: 50\n  timeoutMs: 3000\n');

function customs(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(join(ROOT, 'bin/customs'), args, { env: { ...process.env, CUSTOMS_DATA: join(work, 'data'), CUSTOMS_CONFIG: cfgFile, CUSTOMS_LOG_LEVEL: 'warn' }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

interface RpmTruth { name: string; epoch?: number; version: string; release: string; arch: string; sourcerpm: string; vendor?: string; modularityLabel?: string }

/** what Debian's rpm 4.18 lists in a copy of the fixture database */
function rpmQa(): RpmTruth[] {
  const dir = mkdtempSync(join(work, 'db-'));
  copyFileSync(join(FIX, 'rpmdb.sqlite'), join(dir, 'rpmdb.sqlite'));
  const out = execFileSync('rpm', ['-qa', '--dbpath', dir, '--qf', '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{VENDOR}\\t%{MODULARITYLABEL}\\n'],
    { stdio: ['ignore', 'pipe', 'ignore'] }).toString('utf8');
  const opt = (s: string) => (s === '(none)' ? undefined : s);
  return out.split('\n').filter(Boolean).map((l) => l.split('\t')).filter((f) => f[0] !== 'gpg-pubkey').map((f) => ({
    name: f[0]!, ...(opt(f[1]!) ? { epoch: Number(f[1]) } : {}), version: f[2]!, release: f[3]!, arch: f[4]!, sourcerpm: f[5]!,
    ...(opt(f[6]!) ? { vendor: f[6] } : {}), ...(opt(f[7]!) ? { modularityLabel: f[7] } : {}),
  })).sort((a, b) => a.name.localeCompare(b.name));
}

const osRelease = {
  rhel: 'NAME="Red Hat Enterprise Linux"\nVERSION="9.4 (Plow)"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.4"\nPLATFORM_ID="platform:el9"\nPRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"\n',
  sles: 'NAME="SLES"\nVERSION="15-SP5"\nVERSION_ID="15.5"\nPRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"\nID="sles"\nID_LIKE="suse"\n',
  mariner: 'NAME="Common Base Linux Mariner"\nVERSION="2.0.20240123"\nID=mariner\nVERSION_ID="2.0"\nPRETTY_NAME="CBL-Mariner/Linux"\n',
  centos: 'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n',
};

let reg: TestRegistry;
const images: Record<string, PushedImage> = {};
let truth: RpmTruth[];

beforeAll(async () => {
  reg = await startRegistry({ auth: 'none' });
  const client = new RegistryClient(testConfig());
  truth = rpmQa();
  const push = async (name: string, layers: Parameters<typeof makeTar>[0][]) => {
    images[name] = await pushImage(client, reg.host, `rpm/${name}`, 'v1', {
      layers: await Promise.all(layers.map(async (l) => ({ data: gzip(await makeTar(l)) }))),
      config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
    });
  };
  // RHEL 9 / UBI layout: the database lives in /usr/lib/sysimage/rpm, /var/lib/rpm links to it
  await push('ubi', [[
    { path: 'etc/os-release', content: osRelease.rhel },
    { path: 'var/lib/rpm', type: 'symlink', linkname: '../../usr/lib/sysimage/rpm' },
    { path: 'usr/lib/sysimage/rpm/rpmdb.sqlite', content: readFileSync(join(FIX, 'rpmdb.sqlite')) },
    { path: 'usr/lib/sysimage/rpm/.rpm.lock', content: '' },
  ], [
    { path: 'opt/app/README', content: 'an application layer without packages' },
  ]]);
  // SUSE: NDB in /usr/lib/sysimage/rpm; older RHEL/CentOS: BerkeleyDB in /var/lib/rpm, replaced in a later layer
  await push('sles', [[{ path: 'etc/os-release', content: osRelease.sles }, { path: 'usr/lib/sysimage/rpm/Packages.db', content: readFileSync(join(FIX, 'Packages.db')) }]]);
  await push('centos', [
    [{ path: 'etc/os-release', content: osRelease.centos }, { path: 'var/lib/rpm/Packages', content: readFileSync(join(FIX, 'Packages-512')) }],
    [{ path: 'var/lib/rpm/Packages', content: readFileSync(join(FIX, 'Packages')) }],
  ]);
  // distroless CBL-Mariner: no database, the rpm -qa manifest
  await push('mariner', [[{ path: 'etc/os-release', content: osRelease.mariner }, { path: 'var/lib/rpmmanifest/container-manifest-2', content: readFileSync(join(FIX, 'container-manifest-2')) }]]);
  // a hostile image: a database that is noise after a valid BerkeleyDB magic
  const noise = Buffer.alloc(8192, 0xa5);
  noise.writeUInt32LE(0x061561, 12); noise.writeUInt32LE(4096, 20); noise[24] = 0; noise[25] = 8;
  await push('hostile', [[{ path: 'etc/os-release', content: osRelease.centos }, { path: 'var/lib/rpm/Packages', content: noise }]]);
}, 120_000);

afterAll(async () => {
  await reg?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** `stderr`: what the CLI must say on stderr (nothing, unless the inventory is incomplete) */
async function inventory(name: string, stderr: string | RegExp = '') {
  const r = await customs(['sbom', `${reg.host}/rpm/${name}:v1`, '--format', 'json', '--no-cache']);
  if (typeof stderr === 'string') expect(r.stderr).toBe(stderr);
  else expect(r.stderr).toMatch(stderr);
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  return out.images?.[0] ?? out;
}

describe('rpm images through customs sbom', () => {
  it('lists exactly what rpm -qa lists, with epoch, release, arch, source rpm, vendor, modularity label and layer', async () => {
    const inv = await inventory('ubi');
    expect(inv.os).toMatchObject({ id: 'rhel', versionId: '9.4' });
    const rpms = inv.packages.filter((p: any) => p.type === 'rpm').sort((a: any, b: any) => a.name.localeCompare(b.name));
    expect(truth.length).toBe(3);
    expect(rpms.map((p: any) => ({
      name: p.name, ...(p.epoch !== undefined ? { epoch: p.epoch } : {}), version: p.version, release: p.release, arch: p.arch,
      sourcerpm: `${p.sourceName}-${p.sourceVersion}.src.rpm`, ...(p.vendor ? { vendor: p.vendor } : {}), ...(p.modularityLabel ? { modularityLabel: p.modularityLabel } : {}),
    }))).toEqual(truth);
    for (const p of rpms) {
      expect(p).toMatchObject({ foundIn: '/usr/lib/sysimage/rpm/rpmdb.sqlite', layer: images.ubi!.layers[0]!.digest, layerIndex: 0 });
    }
  });

  it('CycloneDX and SPDX carry rpm purls (vendor namespace, version-release, epoch, arch, distro, source rpm)', async () => {
    const file = join(work, 'ubi.cdx.json');
    const r = await customs(['sbom', `${reg.host}/rpm/ubi:v1`, '--format', 'cyclonedx', '--output', file, '--no-cache']);
    expect(r.code).toBe(0);
    const bom = JSON.parse(readFileSync(file, 'utf8'));
    const comps = bom.components.filter((c: any) => c.purl?.startsWith('pkg:rpm/'));
    expect(comps.length).toBe(truth.length);
    for (const t of truth) {
      const c = comps.find((x: any) => x.name === t.name);
      const purl = PackageURL.fromString(c.purl);
      expect(purl).toMatchObject({ type: 'rpm', namespace: 'redhat', name: t.name, version: `${t.version}-${t.release}` });
      expect(purl.qualifiers).toEqual({ arch: t.arch, distro: 'redhat-9.4', upstream: t.sourcerpm, ...(t.epoch ? { epoch: String(t.epoch) } : {}) });
      expect(c.version).toBe(`${t.epoch !== undefined ? `${t.epoch}:` : ''}${t.version}-${t.release}`);
      if (t.vendor) expect(c.supplier).toEqual({ name: t.vendor });
      if (t.modularityLabel) expect(c.properties).toContainEqual({ name: 'customs:rpm:modularityLabel', value: t.modularityLabel });
    }
    const spdxFile = join(work, 'ubi.spdx.json');
    expect((await customs(['sbom', `${reg.host}/rpm/ubi:v1`, '--format', 'spdx', '--output', spdxFile, '--no-cache'])).code).toBe(0);
    const spdx = JSON.parse(readFileSync(spdxFile, 'utf8'));
    const hello = spdx.packages.find((p: any) => p.name === 'customs-hello');
    expect(hello.versionInfo).toBe('2:1.2.3-4.el9');
    expect(hello.supplier).toBe('Organization: Customs Test Vendor');
    expect(hello.externalRefs[0].referenceLocator).toMatch(/^pkg:rpm\/redhat\/customs-hello@1\.2\.3-4\.el9\?arch=x86_64&distro=redhat-9\.4&epoch=2&upstream=/);
  });

  it('reads NDB (SUSE) and BerkeleyDB (CentOS) databases; a database rewritten in a later layer keeps the layer that added each package', async () => {
    const names = (inv: any) => inv.packages.filter((p: any) => p.type === 'rpm').map((p: any) => `${p.name}@${p.version}-${p.release}`).sort();
    const want = truth.map((t) => `${t.name}@${t.version}-${t.release}`).sort();
    const sles = await inventory('sles');
    expect(sles.os).toMatchObject({ id: 'sles', versionId: '15.5' });
    expect(names(sles)).toEqual(want);
    const centos = await inventory('centos');
    expect(names(centos)).toEqual(want);
    // the same packages were already in layer 0: that is the layer that added them
    expect(centos.packages.map((p: any) => `${p.layerIndex} ${p.foundIn}`)).toEqual(want.map(() => '0 /var/lib/rpm/Packages'));
  });

  it('distroless CBL-Mariner: packages from the manifest, purls in the mariner namespace', async () => {
    const file = join(work, 'mariner.cdx.json');
    expect((await customs(['sbom', `${reg.host}/rpm/mariner:v1`, '--format', 'cyclonedx', '--output', file, '--no-cache'])).code).toBe(0);
    const purls = JSON.parse(readFileSync(file, 'utf8')).components.map((c: any) => c.purl).filter((p: string) => p?.startsWith('pkg:rpm/')).sort();
    expect(purls).toEqual(truth.map((t) => new PackageURL('rpm', 'mariner', t.name, `${t.version}-${t.release}`,
      { arch: t.arch, ...(t.epoch ? { epoch: String(t.epoch) } : {}), distro: 'mariner-2.0', upstream: t.sourcerpm }, undefined).toString()).sort());
  });

  it('the inventory table shows [epoch:]version-release and the source rpm when it differs', async () => {
    const r = await customs(['scan', `${reg.host}/rpm/ubi:v1`, '--format', 'inventory', '--no-cache']);
    expect(r.code).toBe(0);
    const layer = images.ubi!.layers[0]!.digest.slice(7, 19);
    expect(r.stdout).toMatch(new RegExp(`rpm\\s+customs-hello\\s+2:1\\.2\\.3-4\\.el9\\s+x86_64\\s+0 ${layer}`));
    expect(r.stdout).toMatch(/rpm\s+python3-customs\s+1\.0~rc1-1\.module\+el9\.2\.0\+1234\+abcdef12\s+noarch\s+customs-py 1\.0~rc1-1\.module/);
  });

  it('a garbage database is a warning in the inventory, not a failure', async () => {
    // the CLI says the inventory is incomplete (the database could not be read)
    const inv = await inventory('hostile', /^customs: warning: inventory of linux\/amd64 incomplete, 1 input\(s\) not analysed: \/var\/lib\/rpm\/Packages \(rpm: analyzer failed: /);
    expect(inv.packages.filter((p: any) => p.type === 'rpm')).toEqual([]);
    expect(inv.warnings.join('\n')).toMatch(/analyzer rpm failed on \/var\/lib\/rpm\/Packages: /);
  });
});
