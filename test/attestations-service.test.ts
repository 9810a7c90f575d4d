// The service writes signed attestations after each scan (attestations.enabled), Debian's
// docker-registry notifies Customs of those pushes (the .att tag, the referrer manifests, the
// fallback index) and none of them starts a scan; the public key is served and printed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { parsePolicy } from '../src/policy/parse.ts';
import { PolicyStore } from '../src/policy/store.ts';
import { verdictFor } from '../src/quarantine/verdict-store.ts';
import { readVerdictAttestations } from '../src/signing/read-verdict.ts';
import { trustedKey } from '../src/signing/verify-bundle.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { startService, type RunningService } from '../src/server/service.ts';
import { pushImage } from './helpers/push.ts';
import { CUSTOMS_BIN } from './helpers/cli.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';
import { waitFor } from './helpers/util.ts';
import { cosignBundleAnnotation, enter, hashedrekordBody, makeTestLog } from './helpers/test-log.ts';

const SECRET = 'distribution-secret-attest-0123456789';
let dir: string;
let reg: TestRegistry;
let svc: RunningService;
let base: string;
const client = new RegistryClient(testConfig());

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'customs-attest-svc-'));
  svc = await startService(testConfig({
    dataDir: dir, database: { url: `file:${join(dir, 'customs.db')}` }, server: { host: '127.0.0.1', port: 0 },
    webhooks: { sources: { distribution: { secret: SECRET } } },
    workers: { concurrency: 2, pollMs: 50, leaseMs: 5000, backoffMs: 50, maxBackoffMs: 200 },
    attestations: { enabled: true },
    // verdicts only: signatures are still checked against the trusted root (see the last test)
    policy: { actions: false },
  }));
  base = `http://127.0.0.1:${svc.port}`;
  reg = await startRegistry({ notifications: { url: `${base}/webhooks/distribution`, headers: { Authorization: [`Bearer ${SECRET}`] } } });
}, 60_000);

afterAll(async () => {
  await reg?.stop();
  await svc?.stop();
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

it('a scanned push gets .att and referrer attestations; their own notifications start no scan', async () => {
  const img = await pushImage(client, reg.host, 'lab/signed', 'v1', {
    layers: [{ data: gzip(await makeTar([{ path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' }])) }],
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
  });
  const hex = img.manifestDigest.slice(7);
  const tags = await waitFor('the attestations', async () => {
    const t = await client.listTags(reg.host, 'lab/signed');
    return t.includes(`sha256-${hex}.att`) && t.includes(`sha256-${hex}`) ? t : undefined;
  });
  expect(tags.sort()).toEqual([`sha256-${hex}`, `sha256-${hex}.att`, 'v1']);
  // distribution lists a tag's directory a moment before its link is written: wait for the index itself
  const index = await waitFor('the fallback index', async () => {
    const m = await client.getManifest(reg.host, 'lab/signed', `sha256-${hex}`, 1 << 20).catch(() => undefined);
    return m ? JSON.parse(m.bytes.toString()) : undefined;
  });
  expect(index.manifests).toHaveLength(3);
  await sleep(800); // let the registry deliver the write-backs' notifications
  const jobs = (await (await fetch(`${base}/api/v1/jobs`)).json()) as any;
  expect(jobs.items.map((j: any) => j.digest)).toEqual([img.manifestDigest]);
}, 30_000);

it('serves the public key at GET /api/v1/keys, and `customs key show` prints the same key', async () => {
  const res = await fetch(`${base}/api/v1/keys`);
  expect(res.status).toBe(200);
  const pem = await res.text();
  expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  expect(readFileSync(join(dir, 'signing-key.pem'), 'utf8')).toMatch(/BEGIN PRIVATE KEY/);
  const cfgFile = join(dir, 'cli.yaml');
  writeFileSync(cfgFile, `dataDir: ${dir}\n`);
  const out = await new Promise<{ code: number; stdout: string; stderr: string }>((r) => execFile(CUSTOMS_BIN, ['key', 'show', '--config', cfgFile], (err, stdout, stderr) => r({ code: err ? Number(err.code) : 0, stdout, stderr })));
  expect(out).toMatchObject({ code: 0, stdout: pem });
  const bad = await new Promise<{ code: number; stderr: string }>((r) => execFile(CUSTOMS_BIN, ['key', 'rotate', '--config', cfgFile], (err, _o, stderr) => r({ code: err ? Number(err.code) : 0, stderr })));
  expect(bad.code).toBe(2);
});

it('a signature pushed after the scan (cosign .sig tag) re-evaluates the image: the signature rule turns fail into pass', async () => {
  const key = join(dir, 'release.pem');
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  const pub = execFileSync('openssl', ['pkey', '-in', key, '-pubout'], { encoding: 'utf8' });
  await new PolicyStore(svc.database).apply(parsePolicy(`apiVersion: customs.dev/v1
kind: Policy
metadata: { name: needs-signature }
spec:
  mode: audit
  scope: { registries: ["**"], repositories: ["lab/needs-sig"] }
  rules:
    - type: signature
      outcome: fail
      authorities:
        - name: release
          key: |
${pub.trim().split('\n').map((l) => `            ${l}`).join('\n')}
`), { actor: 'test' });
  const img = await pushImage(client, reg.host, 'lab/needs-sig', 'v1', {
    layers: [{ data: gzip(await makeTar([{ path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\nNAME=sig\n' }])) }],
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
  });
  const digest = img.manifestDigest;
  const first = await waitFor('the unsigned verdict', async () => verdictFor(svc.database, reg.host, 'lab/needs-sig', digest));
  expect(first.verdict).toBe('fail');
  // cosign's legacy signature, made with openssl
  const payload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': `${reg.host}/lab/needs-sig` }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
  writeFileSync(join(dir, 'payload'), payload);
  execFileSync('openssl', ['dgst', '-sha256', '-sign', key, '-out', join(dir, 'payload.sig'), join(dir, 'payload')]);
  const b = await client.pushBlob(reg.host, 'lab/needs-sig', payload);
  const cfgBlob = await client.pushBlob(reg.host, 'lab/needs-sig', Buffer.from('{}'));
  const OCI = 'application/vnd.oci.image.manifest.v1+json';
  // as cosign signs by default: logged, the entry in dev.sigstore.cosign/bundle (here a test log,
  // which the service's trusted root — public good — does not hold)
  const sig = readFileSync(join(dir, 'payload.sig'));
  const log = makeTestLog();
  await client.putManifest(reg.host, 'lab/needs-sig', `${digest.replace(':', '-')}.sig`, Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: OCI, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfgBlob },
    layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', ...b, annotations: {
      'dev.cosignproject.cosign/signature': sig.toString('base64'), 'dev.sigstore.cosign/bundle': cosignBundleAnnotation(log, enter(log, hashedrekordBody(payload, sig, pub))),
    } }],
  })), OCI);
  const after = await waitFor('the re-evaluated verdict', async () => {
    const v = await verdictFor(svc.database, reg.host, 'lab/needs-sig', digest);
    return v?.verdict === 'pass' ? v : undefined;
  });
  expect(after.policyName).toBe('needs-signature');
  // and the signed verdict in the registry says so too (the signature push re-published it)
  const customsKey = trustedKey(Buffer.from(await (await fetch(`${base}/api/v1/keys`)).text()), "customs.pub");
  await waitFor('the re-published verdict', async () => {
    const r = await readVerdictAttestations(client, { registry: reg.host, repository: 'lab/needs-sig', digest }, [customsKey], 1 << 20);
    const newest = r.verified.sort((a, b) => Date.parse(b.predicate.evaluatedAt) - Date.parse(a.predicate.evaluatedAt));
    return newest.filter((v) => v.source === 'referrer')[0]?.predicate.verdict === 'pass' && newest.filter((v) => v.source === 'att')[0]?.predicate.verdict === 'pass' ? true : undefined;
  });
  // `policy test` judges a draft with the signatures recorded at the last evaluation, as a real verdict would
  const draftText = (await new PolicyStore(svc.database).get('needs-signature'))!.policy;
  const draft = await (await fetch(`${base}/api/v1/policies/test`, { method: 'POST', body: JSON.stringify(draftText) })).json() as any;
  expect(draft.images.find((i: any) => i.image === `${reg.host}/lab/needs-sig@${digest}`)).toMatchObject({ before: 'pass', after: 'pass' });
  // judged against the configured trusted root even without policy actions (the log entry is reported)
  const sigs = (await (await fetch(`${base}/api/v1/images/${digest}/signatures`)).json()) as any;
  expect(sigs.items.filter((i: any) => i.format === 'cosign-legacy')).toMatchObject([{ format: 'cosign-legacy', verified: true, authority: 'release', notes: expect.stringMatching(/^transparency log entry 0 \(hashedrekord 0\.0\.1, .*\) not verified: the trusted root does not hold that log$/) }]);
  // the signature push started no scan
  const jobs = (await (await fetch(`${base}/api/v1/jobs`)).json()) as any;
  expect(jobs.items.filter((j: any) => j.digest === digest)).toHaveLength(1);
}, 30_000);
