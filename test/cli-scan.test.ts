// `customs db import/status` and `customs scan` output formats and CI options, end to end through bin/customs.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/client.ts';
import { pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';

const CUSTOMS = join(resolve(import.meta.dirname, '..'), 'bin/customs');
const work = mkdtempSync(join(tmpdir(), 'customs-cliscan-'));
const data = join(work, 'data');

function customs(args: string[], dataDir = data): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(CUSTOMS, args, { env: { ...process.env, CUSTOMS_DATA: dataDir, CUSTOMS_CONFIG: '', CUSTOMS_LOG_LEVEL: 'warn' }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => res({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }));
  });
}

/** stdout as JSON; a failure names the exit code and stderr (so a flaky run says why). */
function json(r: { code: number; stdout: string; stderr: string }): any {
  try { return JSON.parse(r.stdout); } catch { throw new Error(`exit ${r.code}, no JSON on stdout; stderr: ${r.stderr}`); }
}

const osRelease = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n';
const status = [
  'Package: libssl3\nStatus: install ok installed\nVersion: 3.0.8-1\nArchitecture: amd64\nSource: openssl\n',
  'Package: libbinutils\nStatus: install ok installed\nVersion: 2.40-2\nArchitecture: amd64\nSource: binutils\n',
  'Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\nSource: zlib\n',
].join('\n');
// shaped like OSV's Debian records (DSA with upstream CVE; DEBIAN-CVE with urgency, unfixed)
const advisories = [
  { id: 'DSA-5417-1', modified: '2023-06-01T00:00:00Z', upstream: ['CVE-2023-2650'], summary: 'openssl - security update',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }],
    affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.9-1' }] }] }] },
  { id: 'DEBIAN-CVE-2024-0002', modified: '2024-02-01T00:00:00Z', upstream: ['CVE-2024-0002'], summary: 'binutils: crash in objdump',
    affected: [{ package: { ecosystem: 'Debian:12', name: 'binutils' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], ecosystem_specific: { urgency: 'low' } }] },
];

let reg: TestRegistry;
let ref: string;
let manifestDigest: string;

beforeAll(async () => {
  reg = await startRegistry({ auth: 'none' });
  const client = new RegistryClient(testConfig());
  const img = await pushImage(client, reg.host, 'cli/vuln', 'v1', {
    layers: [{ data: gzip(await makeTar([{ path: 'etc/os-release', content: osRelease }, { path: 'var/lib/dpkg/status', content: status }])) }],
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
  });
  manifestDigest = img.manifestDigest;
  await client.close();
  ref = `${reg.host}/cli/vuln:v1`;
  const file = join(work, 'debian.json');
  writeFileSync(file, JSON.stringify(advisories));
  const imp = await customs(['db', 'import', file]);
  expect(imp.stderr).toBe('');
  expect(imp.code).toBe(0);
  expect(imp.stdout).toMatch(/^imported 2 advisories \(Debian 2\)/);
}, 120_000);
afterAll(async () => { await reg?.stop(); });

describe('customs db', () => {
  it('status names sources, counts per ecosystem and the version; JSON too', async () => {
    const t = await customs(['db', 'status']);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/database version osv-\d+-2024-02-01T00:00:00Z/);
    expect(t.stdout).toMatch(/Debian\s+2/);
    const j = json(await customs(['db', 'status', '--format', 'json']));
    expect(j).toMatchObject({ advisories: 2, ecosystems: { Debian: 2 }, sources: [join(work, 'debian.json')] });
    const empty = await customs(['db', 'status'], join(work, 'other'));
    expect(empty.stdout).toMatch(/empty/);
    expect((await customs(['db', 'frobnicate'])).code).toBe(2);
    const missing = await customs(['db', 'import', join(work, 'nope.zip')]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/does not exist/);
  });
});

describe('customs scan', () => {
  it('table: findings with severity, status, fix and the database version', async () => {
    const r = await customs(['scan', ref, '--no-cache']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/vulnerability database osv-\d+-2024-02-01T00:00:00Z \(2 advisories/);
    // the rating and who gave it: Debian's own records (a DSA's vector, a DEBIAN-CVE urgency)
    expect(r.stdout).toMatch(/libssl3\s+3\.0\.8-1\s+CVE-2023-2650\s+high 7\.5\s+Debian\s+fixed-available\s+3\.0\.9-1\s+\/var\/lib\/dpkg\/status\s+0/);
    expect(r.stdout).toMatch(/libbinutils\s+2\.40-2\s+CVE-2024-0002\s+low\s+Debian\s+no-fix/);
    expect(r.stdout).not.toMatch(/zlib1g/);
  });

  it('json: inventory images with vulnerabilities, database version recorded', async () => {
    const j = json(await customs(['scan', ref, '--format', 'json']));
    expect(j.database).toMatchObject({ advisories: 2 });
    expect(j.images[0].packages).toHaveLength(3);
    expect(j.images[0].vulnerabilities.map((v: any) => [v.id, v.status, v.guidance])).toEqual([
      ['CVE-2024-0002', 'no-fix', 'no fix yet'],
      ['CVE-2023-2650', 'fixed-available', 'upgrade libssl3 (source openssl) to 3.0.9-1'],
    ]);
  });

  it('--severity, --ignore-unfixed and --fail-on (exit 1 when met)', async () => {
    const high = json(await customs(['scan', ref, '--format', 'json', '--severity', 'high,critical']));
    expect(high.images[0].vulnerabilities.map((v: any) => v.id)).toEqual(['CVE-2023-2650']);
    const fixed = json(await customs(['scan', ref, '--format', 'json', '--ignore-unfixed']));
    expect(fixed.images[0].vulnerabilities.map((v: any) => v.id)).toEqual(['CVE-2023-2650']);
    expect((await customs(['scan', ref, '--fail-on', 'high'])).code).toBe(1);
    expect((await customs(['scan', ref, '--fail-on', 'critical'])).code).toBe(0);
    // --exit-code: what a met --fail-on exits with, never one of Customs' own error codes
    expect((await customs(['scan', ref, '--fail-on', 'high', '--exit-code', '42'])).code).toBe(42);
    expect((await customs(['scan', ref, '--fail-on', 'critical', '--exit-code', '42'])).code).toBe(0);
    for (const n of ['5', '0', '126', 'x']) {
      const r = await customs(['scan', ref, '--fail-on', 'high', '--exit-code', n]);
      expect(r.code, n).toBe(2);
      expect(r.stderr).toMatch(/--exit-code must be 1 or 12-125/);
    }
    // filters apply before the threshold
    expect((await customs(['scan', ref, '--fail-on', 'low', '--severity', 'critical'])).code).toBe(0);
    const bad = await customs(['scan', ref, '--fail-on', 'severe']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--fail-on: unknown severity "severe"/);
  });

  it('--ignorefile and --vex suppress findings without a server (plain list, YAML, OpenVEX, CycloneDX VEX)', async () => {
    const ids = (r: any) => json(r).images[0].vulnerabilities.map((v: any) => v.id);
    const write = (name: string, text: string) => { const f = join(work, name); writeFileSync(f, text); return f; };
    expect(ids(await customs(['scan', ref, '--format', 'json']))).toEqual(['CVE-2024-0002', 'CVE-2023-2650']);
    // .trivyignore: an id, a comment; the DSA's alias names the same finding
    const plain = write('ignore.txt', '# accepted\nDSA-5417-1\nCVE-2024-0002 exp:2020-01-01  # expired: counts again\n');
    const r1 = await customs(['scan', ref, '--format', 'json', '--ignorefile', plain, '--fail-on', 'high']);
    expect(r1.code).toBe(0); // the only high one is suppressed
    expect(ids(r1)).toEqual(['CVE-2024-0002']);
    expect(json(r1).suppressed).toEqual([{ id: 'CVE-2023-2650', package: 'libssl3', version: '3.0.8-1', by: `ignorefile:${plain}`, justification: 'ignored in CI' }]);
    expect(r1.stderr).toMatch(/customs: warning: 1 finding suppressed by --vex\/--ignorefile \(CVE-2023-2650\)/);
    // YAML: narrowed to a package the finding is not in → not suppressed; to its package → suppressed
    expect(ids(await customs(['scan', ref, '--format', 'json', '--ignorefile', write('i1.yaml', 'vulnerabilities:\n  - id: CVE-2023-2650\n    package: zlib1g\n')]))).toEqual(['CVE-2024-0002', 'CVE-2023-2650']);
    expect(ids(await customs(['scan', ref, '--format', 'json', '--ignorefile', write('i2.yaml', 'vulnerabilities:\n  - id: CVE-2023-2650\n    purls: ["pkg:deb/debian/libssl3@3.0.8-1"]\n    statement: not reachable\n')]))).toEqual(['CVE-2024-0002']);
    // OpenVEX not_affected, and a CycloneDX VEX whose analysis says not_affected for the component
    const openvex = write('v.openvex.json', JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', '@id': 'https://acme.example/vex/1', author: 'Acme', statements: [{ vulnerability: { name: 'CVE-2024-0002' }, products: [{ '@id': 'pkg:oci/vuln', subcomponents: [{ '@id': 'pkg:deb/debian/libbinutils@2.40-2' }] }], status: 'not_affected', justification: 'vulnerable_code_not_present' }] }));
    const cdx = write('v.cdx.json', JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ 'bom-ref': 'ssl', type: 'library', name: 'libssl3' }], vulnerabilities: [{ id: 'CVE-2023-2650', analysis: { state: 'not_affected', justification: 'code_not_reachable' }, affects: [{ ref: 'ssl' }] }] }));
    expect(ids(await customs(['scan', ref, '--format', 'json', '--vex', openvex, '--vex', cdx]))).toEqual([]);
    // malformed files are usage errors before anything is pulled
    for (const [flag, f, msg] of [['--vex', write('bad.json', '{"x": 1}'), /neither OpenVEX .* nor CycloneDX/], ['--ignorefile', write('bad.txt', 'CVE-1 exp:soon\n'), /bad\.txt:1: expected "ID \[exp:YYYY-MM-DD\]"/], ['--vex', join(work, 'missing.json'), /cannot read --vex .*missing\.json: ENOENT/]] as const) {
      const r = await customs(['scan', ref, flag, f]);
      expect(r.code, String(f)).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });

  it('sarif 2.1.0: one rule per vulnerability, results with levels and locations', async () => {
    const s = json(await customs(['scan', ref, '--format', 'sarif']));
    expect(s.version).toBe('2.1.0');
    const run = s.runs[0];
    expect(run.tool.driver.name).toBe('customs');
    // vulnerability rules first; then the image's configuration findings with rules of their own
    expect(run.tool.driver.rules.map((r: any) => [r.id, r.properties['security-severity']])).toEqual([['CVE-2024-0002', '2.0'], ['CVE-2023-2650', '7.5'], ['config/root-user', '5.5'], ['config/no-healthcheck', '2.0']]);
    const res = run.results.find((r: any) => r.ruleId === 'CVE-2023-2650');
    expect(res.level).toBe('error');
    expect(res.locations[0].physicalLocation.artifactLocation.uri).toBe('var/lib/dpkg/status');
    expect(res.message.text).toMatch(/libssl3 3\.0\.8-1 is affected by CVE-2023-2650: openssl - security update\. upgrade libssl3/);
    expect(run.results.find((r: any) => r.ruleId === 'CVE-2024-0002').level).toBe('note');
  });

  it('cyclonedx 1.6 with vulnerabilities affecting package components', async () => {
    const bom = json(await customs(['scan', ref, '--format', 'cyclonedx']));
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6' });
    const v = bom.vulnerabilities.find((x: any) => x.id === 'CVE-2023-2650');
    expect(v.ratings[0]).toMatchObject({ severity: 'high', score: 7.5, method: 'CVSSv31', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H',
      source: { name: 'Debian', url: 'https://osv.dev/vulnerability/DSA-5417-1' } });
    expect(v.references.map((r: any) => r.id)).toEqual(['DSA-5417-1']);
    const ssl = bom.components.find((c: any) => c.name === 'libssl3');
    expect(v.affects).toEqual([{ ref: ssl['bom-ref'], versions: [{ version: '3.0.8-1', status: 'affected' }] }]);
    expect(v.recommendation).toBe('upgrade libssl3 (source openssl) to 3.0.9-1');
  });

  it('cosign-vuln predicate: scanner, db version, RFC 3339 times', async () => {
    const p = json(await customs(['scan', ref, '--format', 'cosign-vuln']));
    expect(p.scanner.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(p.scanner.uri).toMatch(/^pkg:/);
    expect(p.scanner.db.version).toMatch(/^osv-\d+-2024-02-01T00:00:00Z$/);
    for (const t of [p.metadata.scanStartedOn, p.metadata.scanFinishedOn]) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(p.scanner.result.platforms[0].manifestDigest).toBe(manifestDigest);
    expect(p.scanner.result.platforms[0].findings).toHaveLength(2);
    expect(p.invocation).toMatchObject({ uri: '', event_id: '', 'builder.id': '' });
  });

  it('--db uses another database; a missing file is an error, an empty database a warning', async () => {
    const emptyData = join(work, 'empty');
    const withDb = await customs(['scan', ref, '--format', 'json', '--db', join(data, 'customs.db')], emptyData);
    expect(withDb.code).toBe(0);
    expect(json(withDb).images[0].vulnerabilities).toHaveLength(2);
    const none = await customs(['scan', ref, '--format', 'json'], emptyData);
    expect(none.stderr).toMatch(/warning: the vulnerability database is empty/);
    expect(json(none).warnings[0]).toMatch(/empty/);
    const missing = await customs(['scan', ref, '--db', join(work, 'missing.db')]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/no such database file/);
  });

  it('db import of EPSS (csv.gz) and KEV files: findings carry epss and kev', async () => {
    const dir = mkdtempSync(join(work, 'enrich-'));
    const epss = join(dir, 'epss_scores-2024-10-01.csv.gz');
    writeFileSync(epss, gzipSync('#model_version:v2023.03.01,score_date:2024-10-01T00:00:00+0000\ncve,epss,percentile\nCVE-2023-2650,0.00461,0.75227\n'));
    const kev = join(dir, 'known_exploited_vulnerabilities.json');
    writeFileSync(kev, JSON.stringify({ catalogVersion: '2024.10.01', count: 1, vulnerabilities: [{ cveID: 'CVE-2023-2650', vendorProject: 'OpenSSL', product: 'OpenSSL', dateAdded: '2024-10-01', dueDate: '2024-10-22', knownRansomwareCampaignUse: 'Unknown' }] }));
    const data2 = join(work, 'data-enrich');
    const imp = await customs(['db', 'import', join(work, 'debian.json'), epss, kev], data2);
    expect(imp.code).toBe(0);
    expect(imp.stdout).toMatch(/EPSS: 1 CVEs \(2024-10-01T00:00:00\+0000\), 0 rows skipped/);
    expect(imp.stdout).toMatch(/KEV: 1 CVEs/);
    const j = json(await customs(['scan', ref, '--format', 'json'], data2));
    const v = j.images[0].vulnerabilities.find((x: any) => x.id === 'CVE-2023-2650');
    expect(v.epss).toMatchObject({ score: 0.00461, percentile: 0.75227 });
    expect(v.kev).toMatchObject({ dateAdded: '2024-10-01', dueDate: '2024-10-22' });
    expect(j.images[0].vulnerabilities.find((x: any) => x.id === 'CVE-2024-0002').kev).toBeUndefined();
  });
});
