// Quarantine actions against the real registry: a failing image is moved out of its repository
// (cross-repo mounts), a notification is sent, and a release puts it back under exactly its tags.
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config/schema.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import { parsePolicy } from '../src/policy/parse.ts';
import { PolicyStore } from '../src/policy/store.ts';
import { judge, judgeContext, release } from '../src/judge/judge.ts';
import { importVex } from '../src/policy/vex-store.ts';
import type { ScanReport } from '../src/scan/types.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { scanImage } from '../src/scan/scan-image.ts';
import { PolicyStore as Store } from '../src/policy/store.ts';
import { pushDebianImage, pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';
import { caught } from './helpers/util.ts';
import { images, scans } from '../src/db/schema.ts';
import { toScanRecord } from '../src/scan/scan-record.ts';
import { reevaluateAll } from '../src/judge/reevaluate.ts';
import { verdictsOf } from '../src/quarantine/verdict-store.ts';
import { PYPI_DIR } from './vulndb-helpers.ts';
import { VulnStore } from '../src/vulndb/store.ts';


let reg: TestRegistry;
let cfg: Config;
let database: Database;
let client: RegistryClient;
let hook: Server;
let hookUrl: string;
const notes: any[] = [];

function image(repo: string, tag: string, pkgs: [string, string][]) {
  return pushDebianImage(client, reg.host, repo, tag, pkgs);
}

async function scanAndEnforce(repo: string, tag: string) {
  const report = await scanImage(`${reg.host}/${repo}:${tag}`, { cfg, database });
  return judge(judgeContext(cfg, database, client), { registry: reg.host, repository: repo, digest: report.rootDigest, tag }, report, null, { findingsChanged: true });
}

beforeAll(async () => {
  reg = await startRegistry();
  const dataDir = mkdtempSync(join(tmpdir(), 'customs-quarantine-'));
  cfg = testConfig({ dataDir, database: { url: `file:${join(dataDir, 'customs.db')}` } });
  database = await openDatabase(cfg);
  client = new RegistryClient(cfg);
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => { notes.push(JSON.parse(body)); res.writeHead(200).end('ok'); });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/slack`;
  await new PolicyStore(database).apply(parsePolicy(`apiVersion: customs.dev/v1
kind: Policy
metadata: { name: apps }
spec:
  scope: { repositories: ["apps/**"] }
  rules:
    - { type: deny-packages, packages: ["telnetd"] }
  actions:
    fail: [{ type: move, repository: quarantine/apps }, { type: notify, url: "${hookUrl}" }, { type: untag }]
    pass: [{ type: tag, suffix: verified }]
`), { actor: 'test' });
}, 60_000);

afterAll(async () => {
  hook?.close();
  database?.close();
  await reg?.stop();
});

describe('quarantine actions', () => {
  it('moves a failing image out with its tags, notifies, and a release restores it exactly', async () => {
    const bad = await image('apps/web', '1.0', [['telnetd', '0.17-44']]);
    await client.putManifest(reg.host, 'apps/web', 'latest', bad.manifestBytes, bad.manifestMediaType);
    const keep = await image('apps/web', '0.9', [['libc6', '2.36-9']]);

    const r = await scanAndEnforce('apps/web', '1.0');
    expect(r.verdict.verdict).toBe('fail');
    expect(r.actions.map((a) => `${a.type}:${a.ok}`)).toEqual(['move:true', 'notify:true', 'untag:false']);
    expect(r.actions[0]!.detail).toBe('moved to quarantine/apps (tags 1.0, latest)');
    expect(r.actions[2]!.detail).toMatch(/cannot remove a single tag \(only Amazon ECR can\)/);
    expect((await client.listTags(reg.host, 'apps/web')).sort()).toEqual(['0.9']);
    expect(await client.headManifest(reg.host, 'quarantine/apps', '1.0')).toBe(bad.manifestDigest);
    expect(notes[0].text).toMatch(/apps\/web:1\.0@sha256:.* is fail under policy apps@1: denied package: telnetd 0\.17-44/);
    expect(await client.headManifest(reg.host, 'apps/web', '0.9')).toBe(keep.manifestDigest);
    // the registry announces the quarantine copy as a push: it is judged, never acted on
    await new PolicyStore(database).apply(parsePolicy(`apiVersion: customs.dev/v1
kind: Policy
metadata: { name: quarantined-copies }
spec:
  scope: { repositories: ["quarantine/**"] }
  rules: [{ type: deny-packages, packages: ["telnetd"] }]
  actions: { fail: [{ type: notify, url: "${hookUrl}" }] }
`), { actor: 'test' });
    const sent = notes.length;
    const copy = await scanAndEnforce('quarantine/apps', '1.0');
    expect(copy.verdict).toMatchObject({ verdict: 'fail', policy: { name: 'quarantined-copies' } });
    expect(copy.actions).toEqual([]);
    expect(notes.length).toBe(sent);

    expect((await caught(release(judgeContext(cfg, database, client), bad.manifestDigest, { actor: 'ops', reason: '' }))).kind).toBe('usage');
    const rel = await release(judgeContext(cfg, database, client), bad.manifestDigest, { actor: 'ops', reason: 'accepted risk, ticket SEC-12' });
    expect(rel.undone.map((u) => `${u.type}:${u.ok}:${u.detail}`)).toEqual(['move:true:moved back to apps/web with tags 1.0, latest']);
    expect((await client.listTags(reg.host, 'apps/web')).sort()).toEqual(['0.9', '1.0', 'latest']);
    expect(await client.headManifest(reg.host, 'apps/web', 'latest')).toBe(bad.manifestDigest);
    expect(await client.listTags(reg.host, 'quarantine/apps')).toEqual([]);
    const audit = await new Store(database).auditEntries({ subject: bad.manifestDigest });
    // a release without --repository releases the digest wherever it is quarantined (the copy too)
    expect(audit.map((a) => `${a.action}:${a.actor}:${(a.details as { repository: string }).repository}`).sort()).toEqual(['quarantine:customs:apps/web', 'quarantine:customs:quarantine/apps', 'release:ops:apps/web', 'release:ops:quarantine/apps']);
  }, 120_000);

  it('tags a passing image once, and an imported OpenVEX statement turns a failure into a pass', async () => {
    const ok = await image('apps/api', '2.1', [['libc6', '2.36-9']]);
    const r = await scanAndEnforce('apps/api', '2.1');
    expect(r.verdict.verdict).toBe('pass');
    expect(r.actions.map((a) => `${a.type}:${a.ok}:${a.detail}`)).toEqual(['tag:true:tagged 2.1-verified']);
    expect(await client.headManifest(reg.host, 'apps/api', '2.1-verified')).toBe(ok.manifestDigest);
    expect((await scanAndEnforce('apps/api', '2.1')).actions).toEqual([]); // unchanged verdict: nothing again

    // a real finding: aiohttp 3.7.3 installed by pip, the real advisory PYSEC-2021-76 (CVE-2021-21330)
    await new VulnStore(database).importFrom([join(PYPI_DIR, 'aiohttp')]);
    await new PolicyStore(database).apply(parsePolicy(`apiVersion: customs.dev/v1
kind: Policy
metadata: { name: vexed }
spec:
  scope: { repositories: ["vex/**"] }
  rules:
    - { type: deny-vulnerabilities, ids: ["CVE-2021-21330"] }
`), { actor: 'test' });
    const meta = 'Metadata-Version: 2.1\nName: aiohttp\nVersion: 3.7.3\nSummary: Async http client/server framework (asyncio)\n';
    const layer = gzip(await makeTar([
      { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
      { path: 'usr/local/lib/python3.11/site-packages/aiohttp-3.7.3.dist-info/METADATA', content: meta },
    ]));
    await pushImage(client, reg.host, 'vex/svc', '1', { layers: [{ data: layer }], config: { architecture: 'amd64', os: 'linux', config: { User: 'app' }, rootfs: { type: 'layers', diff_ids: [] } } });
    const before = await scanAndEnforce('vex/svc', '1');
    expect(before.verdict.verdict).toBe('fail');
    expect(before.verdict.platforms[0]!.reasons[0]!.message).toBe('denied vulnerability: CVE-2021-21330 in aiohttp');

    const vex = JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', '@id': 'https://acme.example/vex/7', author: 'Acme', statements: [{ vulnerability: { name: 'CVE-2021-21330' }, products: [{ '@id': 'pkg:oci/svc', subcomponents: [{ '@id': 'pkg:pypi/aiohttp@3.7.3' }] }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' }] });
    expect(await importVex(database, vex, 'test')).toEqual({ docId: 'https://acme.example/vex/7', exceptions: 1 });
    expect((await caught(importVex(database, '{"not": "vex"}', 'test'))).kind).toBe('usage');
    const after = await scanAndEnforce('vex/svc', '1');
    expect(after.verdict.verdict).toBe('pass');
    expect(after.verdict.platforms[0]!.excepted[0]).toMatchObject({ finding: 'CVE-2021-21330', package: 'aiohttp', exception: { owner: 'Acme', source: 'openvex:https://acme.example/vex/7' } });
  }, 120_000);

  it('re-evaluates stored images from their inventories when the policy or the database changes, pulling nothing', async () => {
    const meta = 'Metadata-Version: 2.1\nName: aiohttp\nVersion: 3.7.3\n';
    const a = await pushDebianImage(client, reg.host, 're/a', '1', [['libc6', '2.36-9']], { extra: [{ path: 'opt/app/lib/python3.11/site-packages/aiohttp-3.7.3.dist-info/METADATA', content: meta }] });
    const fresh = await openFreshDatabase();
    try {
      // stored as the service stores a scan: scans row + images row pointing at it
      const report = await scanImage(`${reg.host}/re/a:1`, { cfg: fresh.cfg, database: fresh.database });
      expect(report.platforms[0]!.findings).toEqual([]); // empty database yet
      const rec = toScanRecord(report);
      await fresh.database.db.insert(scans).values({ id: 'scan-a', registry: reg.host, repository: 're/a', digest: rec.digest, ref: rec.ref, dbVersion: rec.dbVersion, startedAt: new Date(rec.startedAt), finishedAt: new Date(rec.finishedAt), platforms: rec.platforms, packages: rec.packages, findings: rec.findings, report: rec.report });
      await fresh.database.db.insert(images).values({ registry: reg.host, repository: 're/a', digest: a.manifestDigest, firstSeenAt: new Date(), lastSeenAt: new Date(), lastScanId: 'scan-a' });
      const vulns = new VulnStore(fresh.database);
      const deps = judgeContext(fresh.cfg, fresh.database, client);

      const first = await reevaluateAll(deps, vulns, { rematch: true });
      expect(first).toMatchObject({ images: 1, rematched: 0, changed: 1, quarantined: 0, failed: 0 }); // default policy: pass

      await reg.stop(); // nothing may be pulled from here on
      await vulns.importFrom([join(PYPI_DIR, 'aiohttp')]);
      await new PolicyStore(fresh.database).apply(parsePolicy(`apiVersion: customs.dev/v1
kind: Policy
metadata: { name: strict }
spec:
  scope: { repositories: ["re/**"] }
  rules:
    - { type: vulnerabilities, maxSeverity: low }
  actions:
    fail: [{ type: gate }]
`), { actor: 'test' });
      const second = await reevaluateAll(deps, vulns, { rematch: true });
      expect(second).toMatchObject({ images: 1, rematched: 1, changed: 1, quarantined: 1, failed: 0 });
      const [v] = await verdictsOf(fresh.database, a.manifestDigest);
      expect(v).toMatchObject({ verdict: 'fail', quarantine: 'quarantined', gated: true, policyName: 'strict' });
      expect(v!.summary).toMatch(/^6 vulnerabilities above low: CVE-\d+-\d+ \(\w+[ .0-9]*\) in aiohttp 3\.7\.3/);
      const stored = (await fresh.database.db.select().from(scans))[0]!;
      expect(stored.findings).toBeGreaterThan(0);
      expect(stored.dbVersion).not.toBeNull();
      // the summary columns are recounted from the re-matched findings, never left at the old scan's
      const rematched = JSON.parse(stored.report) as ScanReport;
      const by = (r: string) => rematched.platforms.flatMap((p) => p.findings).filter((f) => f.severity.rating === r).length;
      expect({ critical: stored.critical, high: stored.high, medium: stored.medium, low: stored.low })
        .toEqual({ critical: by('critical'), high: by('high'), medium: by('medium'), low: by('low') });
      expect(stored.critical + stored.high + stored.medium + stored.low).toBeGreaterThan(0);
    } finally {
      fresh.database.close();
      reg = await startRegistry(); // afterAll stops it again
    }
  }, 120_000);
});

async function openFreshDatabase() {
  const dataDir = mkdtempSync(join(tmpdir(), 'customs-reeval-'));
  const c = testConfig({ dataDir, database: { url: `file:${join(dataDir, 'customs.db')}` } });
  return { cfg: c, database: await openDatabase(c) };
}

