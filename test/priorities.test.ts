// What to fix first across the fleet (GET /api/v1/priorities, `customs priorities`): real images pushed to
// the test registry, scanned by the service against imported advisories, EPSS and KEV, and workloads
// imported from real kubectl output (test/fixtures/k8s/) whose running digests are those images:
// app:vuln runs in shop/web behind a LoadBalancer, debian:bookworm in an internal ReplicaSet.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { startService, type RunningService } from '../src/server/service.ts';
import { importEnrichment } from '../src/vulndb/enrichment.ts';
import { VulnStore } from '../src/vulndb/store.ts';
import { dpkgStatus, pushDebianImage, pushImage, pushIndex } from './helpers/push.ts';
import { gzip, makeTar } from './helpers/tar.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { waitFor } from './helpers/util.ts';

const CUSTOMS = join(resolve(import.meta.dirname, '..'), 'bin/customs');
const KUBECTL = readFileSync(join(import.meta.dirname, 'fixtures/k8s/kubectl-get-pods-services-ingresses.json'), 'utf8');
const WEB_DIGEST = 'sha256:4b5e57f6eb2f42b9039b3d1e13929295f231749c510cbe341cd68036d9af97e2';
const QUEUE_DIGEST = 'sha256:bd17153e9a3319f401acc7a27759243f37d422c06cbbf01cb3e1f54bbbfe14f4';
const API_DIGEST = 'sha256:14c2529eb4498c5d1ffd6915d05bf58a91bdda796af59f41d480d11c099d0479';
// shaped like OSV's Debian records
const ADVISORIES = [
  { id: 'DSA-5417-1', modified: '2023-06-01T00:00:00Z', upstream: ['CVE-2023-2650'], summary: 'openssl - security update',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }],
    affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.9-1' }] }] }] },
  { id: 'DSA-5218-1', modified: '2022-08-20T00:00:00Z', upstream: ['CVE-2022-37434'], summary: 'zlib - security update',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    affected: [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:1.2.13.dfsg-2' }] }] }] },
];
const PKGS: [string, string][] = [['openssl', '3.0.8-1'], ['zlib', '1:1.2.13.dfsg-1'], ['libc6', '2.36-9']];

let reg: TestRegistry;
let dir: string;
let svc: RunningService;
let base: string;
let app: string;
let bookworm: string;
/** a two-platform index; shop/api runs its arm64 manifest (openssl fixed there) */
let multi: string;
let multiArm: string;

beforeAll(async () => {
  reg = await startRegistry();
  dir = mkdtempSync(join(tmpdir(), 'customs-priorities-'));
  const cfg = testConfig({
    dataDir: dir, database: { url: `file:${join(dir, 'customs.db')}` }, server: { host: '127.0.0.1', port: 0 },
    workers: { concurrency: 2, pollMs: 50, leaseMs: 5000, backoffMs: 50, maxBackoffMs: 200, vulndbRefresh: false },
  });
  const db = await openDatabase(cfg);
  writeFileSync(join(dir, 'debian.json'), JSON.stringify(ADVISORIES));
  await new VulnStore(db).importFrom([join(dir, 'debian.json')]);
  writeFileSync(join(dir, 'epss.csv.gz'), gzipSync('#model_version:v2023.03.01,score_date:2024-10-01T00:00:00+0000\ncve,epss,percentile\nCVE-2023-2650,0.00461,0.75227\nCVE-2022-37434,0.02,0.88\n'));
  writeFileSync(join(dir, 'kev.json'), JSON.stringify({ catalogVersion: '2024.10.01', count: 1, vulnerabilities: [{ cveID: 'CVE-2023-2650', vendorProject: 'OpenSSL', product: 'OpenSSL', dateAdded: '2024-10-01', dueDate: '2024-10-22', knownRansomwareCampaignUse: 'Unknown' }] }));
  await importEnrichment(db, 'epss', join(dir, 'epss.csv.gz'));
  await importEnrichment(db, 'kev', join(dir, 'kev.json'));
  db.close();
  svc = await startService(cfg);
  base = `http://127.0.0.1:${svc.port}`;
  const client = new RegistryClient(testConfig());
  // two images with the same vulnerable packages: the difference is where they run
  app = (await pushDebianImage(client, reg.host, 'lab/app', 'vuln', PKGS)).manifestDigest;
  bookworm = (await pushDebianImage(client, reg.host, 'lab/debian', 'bookworm', PKGS, { user: '' })).manifestDigest;
  const amd = await pushDebianImage(client, reg.host, 'lab/multi', 'amd64', PKGS);
  const arm = await pushDebianImage(client, reg.host, 'lab/multi', 'arm64', [['openssl', '3.0.9-1'], ['zlib', '1:1.2.13.dfsg-1']], { architecture: 'arm64' });
  multiArm = arm.manifestDigest;
  multi = (await pushIndex(client, reg.host, 'lab/multi', '1', [amd.descriptor({ os: 'linux', architecture: 'amd64' }), arm.descriptor({ os: 'linux', architecture: 'arm64' })])).digest;
  await client.close();
  for (const [repo, d] of [['lab/app', app], ['lab/debian', bookworm], ['lab/multi', multi]] as const) {
    expect((await fetch(`${base}/api/v1/scans`, { method: 'POST', body: JSON.stringify({ image: `${reg.host}/${repo}@${d}` }) })).status).toBeLessThan(300);
  }
  for (const d of [app, bookworm, multi]) await waitFor(`the scan of ${d}`, async () => ((await fetch(`${base}/api/v1/images/${d}/findings`)).status === 200 ? true : undefined), 60_000);
  // the kubectl capture, its running digests those of the lab images
  const kubectl = KUBECTL.replaceAll(WEB_DIGEST, app).replaceAll(QUEUE_DIGEST, bookworm).replaceAll(API_DIGEST, multiArm)
    // shop/web's pods are labelled critical
    .replaceAll('"pod-template-hash": "7c5ddbdf54"', '"customs.dev/criticality": "critical", "pod-template-hash": "7c5ddbdf54"');
  expect((await fetch(`${base}/api/v1/workloads?cluster=prod-eu`, { method: 'POST', body: kubectl })).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await svc?.stop();
  await reg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const priorities = async () => (await (await fetch(`${base}/api/v1/priorities`)).json()) as any;

describe('priorities across the fleet', () => {
  it('orders upgrades: KEV first, and the internet-facing image above the same finding in an internal one', async () => {
    const r = await priorities();
    r.items = r.items.filter((f: any) => f.image.repository !== 'lab/multi');
    const ids = r.items.map((f: any) => `${f.image.repository} ${f.package.name}`);
    // the internet-facing image's critical zlib finding (no KEV) outranks the internal image's KEV one:
    // exposure +15 and CVSS 9.8 against 7.5 weigh more than KEV +25 (the weights in src/priorities/score.ts)
    expect(ids).toEqual(['lab/app openssl', 'lab/app zlib', 'lab/debian openssl', 'lab/debian zlib']);
    const ranks = r.items.map((f: any) => f.rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    const [webSsl, webZlib, queueSsl] = r.items;
    // the same KEV finding: behind a LoadBalancer (2 replicas of shop/web) above the internal ReplicaSet
    expect(webSsl.priority).toBeGreaterThan(queueSsl.priority);
    const factor = (f: any, name: string) => f.findings[0].factors.find((x: any) => x.factor === name);
    expect(factor(webSsl, 'exposure')).toMatchObject({ value: 'internet', points: 15 });
    expect(factor(webSsl, 'exposure').why).toMatch(/Service\/web \(LoadBalancer\)/);
    expect(factor(queueSsl, 'exposure')).toMatchObject({ value: 'internal', points: 0 });
    expect(factor(webSsl, 'criticality')).toMatchObject({ value: 'critical', points: 15 });
    expect(factor(queueSsl, 'criticality')).toMatchObject({ value: null, points: 0 });
    // KEV (CVSS 7.5) above a critical without KEV (CVSS 9.8) in the same workloads
    expect(webSsl.findings[0]).toMatchObject({ id: 'CVE-2023-2650', kev: true, cvss: 7.5, epss: 0.00461 });
    expect(webZlib.findings[0]).toMatchObject({ id: 'CVE-2022-37434', kev: false, cvss: 9.8 });
    expect(webSsl.priority).toBeGreaterThan(webZlib.priority);
    expect(factor(webSsl, 'kev')).toMatchObject({ value: true, points: 25 });
    expect(factor(webZlib, 'kev')).toMatchObject({ value: false, points: 0 });
  });

  it('explains each finding factor by factor and says the fix in one sentence', async () => {
    const r = await priorities();
    expect(r.weights).toMatch(/KEV \+25/);
    expect(r.criticalityLabel).toBe('customs.dev/criticality');
    const top = r.items[0];
    expect(top).toMatchObject({ upgradeTo: '3.0.9-1', package: { name: 'openssl', version: '3.0.8-1' }, replicas: 2, internetFacing: 1, counts: { findings: 1, kev: 1 } });
    expect(top.action).toBe(`upgrade openssl to 3.0.9-1 in ${reg.host}/lab/app@${app.slice(0, 19)}: fixes 1 finding (1 KEV, high 1) in 1 workload (1 internet-facing)`);
    expect(top.workloads.map((w: any) => `${w.namespace}/${w.kind}/${w.name}/${w.container}`).sort()).toEqual(['shop/Deployment/web/web']);
    // the criticality each workload carries is shown beside it (the label here; an annotation otherwise)
    expect(top.workloads[0].criticality).toBe('critical');
    for (const fix of r.items) {
      for (const f of fix.findings) {
        expect(f.factors.map((x: any) => x.factor)).toEqual(['severity', 'epss', 'kev', 'fix', 'replicas', 'exposure', 'criticality']);
        expect(f.score).toBeCloseTo(f.factors.reduce((n: number, x: any) => n + x.points, 0), 1);
        for (const x of f.factors) { expect(x.why).toBeTruthy(); expect(x).toHaveProperty('value'); }
      }
    }
    // ?limit: the first N fixes, explained; total counts them all
    const one = (await (await fetch(`${base}/api/v1/priorities?limit=1`)).json()) as any;
    expect(one.total).toBe(r.total);
    expect(one.total).toBe(r.items.length);
    expect(one.items.map((f: any) => f.action)).toEqual([top.action]);
    expect((await fetch(`${base}/api/v1/priorities?limit=0`)).status).toBe(400);
    // running images without a stored scan are named
    expect(r.unscanned.length).toBeGreaterThan(0);
    expect(r.unscanned).not.toContain(app);
  });

  it('customs priorities prints the same list as a table and as JSON', async () => {
    const run = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
      execFile(CUSTOMS, args, { env: { ...process.env, CUSTOMS_DATA: dir, CUSTOMS_CONFIG: '', CUSTOMS_LOG_LEVEL: 'warn' } },
        (err, stdout, stderr) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    });
    const json = await run(['priorities', '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const j = JSON.parse(json.stdout);
    expect(j.items.map((f: any) => f.action)).toEqual((await priorities()).items.map((f: any) => f.action));
    const table = await run(['priorities']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/PRIORITY/);
    expect(table.stdout).toMatch(/upgrade openssl to 3\.0\.9-1 in .*lab\/app/);
    expect(table.stdout).toMatch(/kev \+25/);
    expect((await run(['priorities', '--format', 'sarif'])).code).toBe(2);
  });

  it('a workload running one platform of a scanned index gets that platform\'s findings', async () => {
    // the platform's verdict row (its root: the index) is written after the scan
    const mine = await waitFor('the arm64 platform in the priorities', async () => {
      const items = (await priorities()).items.filter((f: any) => f.image.repository === 'lab/multi');
      return items.length ? items : undefined;
    }, 30_000);
    expect(mine.map((f: any) => `${f.image.digest} ${f.package.name}`)).toEqual([`${multiArm} zlib`]);
    expect(mine[0].workloads.map((w: any) => w.name)).toEqual(['api']);
    expect(mine[0].findings[0].factors.find((x: any) => x.factor === 'exposure')).toMatchObject({ value: 'internet' });
    expect((await priorities()).unscanned).not.toContain(multiArm);
  });
});

describe('image families (GET /api/v1/families)', () => {
  it('a base\'s findings list every derived image and where it runs; a newer scanned base says "rebuild on base:Y fixes N"', async () => {
    const client = new RegistryClient(testConfig());
    const OS = { path: 'etc/os-release', content: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n' };
    const baseLayer = (pkgs: [string, string][]) => makeTar([OS, { path: 'var/lib/dpkg/status', content: dpkgStatus(pkgs) }]).then(gzip);
    const config = { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] } };
    // base:1 with vulnerable openssl and zlib; shop:1 built on it (its layer + one of its own); base:2 fixes openssl
    const v1 = await baseLayer([['base-files', '12.4'], ['openssl', '3.0.8-1'], ['zlib', '1:1.2.13.dfsg-1']]);
    const base1 = await pushImage(client, reg.host, 'lab/base', '1', { layers: [{ data: v1 }], config });
    const shop = await pushImage(client, reg.host, 'lab/shop', '1', { layers: [{ data: v1 }, { data: gzip(await makeTar([{ path: 'srv/app/main.txt', content: 'the app\n' }])) }], config });
    const base2 = await pushImage(client, reg.host, 'lab/base', '2', { layers: [{ data: await baseLayer([['base-files', '12.5'], ['openssl', '3.0.9-1'], ['zlib', '1:1.2.13.dfsg-1']]) }], config });
    await client.close();
    // scanned by tag, so Customs knows the tags (no registry notifications in this test)
    for (const [repo, img] of [['lab/base:1', base1], ['lab/shop:1', shop], ['lab/base:2', base2]] as const) {
      expect((await fetch(`${base}/api/v1/scans`, { method: 'POST', body: JSON.stringify({ image: `${reg.host}/${repo}` }) })).status).toBeLessThan(300);
      await waitFor(`the scan of ${repo}`, async () => ((await fetch(`${base}/api/v1/images/${img.manifestDigest}/findings`)).status === 200 ? true : undefined), 60_000);
    }
    // shop:1 runs as the web deployment of another cluster (the same kubectl capture)
    expect((await fetch(`${base}/api/v1/workloads?cluster=prod-us`, { method: 'POST', body: KUBECTL.replaceAll(WEB_DIGEST, shop.manifestDigest) })).status).toBe(200);

    const r = await (await fetch(`${base}/api/v1/families`)).json() as any;
    const fam = r.items.find((f: any) => f.base.digest === base1.manifestDigest);
    expect(fam.base).toMatchObject({ repository: 'lab/base', tags: ['1'], layers: 1, findingIds: ['CVE-2022-37434', 'CVE-2023-2650'] });
    expect(fam.derived.map((d: any) => `${d.repository}:${d.tags[0]} +${d.extraLayers}`)).toEqual(['lab/shop:1 +1']);
    expect(fam.derived[0].workloads.map((w: any) => `${w.cluster}/${w.namespace}/${w.name} ${w.exposure}`)).toEqual(['prod-us/shop/web internet']);
    expect(fam.running).toMatchObject({ workloads: 1, internetFacing: 1 });
    expect(fam.rebuild).toMatchObject({ on: { repository: 'lab/base', tags: ['2'], digest: base2.manifestDigest }, fixes: 1, fixedIds: ['CVE-2023-2650'] });
    expect(fam.rebuild.action).toBe(`rebuild on ${reg.host}/lab/base:2 fixes 1 finding of the base in 1 derived image (1 workloads, 1 internet-facing)`);
    // images that only share nothing, or are equal, form no family; lab/base:2 has no derived image
    expect(r.items.find((f: any) => f.base.digest === base2.manifestDigest)).toBeUndefined();
    expect(r.items.find((f: any) => f.base.repository === 'lab/app')).toBeUndefined();
    expect((await fetch(`${base}/api/v1/families?rebuild=true`).then((x) => x.json()) as any).items.every((f: any) => f.rebuild)).toBe(true);
    expect((await fetch(`${base}/api/v1/families?limit=0`)).status).toBe(400);
    // the command line reads the same database
    const run = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
      execFile(CUSTOMS, args, { env: { ...process.env, CUSTOMS_DATA: dir, CUSTOMS_CONFIG: '', CUSTOMS_LOG_LEVEL: 'warn' } },
        (err, stdout, stderr) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    });
    const json = await run(['families', '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).items.map((f: any) => f.rebuild?.action ?? null)).toEqual(r.items.map((f: any) => f.rebuild?.action ?? null));
    const table = await run(['families']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/lab\/base:1 .*lab\/shop:1 .*rebuild on .*lab\/base:2 fixes 1 finding/);
    expect((await run(['families', '--format', 'sarif'])).code).toBe(2);
  });
});
