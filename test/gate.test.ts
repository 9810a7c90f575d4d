// The pull gate in front of a real registry: a real scan, a real policy evaluation, a stored verdict,
// and skopeo (a real registry client) pulling through the gate.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateSchema } from '../src/config/gate-schema.ts';
import type { Config } from '../src/config/schema.ts';
import type { Database } from '../src/db/client.ts';
import { startGate, type Gate } from '../src/gate/server.ts';
import { PolicyStore } from '../src/policy/store.ts';
import { evaluateReport } from '../src/policy/verdicts.ts';
import { recordVerdict, releaseImage, verdictsOf } from '../src/quarantine/verdict-store.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { scanImage } from '../src/scan/scan-image.ts';
import { gateWorld, scanAndDecide as decideScan, skopeo, type GateWorld } from './helpers/gate.ts';
import { pushDebianImage, pushImage, pushIndex } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { caught } from './helpers/util.ts';

const SCANNER_SECRET = 'scanner-secret-7f3a9c2e';
const SCANNER_HASH = 'sha256:' + createHash('sha256').update(SCANNER_SECRET).digest('hex');

let world: GateWorld;
let reg: TestRegistry;
let cfg: Config;
let database: Database;
let gate: Gate;
let client: RegistryClient;

function image(repo: string, tag: string, pkgs: [string, string][], user = '') {
  return pushDebianImage(client, reg.host, repo, tag, pkgs, { user });
}

const scanAndDecide = (ref: string, repository: string) => decideScan(world, ref, repository);

beforeAll(async () => {
  world = await gateWorld(`apiVersion: customs.dev/v1
kind: Policy
metadata: { name: prod }
spec:
  scope: { repositories: ["prod/**"] }
  missingScan: fail
  rules:
    - { type: deny-packages, packages: ["telnetd"] }
    - { type: root-user, outcome: warn }
  actions:
    fail: [{ type: gate }]
`);
  ({ reg, cfg, database, client } = world);
  gate = await startGate(gateSchema.parse({ enabled: true, port: 0, upstream: `http://${reg.host}`, bypass: [{ user: 'scanner', passwordHash: SCANNER_HASH }] }), database);
}, 60_000);

afterAll(async () => {
  await gate?.close();
  await world?.stop();
});

describe('pull gate', () => {
  it('passes a passing image through unchanged and refuses a quarantined one with DENIED, until released', async () => {
    const g = `127.0.0.1:${gate.address().port}`;
    const good = await image('prod/api', 'good', [['libc6', '2.36-9']], 'app');
    const bad = await image('prod/api', 'bad', [['libc6', '2.36-9'], ['telnetd', '0.17-44']]);
    const pass = await scanAndDecide(`${reg.host}/prod/api:good`, 'prod/api');
    expect(pass.v.verdict).toBe('pass');
    const fail = await scanAndDecide(`${reg.host}/prod/api:bad`, 'prod/api');
    expect(fail.v.verdict).toBe('fail');
    expect(fail.change).toMatchObject({ after: { verdict: 'fail', quarantine: 'quarantined' }, quarantinedNow: true });

    const ok = await skopeo(['inspect', '--tls-verify=false', `docker://${g}/prod/api:good`]);
    expect(ok.ok, ok.out).toBe(true);
    expect(JSON.parse(ok.out).Digest).toBe(good.manifestDigest);
    const dest = mkdtempSync(join(tmpdir(), 'customs-gate-copy-'));
    const copied = await skopeo(['copy', '--src-tls-verify=false', `docker://${g}/prod/api:good`, `dir:${dest}`]);
    expect(copied.ok, copied.out).toBe(true);
    expect(readdirSync(dest)).toContain('manifest.json');

    for (const ref of [`prod/api:bad`, `prod/api@${bad.manifestDigest}`]) {
      const denied = await skopeo(['inspect', '--tls-verify=false', `docker://${g}/${ref}`]);
      expect(denied.ok).toBe(false);
      expect(denied.out).toMatch(/denied: quarantined by policy prod: denied package: telnetd 0\.17-44/);
    }
    // the raw registry answer: 403 with a registry-style error body
    const raw = await fetch(`http://${g}/v2/prod/api/manifests/bad`, { headers: { accept: bad.manifestMediaType } });
    expect(raw.status).toBe(403);
    expect(await raw.json()).toEqual({ errors: [{ code: 'DENIED', message: 'quarantined by policy prod: denied package: telnetd 0.17-44' }] });
    // HEAD is refused too; blobs still stream (they are content-addressed and carry no verdict)
    expect((await fetch(`http://${g}/v2/prod/api/manifests/bad`, { method: 'HEAD', headers: { accept: bad.manifestMediaType } })).status).toBe(403);
    const blob = await fetch(`http://${g}/v2/prod/api/blobs/${bad.layers[0]!.digest}`);
    expect(blob.status).toBe(200);
    expect('sha256:' + createHash('sha256').update(Buffer.from(await blob.arrayBuffer())).digest('hex')).toBe(bad.layers[0]!.digest);
    expect((await fetch(`http://${g}/v2/prod/api/blobs/sha256:${'0'.repeat(64)}`)).status).toBe(404);
    // bypass identity: the user and its secret
    const asScanner = await fetch(`http://${g}/v2/prod/api/manifests/bad`, { headers: { authorization: 'Basic ' + Buffer.from(`scanner:${SCANNER_SECRET}`).toString('base64'), accept: bad.manifestMediaType } });
    expect(asScanner.status).toBe(200);

    expect((await caught(releaseImage(database, bad.manifestDigest, { actor: 'ops', reason: '  ' }))).message).toMatch(/needs a reason/);
    await releaseImage(database, bad.manifestDigest, { actor: 'ops', reason: 'telnetd not started; accepted until rebuild' });
    expect((await skopeo(['inspect', '--tls-verify=false', `docker://${g}/prod/api:bad`])).ok).toBe(true);
    expect((await caught(releaseImage(database, bad.manifestDigest, { actor: 'ops', reason: 'again' }))).kind).toBe('not-found');
    // a re-scan with the same policy and database keeps it released
    const again = await scanAndDecide(`${reg.host}/prod/api:bad`, 'prod/api');
    expect(again.change).toMatchObject({ after: { quarantine: 'released' }, quarantinedNow: false, failedWhileReleased: false });
    expect((await verdictsOf(database, bad.manifestDigest))[0]).toMatchObject({ releasedBy: 'ops', releaseReason: 'telnetd not started; accepted until rebuild' });
  }, 120_000);

  it('an index is refused when one platform fails, by its digest and by each platform digest', async () => {
    const g = `127.0.0.1:${gate.address().port}`;
    const amd = await image('prod/multi', 'amd', [['libc6', '2.36-9']], 'app');
    const arm = await image('prod/multi', 'arm', [['telnetd', '0.17-44']], 'app');
    const idx = await pushIndex(client, reg.host, 'prod/multi', 'v1', [
      { ...amd.descriptor({ os: 'linux', architecture: 'amd64' }) },
      { ...arm.descriptor({ os: 'linux', architecture: 'arm64' }) },
    ]);
    const r = await scanAndDecide(`${reg.host}/prod/multi:v1`, 'prod/multi');
    expect(r.v.platforms.map((p) => `${p.platform}:${p.verdict}`)).toEqual(['linux/amd64:pass', 'linux/arm64:fail']);
    expect(r.v.verdict).toBe('fail');
    for (const ref of ['v1', idx.digest, amd.manifestDigest, arm.manifestDigest]) {
      expect((await fetch(`http://${g}/v2/prod/multi/manifests/${ref}`, { headers: { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' } })).status).toBe(403);
    }
  }, 120_000);

  it('refuses unscanned images when the policy says so, lets other repositories through, and refuses pushes', async () => {
    const g = `127.0.0.1:${gate.address().port}`;
    await image('prod/new', 'v1', [['libc6', '2.36-9']]);
    const r = await fetch(`http://${g}/v2/prod/new/manifests/v1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(r.status).toBe(403);
    expect(((await r.json()) as any).errors[0].message).toMatch(/not scanned yet: policy prod refuses images without a verdict/);
    await image('dev/tool', 'v1', [['telnetd', '0.17-44']]);
    expect((await fetch(`http://${g}/v2/dev/tool/manifests/v1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).status).toBe(200);
    expect((await fetch(`http://${g}/v2/dev/tool/blobs/uploads/`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`http://${g}/v2/_catalog`)).status).toBe(200);
    expect((await fetch(`http://${g}/other`)).status).toBe(404);
  }, 60_000);

  it('passes token auth through unchanged to a registry that requires it, and waits for a scan when configured', async () => {
    const secured = await startRegistry({ auth: 'token', users: { alice: { password: 'pw' }, scanner: { password: 'sc' } } });
    const c2 = testConfig({ dataDir: cfg.dataDir, database: cfg.database, registries: { [secured.host]: { username: 'alice', password: 'pw' } } });
    const securedClient = new RegistryClient(c2);
    const g2 = await startGate(gateSchema.parse({ enabled: true, port: 0, upstream: `http://${secured.host}`, waitForScanMs: 3000 }), database);
    try {
      const img = await pushDebianImage(securedClient, secured.host, 'prod/secure', 'v1', [['libc6', '2.36-9']]);
      const g = `127.0.0.1:${g2.address().port}`;
      // unauthenticated: the upstream's 401 challenge goes back to the client untouched
      const anon = await fetch(`http://${g}/v2/prod/secure/manifests/v1`);
      expect(anon.status).toBe(401);
      expect(anon.headers.get('www-authenticate')).toMatch(/^Bearer realm="http:\/\/127\.0\.0\.1:\d+\//);
      // a real client logs in at the token server and pulls through the gate; the image has no verdict
      // yet and the policy refuses unscanned images, so the gate waits for the scan that lands meanwhile
      const scanning = (async () => {
        await new Promise((r) => setTimeout(r, 500));
        const report = await scanImage(`${secured.host}/prod/secure:v1`, { cfg: c2, database });
        const governing = await new PolicyStore(database).governing(secured.host, 'prod/secure');
        await recordVerdict(database, { registry: secured.host, repository: 'prod/secure', digest: report.rootDigest }, evaluateReport(report, { registry: secured.host, repository: 'prod/secure', digest: report.rootDigest }, governing), governing.policy, null);
      })();
      const t0 = Date.now();
      const ok = await skopeo(['inspect', '--tls-verify=false', '--creds', 'alice:pw', `docker://${g}/prod/secure:v1`]);
      await scanning;
      expect(ok.ok, ok.out).toBe(true);
      expect(JSON.parse(ok.out).Digest).toBe(img.manifestDigest);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
      // wrong password: refused by the upstream's token server, not by the gate
      const bad = await skopeo(['inspect', '--tls-verify=false', '--creds', 'alice:nope', `docker://${g}/prod/secure:v1`]);
      expect(bad.ok).toBe(false);
      expect(bad.out).not.toMatch(/DENIED/);
    } finally {
      await g2.close();
      await securedClient.close();
      await secured.stop();
    }
  }, 120_000);
  it('bypasses only for a configured user with its secret (hash, file or environment); bypassIps still work', async () => {
    const bad = await image('prod/bypass', 'bad', [['telnetd', '0.17-44']]);
    expect((await scanAndDecide(`${reg.host}/prod/bypass:bad`, 'prod/bypass')).v.verdict).toBe('fail');
    const dir = mkdtempSync(join(tmpdir(), 'customs-gate-secret-'));
    const fileSecret = randomBytes(24).toString('hex');
    const envSecret = randomBytes(24).toString('base64');
    writeFileSync(join(dir, 'ci'), fileSecret + '\n');
    process.env.CUSTOMS_TEST_GATE_SECRET = envSecret;
    const g2 = await startGate(gateSchema.parse({
      enabled: true, port: 0, upstream: `http://${reg.host}`,
      bypass: [{ user: 'scanner', passwordHash: SCANNER_HASH }, { user: 'ci', passwordFile: join(dir, 'ci') }, { user: 'robot', passwordEnv: 'CUSTOMS_TEST_GATE_SECRET' }],
    }), database);
    const basic = (userPass: string) => 'Basic ' + Buffer.from(userPass).toString('base64');
    try {
      const cases: [string, string | undefined, number][] = [
        ['right user + secret (passwordHash)', basic(`scanner:${SCANNER_SECRET}`), 200],
        ['right user + secret (passwordFile, its newline ignored)', basic(`ci:${fileSecret}`), 200],
        ['right user + secret (passwordEnv)', basic(`robot:${envSecret}`), 200],
        ['lower-case scheme', basic(`scanner:${SCANNER_SECRET}`).replace('Basic', 'basic'), 200],
        ['right user, wrong secret', basic('scanner:wrong'), 403],
        ['right user, another user\'s secret', basic(`scanner:${fileSecret}`), 403],
        ['right user, secret with a newline', basic(`ci:${fileSecret}\n`), 403],
        ['right user, empty secret', basic('scanner:'), 403],
        ['wrong user, right secret', basic(`other:${SCANNER_SECRET}`), 403],
        ['user name in another case', basic(`Scanner:${SCANNER_SECRET}`), 403],
        ['no header', undefined, 403],
        ['no colon', basic('scanner'), 403],
        ['malformed base64', 'Basic !!!c2Nhbm5lcjp4', 403],
        ['truncated base64', basic(`scanner:${SCANNER_SECRET}`).slice(0, -2), 403],
        ['the secret as a bearer token', `Bearer ${SCANNER_SECRET}`, 403],
        ['the hash as the secret', basic(`scanner:${SCANNER_HASH}`), 403],
      ];
      const got = [];
      for (const [what, authorization] of cases) {
        const r = await fetch(`http://127.0.0.1:${g2.address().port}/v2/prod/bypass/manifests/bad`, { headers: { accept: bad.manifestMediaType, ...(authorization ? { authorization } : {}) } });
        got.push([what, authorization, r.status]);
        if (r.status === 200) expect(r.headers.get('docker-content-digest')).toBe(bad.manifestDigest);
      }
      expect(got).toEqual(cases);
    } finally {
      delete process.env.CUSTOMS_TEST_GATE_SECRET;
      await g2.close();
    }
    // an address in bypassIps pulls without credentials
    const g3 = await startGate(gateSchema.parse({ enabled: true, port: 0, upstream: `http://${reg.host}`, bypassIps: ['127.0.0.1'] }), database);
    try {
      expect((await fetch(`http://127.0.0.1:${g3.address().port}/v2/prod/bypass/manifests/bad`, { headers: { accept: bad.manifestMediaType } })).status).toBe(200);
    } finally {
      await g3.close();
    }
    // secrets that cannot be read or are too short stop the gate from starting, without showing them
    const start = (bypass: object[]) => caught(startGate(gateSchema.parse({ enabled: true, port: 0, upstream: `http://${reg.host}`, bypass }), database));
    const missing = await start([{ user: 'ci', passwordFile: join(dir, 'nope') }]);
    expect([missing.kind, missing.message]).toEqual(['config', `gate.bypass[0].passwordFile: cannot read ${join(dir, 'nope')}: ENOENT`]);
    expect((await start([{ user: 'robot', passwordEnv: 'CUSTOMS_TEST_GATE_UNSET' }])).message).toBe('gate.bypass[0].passwordEnv: the environment variable CUSTOMS_TEST_GATE_UNSET is not set');
    writeFileSync(join(dir, 'short'), 'hunter2');
    const short = await start([{ user: 'ci', passwordFile: join(dir, 'short') }]);
    expect(short.message).toMatch(/shorter than 16 characters/);
    expect(short.message).not.toContain('hunter2');
  }, 60_000);
  it('relays large blobs intact to a slow reader (backpressure through the relay buffer)', async () => {
    const data = randomBytes(24 * 1024 * 1024);
    const img = await pushImage(client, reg.host, 'dev/big', 'v1', { layers: [{ data, mediaType: 'application/vnd.oci.image.layer.v1.tar' }], config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } } });
    const digest = img.layers[0]!.digest;
    // three at once, each holding off reading first so the gate's writes back up and its reads pause
    const pull = () => new Promise<string>((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port: gate.address().port, path: `/v2/dev/big/blobs/${digest}`, timeout: 30_000 }, (res) => {
        const h = createHash('sha256');
        let n = 0;
        res.pause();
        setTimeout(() => res.resume(), 300);
        res.on('data', (c: Buffer) => { h.update(c); n++; if (n % 64 === 0) { res.pause(); setTimeout(() => res.resume(), 5); } });
        res.on('end', () => resolve(res.statusCode === 200 ? 'sha256:' + h.digest('hex') : `status ${res.statusCode}`));
        res.on('error', reject);
      }).on('error', reject).on('timeout', () => reject(new Error('blob relay timed out')));
    });
    expect(await Promise.all([pull(), pull(), pull()])).toEqual([digest, digest, digest]);
  }, 60_000);
});
