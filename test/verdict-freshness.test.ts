// Verdicts that never go stale: every event that changes an image's stored verdict — a policy change,
// a vulnerability database update, an exception that expires, an OpenVEX import, a release — also
// changes what the registry says (the signed verdict attestation in both layouts, the vulnerability
// statement when the findings changed, the status tag), while the gate answers from the new verdict.
// And `policy.actions: false` changes nothing in the registry on any of these paths.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descriptorsOf, digestTag } from '../src/attest/oci-artifacts.ts';
import { readVerdictAttestations, type VerdictPredicate } from '../src/signing/read-verdict.ts';
import { COSIGN_VULN_PREDICATE_TYPE } from '../src/report/cosign-vuln.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { startService, type RunningService } from '../src/server/service.ts';
import { trustedKey, type TrustedKey } from '../src/signing/verify-bundle.ts';
import { VulnStore } from '../src/vulndb/store.ts';
import { pushDebianImage, pushImage } from './helpers/push.ts';
import { freePort, startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';
import { waitFor } from './helpers/util.ts';
import { freshPgDatabase, writeSigningKey } from './helpers/postgres.ts';
import { PYPI_DIR } from './vulndb-helpers.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SECRET = 'freshness-secret-0123456789';
const client = new RegistryClient(testConfig());

interface Svc { svc: RunningService; base: string; reg: TestRegistry; dir: string; key: TrustedKey }

async function start(name: string, extra: Record<string, unknown> = {}, dialect: 'sqlite' | 'postgres' = 'sqlite'): Promise<Svc> {
  const dir = mkdtempSync(join(tmpdir(), `customs-fresh-${name}-`));
  const port = await freePort();
  const reg = await startRegistry({ notifications: { url: `http://127.0.0.1:${port}/webhooks/distribution`, headers: { Authorization: [`Bearer ${SECRET}`] } } });
  const svc = await startService(testConfig({
    dataDir: dir, server: { host: '127.0.0.1', port },
    database: { url: dialect === 'postgres' ? await freshPgDatabase() : `file:${join(dir, 'customs.db')}` },
    ...(dialect === 'postgres' ? { signing: { keyFile: writeSigningKey(dir) } } : {}),
    webhooks: { sources: { distribution: { secret: SECRET } } },
    workers: { concurrency: 2, pollMs: 50, leaseMs: 5000, backoffMs: 50, maxBackoffMs: 200, statusTags: true },
    attestations: { enabled: true, pollMs: 50, retryMs: 50, maxRetryMs: 500 },
    gate: { enabled: true, port: 0, upstream: `http://${reg.host}` },
    policy: { reevaluateIntervalMs: 1000 },
    ...extra,
  }));
  const base = `http://127.0.0.1:${svc.port}`;
  const key = trustedKey(Buffer.from(await (await fetch(`${base}/api/v1/keys`)).text()), 'customs.pub');
  return { svc, base, reg, dir, key };
}

async function stop(s: Svc | undefined) {
  if (!s) return;
  await s.reg.stop();
  await s.svc.stop();
  rmSync(s.dir, { recursive: true, force: true });
}

/** the newest signed verdict in each layout (referrer bundle, .att envelope), once both say what `ok` wants */
async function publishedVerdict(s: Svc, repository: string, digest: string, ok: (p: VerdictPredicate) => boolean, what: string) {
  return waitFor(`published verdict: ${what}`, async () => {
    const r = await readVerdictAttestations(client, { registry: s.reg.host, repository, digest }, [s.key], 1 << 20).catch(() => undefined);
    if (!r || r.rejected.length) return undefined;
    const newest = (source: string) => r.verified.filter((v) => v.source === source).sort((a, b) => Date.parse(b.predicate.evaluatedAt) - Date.parse(a.predicate.evaluatedAt))[0]?.predicate;
    const ref = newest('referrer');
    const att = newest('att');
    return ref && att && ok(ref) && ok(att) ? { ref, att } : undefined;
  }, 20_000);
}

/** the status tag's summary (sha256-<hex>.scan) */
async function statusSummary(s: Svc, repository: string, digest: string): Promise<any> {
  const m = await client.getManifest(s.reg.host, repository, `${digest.replace(':', '-')}.scan`, 1 << 20).catch(() => undefined);
  if (!m) return undefined;
  const layer = descriptorsOf(m.bytes, 'layers', 'status')[0]!;
  return JSON.parse((await client.fetchBlob(s.reg.host, repository, layer, 1 << 20)).toString());
}

/** the vulnerability statement's predicate from the .att manifest */
async function vulnPredicate(s: Svc, repository: string, digest: string): Promise<any> {
  const m = await client.getManifest(s.reg.host, repository, digestTag(digest, '.att'), 1 << 20);
  const layer = descriptorsOf(m.bytes, 'layers', '.att').find((l) => l.annotations?.predicateType === COSIGN_VULN_PREDICATE_TYPE)!;
  const env = JSON.parse((await client.fetchBlob(s.reg.host, repository, layer, 1 << 24)).toString());
  return JSON.parse(Buffer.from(env.payload, 'base64').toString()).predicate;
}

function gateStatus(s: Svc, repository: string, digest: string): Promise<number> {
  return fetch(`http://127.0.0.1:${s.svc.gatePort}/v2/${repository}/manifests/${digest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } }).then((r) => { void r.body?.cancel(); return r.status; });
}

function putPolicy(s: Svc, name: string, text: string) {
  return fetch(`${s.base}/api/v1/policies/${name}`, { method: 'PUT', body: text }).then((r) => r.status);
}

function verifyCli(s: Svc, ref: string): Promise<{ code: number; stdout: string }> {
  return new Promise((res) => {
    const pubFile = join(s.dir, 'customs.pub');
    execFile('sh', ['-c', `curl -s ${s.base}/api/v1/keys > ${pubFile} && ${join(ROOT, 'bin/customs')} verify ${ref} --key ${pubFile}`], { env: { ...process.env, CUSTOMS_DATA: join(s.dir, 'verifier'), CUSTOMS_LOG_LEVEL: 'warn' } },
      (err, stdout) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout }));
  });
}

const DENY = (pkg: string, extra = '') => `apiVersion: customs.dev/v1
kind: Policy
metadata: { name: fresh }
spec:
  scope: { repositories: ["fresh/**"] }
  rules:
    - { type: deny-packages, packages: ["${pkg}"] }
  actions:
    fail: [{ type: gate }${extra}]
`;

// on both databases: every path that changes a verdict goes through the stores
describe.each(['sqlite', 'postgres'] as const)('published verdicts follow the stored verdict (%s)', (dialect) => {
  let s: Svc;
  beforeAll(async () => { s = await start('main', {}, dialect); }, 60_000);
  afterAll(async () => { await stop(s); });

  it('a policy change and a release re-publish the verdict (both layouts, status tag); verify and the gate agree', async () => {
    expect(await putPolicy(s, 'fresh', DENY('nc'))).toBe(201);
    const img = await pushDebianImage(client, s.reg.host, 'fresh/app', 'v1', [['libc6', '2.36-9'], ['telnetd', '0.17-44']]);
    const digest = img.manifestDigest;
    await publishedVerdict(s, 'fresh/app', digest, (p) => p.verdict === 'pass' && p.policy.version === 1, 'pass');
    expect(await waitFor('the status tag', () => statusSummary(s, 'fresh/app', digest))).toMatchObject({ verdict: 'pass', policy: 'fresh@1', quarantine: 'none' });
    expect(await gateStatus(s, 'fresh/app', digest)).toBe(200);

    // the policy now denies what the image holds: nothing is pushed, the stored verdict flips, and so does the published one
    expect(await putPolicy(s, 'fresh', DENY('telnetd'))).toBe(200);
    const failed = await publishedVerdict(s, 'fresh/app', digest, (p) => p.verdict === 'fail', 'fail');
    expect(failed.att).toMatchObject({ verdict: 'fail', policy: { name: 'fresh', version: 2 }, quarantine: { state: 'quarantined' } });
    expect(failed.ref.platforms[0]!.reasons[0]).toMatchObject({ rule: 'deny-packages', outcome: 'fail' });
    expect(await gateStatus(s, 'fresh/app', digest)).toBe(403);
    await waitFor('the status tag to say fail', async () => (await statusSummary(s, 'fresh/app', digest))?.verdict === 'fail' ? true : undefined);
    const refused = await verifyCli(s, `${s.reg.host}/fresh/app@${digest}`);
    expect(refused.code, refused.stdout).toBe(1);
    expect(refused.stdout).toMatch(/NOT ACCEPTED: the verdict is fail/);

    // the API shows the reasons and that nothing is left to publish
    const api = await (await fetch(`${s.base}/api/v1/images/${digest}/verdict`)).json() as any;
    expect(api.items[0]).toMatchObject({ verdict: 'fail', quarantine: 'quarantined', publication: { state: 'none' } });
    expect(api.items[0].platforms[0].reasons[0]).toMatchObject({ rule: 'deny-packages', outcome: 'fail', subjects: ['telnetd'] });

    // a release: the gate opens, and the signed verdict says released (verify accepts it, saying so)
    const rel = await fetch(`${s.base}/api/v1/quarantine/${digest}/release`, { method: 'POST', body: JSON.stringify({ reason: 'accepted risk, SEC-7' }) });
    expect(rel.status).toBe(200);
    const released = await publishedVerdict(s, 'fresh/app', digest, (p) => p.quarantine?.state === 'released', 'released');
    expect(released.ref).toMatchObject({ verdict: 'fail', quarantine: { state: 'released', releasedAt: expect.stringMatching(/Z$/) } });
    expect(JSON.stringify(released.ref)).not.toContain('SEC-7'); // the operator's reason stays inside Customs
    expect(await gateStatus(s, 'fresh/app', digest)).toBe(200);
    await waitFor('the status tag to say released', async () => (await statusSummary(s, 'fresh/app', digest))?.quarantine === 'released' ? true : undefined);
    const accepted = await verifyCli(s, `${s.reg.host}/fresh/app@${digest}`);
    expect(accepted.stdout).toMatch(/\n  released from quarantine at \S+Z by an operator\n/);
    expect(accepted.stdout).toMatch(/\naccepted\n$/);
    expect(accepted.code).toBe(0);
  }, 60_000);

  it('a database update, an exception that expires and an OpenVEX import each re-publish; new findings re-publish the vulnerability statement', async () => {
    const vexPolicy = (exception = '') => `apiVersion: customs.dev/v1
kind: Policy
metadata: { name: vexed }
spec:
  scope: { repositories: ["vex/**"] }
  rules:
    - { type: deny-vulnerabilities, ids: ["CVE-2021-21330"] }
${exception}  actions:
    fail: [{ type: gate }]
`;
    expect(await putPolicy(s, 'vexed', vexPolicy())).toBe(201);
    const meta = 'Metadata-Version: 2.1\nName: aiohttp\nVersion: 3.7.3\n';
    const layer = gzip(await makeTar([
      { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
      { path: 'usr/local/lib/python3.11/site-packages/aiohttp-3.7.3.dist-info/METADATA', content: meta },
    ]));
    const img = await pushImage(client, s.reg.host, 'vex/svc', '1', { layers: [{ data: layer }], config: { architecture: 'amd64', os: 'linux', config: { User: 'app' }, rootfs: { type: 'layers', diff_ids: [] } } });
    const digest = img.manifestDigest;
    await publishedVerdict(s, 'vex/svc', digest, (p) => p.verdict === 'pass' && p.dbVersion === null, 'pass, no database');
    expect(JSON.stringify(await vulnPredicate(s, 'vex/svc', digest))).not.toContain('CVE-2021-21330');

    // the database update: re-matched, the finding appears in the signed vulnerability statement too
    await new VulnStore(s.svc.database).importFrom([join(PYPI_DIR, 'aiohttp')]);
    const failed = await publishedVerdict(s, 'vex/svc', digest, (p) => p.verdict === 'fail', 'fail after the database update');
    expect(failed.att.dbVersion).not.toBeNull();
    await waitFor('the vulnerability statement to carry the finding', async () => JSON.stringify(await vulnPredicate(s, 'vex/svc', digest)).includes('CVE-2021-21330') ? true : undefined);
    const scan = await waitFor('the status tag counts', async () => { const t = await statusSummary(s, 'vex/svc', digest); return t?.findings > 0 ? t : undefined; });
    expect(scan).toMatchObject({ verdict: 'fail' });

    // an exception that runs out a few seconds from now: pass now, fail again after it expires, with no push or policy change
    const expires = new Date(Date.now() + 4000).toISOString();
    expect(await putPolicy(s, 'vexed', vexPolicy(`  exceptions:\n    - { id: CVE-2021-21330, justification: "patched in our fork", owner: sec, expires: "${expires}" }\n`))).toBe(200);
    await publishedVerdict(s, 'vex/svc', digest, (p) => p.verdict === 'pass', 'pass under the exception');
    expect(await gateStatus(s, 'vex/svc', digest)).toBe(200);
    await publishedVerdict(s, 'vex/svc', digest, (p) => p.verdict === 'fail' && Date.parse(p.evaluatedAt) >= Math.floor(Date.parse(expires) / 1000) * 1000, 'fail after the expiry'); // evaluatedAt is whole seconds
    expect(await gateStatus(s, 'vex/svc', digest)).toBe(403);

    // an OpenVEX statement: not affected — the verdict passes again, published
    const vex = JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', '@id': 'https://acme.example/vex/fresh', author: 'Acme', statements: [{ vulnerability: { name: 'CVE-2021-21330' }, products: [{ '@id': 'pkg:oci/svc', subcomponents: [{ '@id': 'pkg:pypi/aiohttp@3.7.3' }] }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' }] });
    expect((await fetch(`${s.base}/api/v1/vex`, { method: 'POST', body: vex })).status).toBe(201);
    await publishedVerdict(s, 'vex/svc', digest, (p) => p.verdict === 'pass' && p.quarantine?.state !== 'quarantined', 'pass under the OpenVEX statement');
    // a draft is judged from the same inputs as a real verdict: the OpenVEX statement counts there too
    const draft = await (await fetch(`${s.base}/api/v1/policies/test`, { method: 'POST', body: vexPolicy().replace('name: vexed', 'name: vexed2') })).json() as any;
    expect(draft.images.find((i: any) => i.image === `${s.reg.host}/vex/svc@${digest}`)).toMatchObject({ before: 'pass', after: 'pass' });
  }, 90_000);
});

describe('policy.actions: false records verdicts and changes nothing in the registry, on every path', () => {
  let s: Svc;
  beforeAll(async () => { s = await start('noactions', { policy: { reevaluateIntervalMs: 1000, actions: false } }); }, 60_000);
  afterAll(async () => { await stop(s); });

  it('neither a failing scan nor a re-evaluation that turns a verdict to fail moves the image; the verdict is still published', async () => {
    const move = ', { type: move, repository: quarantine/held }, { type: tag, suffix: bad }';
    expect(await putPolicy(s, 'fresh', DENY('telnetd', move))).toBe(201);
    const bad = await pushDebianImage(client, s.reg.host, 'fresh/bad', 'v1', [['telnetd', '0.17-44']]);
    const ok = await pushDebianImage(client, s.reg.host, 'fresh/ok', 'v1', [['netcat', '1.10-47']]);
    await publishedVerdict(s, 'fresh/bad', bad.manifestDigest, (p) => p.verdict === 'fail', 'fail after the scan');
    await publishedVerdict(s, 'fresh/ok', ok.manifestDigest, (p) => p.verdict === 'pass', 'pass after the scan');
    // re-evaluation path: the policy now denies netcat too
    expect(await putPolicy(s, 'fresh', DENY('netcat', move).replace('["netcat"]', '["netcat", "telnetd"]'))).toBe(200);
    await publishedVerdict(s, 'fresh/ok', ok.manifestDigest, (p) => p.verdict === 'fail', 'fail after re-evaluation');
    for (const [repo, img] of [['fresh/bad', bad], ['fresh/ok', ok]] as const) {
      expect(await client.headManifest(s.reg.host, repo, 'v1')).toBe(img.manifestDigest); // still there, still tagged
      expect((await client.listTags(s.reg.host, repo)).filter((t) => !t.startsWith('sha256-'))).toEqual(['v1']); // no -bad tag
      expect(await gateStatus(s, repo, img.manifestDigest)).toBe(403); // the gate is Customs' own answer, not a registry change
    }
    expect(await client.listTags(s.reg.host, 'quarantine/held').catch(() => [])).toEqual([]);
  }, 60_000);
});

afterAll(async () => { await client.close(); });
