// Signatures made here with openssl in cosign's formats (legacy `.sig` simple signing layers, and
// cosign-3-style sigstore bundle referrers with the tag-schema fallback index), pushed to a real
// docker-registry, then found and verified by Customs; every kind of bad signature is refused with
// the reason, and the policy's signature rule sees the result.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toDSSEBundle, bundleToJSON } from '@sigstore/bundle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pae } from '../src/attest/dsse.ts';
import { descriptorsOf } from '../src/attest/oci-artifacts.ts';
import { publishReferrers } from '../src/attest/publish-referrers.ts';
import { statement } from '../src/attest/statements.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import { parsePolicy } from '../src/policy/parse.ts';
import { PolicyStore } from '../src/policy/store.ts';
import { judge, judgeContext } from '../src/judge/judge.ts';
import { createApp } from '../src/server/app.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { scanImage } from '../src/scan/scan-image.ts';
import { verifyImageSignatures, COSIGN_SIGN_PREDICATE_TYPE } from '../src/signing/verify-image.ts';
import { digestOf } from '../src/util/digest.ts';
import { pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';

let reg: TestRegistry;
let client: RegistryClient;
let work: string;
const OCI = 'application/vnd.oci.image.manifest.v1+json';
type Key = { name: string; key: string; pub: string; raw?: boolean };
const keys: Record<string, Key> = {};

function genKey(name: string, args: string[], raw = false): Key {
  const key = join(work, `${name}.pem`);
  execFileSync('openssl', [...args, '-out', key], { stdio: 'pipe' });
  return { name, key, pub: execFileSync('openssl', ['pkey', '-in', key, '-pubout'], { encoding: 'utf8' }), raw };
}
/** openssl's signature over data: SHA-256 digest signatures, Ed25519 over the raw message (as cosign does). */
function opensslSign(k: Key, data: Buffer): Buffer {
  const dir = mkdtempSync(join(work, 's-'));
  writeFileSync(join(dir, 'data'), data);
  if (k.raw) execFileSync('openssl', ['pkeyutl', '-sign', '-inkey', k.key, '-rawin', '-in', join(dir, 'data'), '-out', join(dir, 'sig')]);
  else execFileSync('openssl', ['dgst', '-sha256', '-sign', k.key, '-out', join(dir, 'sig'), join(dir, 'data')]);
  return readFileSync(join(dir, 'sig'));
}
function simpleSigning(repo: string, digest: string): Buffer {
  return Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': `${reg.host}/${repo}` }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
}
async function image(repo: string, content: string): Promise<string> {
  const layer = gzip(await makeTar([{ path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' }, { path: 'app.txt', content }]));
  return (await pushImage(client, reg.host, repo, 'v1', { layers: [{ data: layer }], config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } } })).manifestDigest;
}
/** cosign's legacy layout: one simple signing layer per signature under tag sha256-<hex>.sig */
async function pushSig(repo: string, digest: string, layers: { payload: Buffer; sig: Buffer }[]): Promise<void> {
  const descs = [];
  for (const l of layers) {
    const b = await client.pushBlob(reg.host, repo, l.payload);
    descs.push({ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', ...b, annotations: { 'dev.cosignproject.cosign/signature': l.sig.toString('base64') } });
  }
  const cfg = await client.pushBlob(reg.host, repo, Buffer.from(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: descs.map((d) => d.digest) } })));
  await client.putManifest(reg.host, repo, `${digest.replace(':', '-')}.sig`, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg }, layers: descs })), OCI);
}
const auth = (...names: string[]) => names.map((n) => ({ name: n, key: keys[n]!.pub }));

beforeAll(async () => {
  reg = await startRegistry();
  work = mkdtempSync(join(tmpdir(), 'customs-sigs-'));
  client = new RegistryClient(testConfig({ dataDir: work }));
  keys.p256 = genKey('p256', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout']);
  keys.p384 = genKey('p384', ['ecparam', '-name', 'secp384r1', '-genkey', '-noout']);
  keys.rsa = genKey('rsa', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
  keys.ed25519 = genKey('ed25519', ['genpkey', '-algorithm', 'ed25519'], true);
  keys.stranger = genKey('stranger', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout']);
});
afterAll(async () => {
  await client?.close();
  await reg?.stop();
});

describe('legacy cosign .sig signatures', () => {
  it('verifies ECDSA P-256, P-384, RSA and Ed25519 keyed signatures made by openssl', async () => {
    const digest = await image('sig/ok', 'ok');
    const payload = simpleSigning('sig/ok', digest);
    await pushSig('sig/ok', digest, ['p256', 'p384', 'rsa', 'ed25519'].map((n) => ({ payload, sig: opensslSign(keys[n]!, payload) })));
    const res = await verifyImageSignatures(client, { registry: reg.host, repository: 'sig/ok', digest }, auth('p256', 'p384', 'rsa', 'ed25519'), 1 << 22);
    expect(res.map((r) => [r.format, r.verified, r.authority])).toEqual([
      ['cosign-legacy', true, 'p256'], ['cosign-legacy', true, 'p384'], ['cosign-legacy', true, 'rsa'], ['cosign-legacy', true, 'ed25519'],
    ]);
  });

  it('refuses an untrusted key, a tampered payload and a signature for another digest, each with the reason', async () => {
    const digest = await image('sig/bad', 'bad');
    const other = await image('sig/bad-other', 'other');
    const payload = simpleSigning('sig/bad', digest);
    const tampered = Buffer.from(payload.toString().replace('sig/bad', 'sig/evil'));
    const forOther = simpleSigning('sig/bad', other);
    await pushSig('sig/bad', digest, [
      { payload, sig: opensslSign(keys.stranger!, payload) },
      { payload: tampered, sig: opensslSign(keys.p256!, payload) },
      { payload: forOther, sig: opensslSign(keys.p256!, forOther) },
    ]);
    const res = await verifyImageSignatures(client, { registry: reg.host, repository: 'sig/bad', digest }, auth('p256'), 1 << 22);
    expect(res.map((r) => r.verified)).toEqual([false, false, false]);
    expect(res[0]!.reason).toMatch(/not valid for any trusted key/);
    expect(res[1]!.reason).toMatch(/not valid for any trusted key/);
    expect(res[2]!.reason).toBe(`signed payload names ${other}, not ${digest}`);
  });
});

describe('sigstore bundle referrers and Notation', () => {
  it('verifies a cosign-3-style DSSE bundle found through the fallback tag index; refuses other predicate types and keys; reports Notation as present', async () => {
    const digest = await image('sig/bundle', 'bundle');
    const img = { registry: reg.host, repository: 'sig/bundle', digest };
    const bundleFor = (predicateType: string, k: Key) => {
      const payload = Buffer.from(JSON.stringify(statement(img, predicateType, {})));
      const signature = opensslSign(k, pae('application/vnd.in-toto+json', payload));
      return Buffer.from(JSON.stringify(bundleToJSON(toDSSEBundle({ artifact: payload, artifactType: 'application/vnd.in-toto+json', signature, keyHint: '' }))));
    };
    await publishReferrers(client, img, [
      { predicateType: COSIGN_SIGN_PREDICATE_TYPE, bundle: bundleFor(COSIGN_SIGN_PREDICATE_TYPE, keys.p256!) },
      { predicateType: 'https://example.com/other', bundle: bundleFor('https://example.com/other', keys.p256!) },
    ], new Date().toISOString(), 1 << 22);
    // a Notation signature referrer added to the same fallback index
    const empty = await client.pushBlob(reg.host, 'sig/bundle', Buffer.from('{}'));
    const jws = await client.pushBlob(reg.host, 'sig/bundle', Buffer.from('{"payload":"e30","signatures":[]}'));
    const subject = await client.getManifest(reg.host, 'sig/bundle', digest, 1 << 20);
    const notation = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI, artifactType: 'application/vnd.cncf.notary.signature', config: { mediaType: 'application/vnd.oci.empty.v1+json', ...empty }, layers: [{ mediaType: 'application/jose+json', ...jws }], subject: { mediaType: OCI, digest, size: subject.bytes.length } }));
    await client.putManifest(reg.host, 'sig/bundle', digestOf(notation), notation, OCI);
    const tag = digest.replace(':', '-');
    const index = JSON.parse((await client.getManifest(reg.host, 'sig/bundle', tag, 1 << 20)).bytes.toString());
    index.manifests.push({ mediaType: OCI, digest: digestOf(notation), size: notation.length, artifactType: 'application/vnd.cncf.notary.signature' });
    await client.putManifest(reg.host, 'sig/bundle', tag, Buffer.from(JSON.stringify(index)), 'application/vnd.oci.image.index.v1+json');

    const res = await verifyImageSignatures(client, img, auth('p256'), 1 << 22);
    expect(res.map((r) => [r.format, r.verified])).toEqual([['sigstore-bundle', true], ['sigstore-bundle', false], ['notation', false]]);
    expect(res[0]!.authority).toBe('p256');
    expect(res[0]!.signedAt).toMatch(/^\d{4}-/);
    expect(res[1]!.reason).toBe(`predicate type https://example.com/other is not ${COSIGN_SIGN_PREDICATE_TYPE}`);
    expect(res[2]!.reason).toMatch(/Notation signature present; not verified/);
    const strangers = await verifyImageSignatures(client, img, auth('stranger'), 1 << 22);
    expect(strangers.map((r) => r.verified)).toEqual([false, false, false]);
  });
});

describe('policy signature rule', () => {
  let database: Database;
  it('passes when the required authority signed, fails naming the missing one otherwise', async () => {
    const dataDir = mkdtempSync(join(work, 'db-'));
    const cfg = testConfig({ dataDir, database: { url: `file:${join(dataDir, 'customs.db')}` } });
    database = await openDatabase(cfg);
    const indent = (pem: string) => pem.trim().split('\n').map((l) => `            ${l}`).join('\n');
    await new PolicyStore(database).apply(parsePolicy(`apiVersion: customs.dev/v1
kind: Policy
metadata: { name: signed }
spec:
  mode: audit
  scope: { registries: ["**"], repositories: ["sig/**"] }
  rules:
    - type: signature
      outcome: fail
      authorities:
        - name: release-key
          key: |
${indent(keys.p256!.pub)}
`), { actor: 'test' });
    const run = async (repo: string) => {
      const report = await scanImage(`${reg.host}/${repo}:v1`, { cfg, database });
      return judge(judgeContext({ ...cfg, policy: { ...cfg.policy, actions: false } }, database, client), { registry: reg.host, repository: repo, digest: report.rootDigest, tag: 'v1' }, report, null, { findingsChanged: true });
    };
    const good = await run('sig/ok');
    expect(good.verdict.verdict).toBe('pass');
    expect(good.signatures?.filter((s) => s.verified).map((s) => s.authority)).toEqual(['release-key']);
    const bad = await run('sig/bad');
    expect(bad.verdict.verdict).toBe('fail');
    expect(bad.verdict.platforms[0]!.reasons[0]!.message).toBe('signed by 0 of the 1 required authorities; missing: release-key');
    // recorded with the image and shown in the API
    const app = createApp({ database, cfg });
    const okRes = await app.request(`/api/v1/images/${good.verdict.platforms[0]!.manifestDigest}/signatures`);
    expect(okRes.status).toBe(200);
    const okBody = (await okRes.json()) as any;
    expect(okBody.items.map((r: any) => [r.repository, r.format, r.verified, r.authority ?? null])).toEqual([
      ['sig/ok', 'cosign-legacy', true, 'release-key'], ['sig/ok', 'cosign-legacy', false, null], ['sig/ok', 'cosign-legacy', false, null], ['sig/ok', 'cosign-legacy', false, null],
    ]);
    expect(okBody.items[0].checkedAt).toMatch(/^\d{4}-/);
    const badBody = (await (await app.request(`/api/v1/images/${bad.verdict.platforms[0]!.manifestDigest}/signatures`)).json()) as any;
    expect(badBody.items.map((r: any) => r.reason)).toEqual([
      expect.stringMatching(/not valid for any trusted key/), expect.stringMatching(/not valid for any trusted key/), expect.stringMatching(/^signed payload names sha256:/),
    ]);
    expect((await app.request('/api/v1/images/nope/signatures')).status).toBe(400);
    database.close();
  });
});

describe('hostile signature data', () => {
  it('skips malformed .sig layers and referrers that point elsewhere, without failing', async () => {
    const digest = await image('sig/hostile', 'hostile');
    const other = await image('sig/hostile', 'other'); // same repository, tag v1 moves on
    const junk = await client.pushBlob(reg.host, 'sig/hostile', Buffer.from('not json at all'));
    const cfg = await client.pushBlob(reg.host, 'sig/hostile', Buffer.from('{}'));
    await client.putManifest(reg.host, 'sig/hostile', `${digest.replace(':', '-')}.sig`, Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
      layers: [
        { mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', ...junk }, // no signature annotation: skipped
        { mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', ...junk, annotations: { 'dev.cosignproject.cosign/signature': '%%%not-base64' } },
      ],
    })), OCI);
    // a fallback index whose bundle entry is a referrer of another image
    const img = { registry: reg.host, repository: 'sig/hostile', digest: other };
    const res0 = await publishReferrers(client, img, [{ predicateType: COSIGN_SIGN_PREDICATE_TYPE, bundle: Buffer.from('{"mediaType":"nonsense"}') }], new Date().toISOString(), 1 << 22);
    const desc = (await client.getManifest(reg.host, 'sig/hostile', res0.manifests[0]!, 1 << 20));
    await client.putManifest(reg.host, 'sig/hostile', digest.replace(':', '-'), Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [
      { mediaType: OCI, digest: res0.manifests[0], size: desc.bytes.length, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' },
    ] })), 'application/vnd.oci.image.index.v1+json');
    const res = await verifyImageSignatures(client, { registry: reg.host, repository: 'sig/hostile', digest }, auth('p256'), 1 << 22);
    expect(res).toHaveLength(1);
    expect(res[0]).toMatchObject({ format: 'cosign-legacy', verified: false });
    // and the malformed bundle itself, checked for the image it names, is refused with a reason
    const own = await verifyImageSignatures(client, img, auth('p256'), 1 << 22);
    expect(own).toHaveLength(1);
    expect(own[0]!.reason).toMatch(/not a valid sigstore bundle/);
  });
});

it('keeps only well-formed descriptors from a manifest or index written by anyone', () => {
  const doc = Buffer.from(JSON.stringify({ layers: ['garbage', null, 42, { mediaType: 'x', digest: 'sha256:xyz', size: 1 }, { mediaType: 'x', digest: `sha256:${'a'.repeat(64)}`, size: -1 },
    { mediaType: 'x', digest: `sha256:${'b'.repeat(64)}`, size: 3, annotations: { a: 'b', n: 1 } }] }));
  expect(descriptorsOf(doc, 'layers', 'test')).toEqual([{ mediaType: 'x', digest: `sha256:${'b'.repeat(64)}`, size: 3, annotations: { a: 'b' } }]);
  expect(() => descriptorsOf(Buffer.from('{"layers":{}}'), 'layers', 'test')).toThrow(/no layers array/);
  expect(() => descriptorsOf(Buffer.from('['.repeat(100)), 'layers', 'test')).toThrow();
});
