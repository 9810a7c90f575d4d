// Verifying what others signed, as they really sign: cosign logs keyed signatures to a transparency
// log and may add RFC 3161 timestamps. Real captured bundles (test/fixtures/sigstore/README.md:
// cosign, sigstore-conformance, sigstore-go) and signatures under test control with a test log
// (test/helpers/test-log.ts) show: a signature that verifies with the key is accepted; its log
// entries and timestamps are verified when the trusted root holds their log or authority (a forged
// one then refuses it), and otherwise reported; Rekor v2 entries verify; malformed trusted roots are
// refused at start.
import { execFile } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleToJSON, toDSSEBundle } from '@sigstore/bundle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishReferrers } from '../src/attest/publish-referrers.ts';
import { statement } from '../src/attest/statements.ts';
import { openDatabase } from '../src/db/client.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { recordSignatures, signaturesOf } from '../src/signing/signature-store.ts';
import { trustedKey, verifyKeyedBundle } from '../src/signing/verify-bundle.ts';
import { COSIGN_SIGN_PREDICATE_TYPE, verifyImageSignatures } from '../src/signing/verify-image.ts';
import { publicGoodRoot, trustFromRoot, verifyKeylessBundle } from '../src/signing/verify-keyless.ts';
import { CUSTOMS_BIN } from './helpers/cli.ts';
import { pae } from './helpers/consumers.ts';
import { pushDebianImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { bundleEntry, cosignBundleAnnotation, dsseBody, enter, hashedrekordBody, makeTestLog, trustedRootWith, type TestLog } from './helpers/test-log.ts';

const FIX = fileURLToPath(new URL('./fixtures/sigstore/', import.meta.url));
const fixture = (f: string) => JSON.parse(readFileSync(join(FIX, f), 'utf8'));
const publicGood = trustFromRoot(publicGoodRoot());
const stagingJson = () => JSON.parse(readFileSync(join(FIX, 'staging.trusted_root.json'), 'utf8'));
const staging = trustFromRoot(JSON.stringify(stagingJson()));
const BEACON = { issuer: 'https://token.actions.githubusercontent.com', subject: 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main' };

/** A keyless bundle as if signed with its certificate's key: the real log entry and timestamps kept. */
function asKeyed(bundle: any): { bundle: any; key: ReturnType<typeof trustedKey> } {
  const cert = new X509Certificate(Buffer.from(bundle.verificationMaterial.certificate.rawBytes, 'base64'));
  const { certificate: _, ...vm } = bundle.verificationMaterial;
  return { bundle: { ...bundle, verificationMaterial: { ...vm, publicKey: { hint: '' } } }, key: trustedKey(cert.publicKey.export({ type: 'spki', format: 'pem' }), 'leaf-key') };
}
const other = trustedKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }), 'other');

describe('keyed signatures with real transparency-log entries and timestamps', () => {
  it('a Rekor v1 entry (cosign attest output) is verified when the root holds its log, reported when not; a forged or foreign entry refuses the signature', () => {
    const { bundle, key } = asKeyed(fixture('cosign-oci-attestation.sigstore.json'));
    const good = verifyKeyedBundle(bundle, [other, key], undefined, publicGood);
    expect(good).toMatchObject({ ok: true, key: 'leaf-key', notes: [expect.stringMatching(/^transparency log entry 175508996 \(dsse 0\.0\.1, log wNI9atQGlz\+VWfO6LRygH4QUfY\/8W4RFwiT5i5WRgB0=\) verified against https:\/\/rekor\.sigstore\.dev$/)] });
    // what used to be refused outright ("inclusion promise could not be verified"): no such log in the root, or no root at all
    expect(verifyKeyedBundle(bundle, [key], undefined, staging)).toMatchObject({ ok: true, notes: [expect.stringMatching(/not verified: the trusted root does not hold that log$/)] });
    expect(verifyKeyedBundle(bundle, [key])).toMatchObject({ ok: true, notes: [expect.stringMatching(/not verified: no trusted root configured$/)] });
    // a forged signed entry timestamp, and a genuine entry of another signature, from a log the root holds
    const e = bundle.verificationMaterial.tlogEntries[0];
    const set = Buffer.from(e.inclusionPromise.signedEntryTimestamp, 'base64');
    set[set.length - 3] ^= 1;
    const forged = { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, tlogEntries: [{ ...e, inclusionPromise: { signedEntryTimestamp: set.toString('base64') } }] } };
    expect(verifyKeyedBundle(forged, [key], undefined, publicGood)).toMatchObject({ ok: false, reason: expect.stringMatching(/^signature verified with leaf-key, but transparency log entry 175508996 .* does not verify against https:\/\/rekor\.sigstore\.dev: inclusion promise could not be verified/) });
    const foreignEntry = fixture('dsse-hashedrekord-over-pae.sigstore.json').verificationMaterial.tlogEntries[0];
    const foreign = { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, tlogEntries: [foreignEntry] } };
    expect(verifyKeyedBundle(foreign, [key], undefined, publicGood)).toMatchObject({ ok: false, reason: expect.stringMatching(/does not verify against https:\/\/rekor\.sigstore\.dev: (signature|digest) mismatch/) });
    expect(verifyKeyedBundle(bundle, [other], undefined, publicGood)).toMatchObject({ ok: false, reason: expect.stringMatching(/^signature not valid for any trusted key/) });
  });

  it('a DSSE bundle logged as hashedrekord over the PAE (Rekor v2\'s encoding; sigstore-js < 4.1 said "digest mismatch") verifies, and its TSA timestamp', () => {
    const { bundle, key } = asKeyed(fixture('dsse-hashedrekord-over-pae.sigstore.json'));
    expect(verifyKeyedBundle(bundle, [key], undefined, publicGood)).toMatchObject({ ok: true, notes: [
      expect.stringMatching(/^transparency log entry 1525557801 \(hashedrekord 0\.0\.1, .*\) verified against https:\/\/rekor\.sigstore\.dev$/),
      'RFC 3161 timestamp of 2026-05-13T19:47:33.000Z verified',
    ] });
  });

  it('a Rekor v2 entry (checkpoint and inclusion proof, no integrated time) and its timestamp verify against the staging root; the public-good root holds neither', () => {
    const { bundle, key } = asKeyed(fixture('rekor2-dsse.sigstore.json'));
    expect(verifyKeyedBundle(bundle, [key], undefined, staging)).toMatchObject({ ok: true, notes: [
      expect.stringMatching(/^transparency log entry 7131 \(dsse 0\.0\.2, log 8w1amZ2S5mJIQkQmPxdMuOrL\/oJkvFg9MnQXmeOCXck=\) verified against https:\/\/log2025-alpha1\.rekor\.sigstage\.dev$/),
      'RFC 3161 timestamp of 2025-07-25T19:53:04.000Z verified',
    ] });
    expect(verifyKeyedBundle(bundle, [key], undefined, publicGood)).toMatchObject({ ok: true, notes: [
      expect.stringMatching(/not verified: the trusted root does not hold that log$/),
      'RFC 3161 timestamp of 2025-07-25T19:53:04.000Z not verified: no timestamp authority of the trusted root issued it',
    ] });
    const e = bundle.verificationMaterial.tlogEntries[0];
    const tampered = { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, tlogEntries: [{ ...e, inclusionProof: { ...e.inclusionProof, hashes: [...e.inclusionProof.hashes].reverse() } }] } };
    expect(verifyKeyedBundle(tampered, [key], undefined, staging)).toMatchObject({ ok: false, reason: expect.stringMatching(/transparency log entry 7131 .* does not verify against https:\/\/log2025-alpha1\.rekor\.sigstage\.dev/) });
  });

  it('a keyed bundle with a custom log its own root holds (conformance); a keyed bundle timestamped by a TSA outside every root (sigstore-go)', () => {
    const intoto = fixture('intoto-keyed.sigstore.json');
    const key = trustedKey(readFileSync(join(FIX, 'intoto-keyed.pub')), 'conformance-key');
    const root = trustFromRoot(readFileSync(join(FIX, 'intoto-keyed.trusted_root.json')));
    expect(verifyKeyedBundle(intoto, [key], undefined, root)).toMatchObject({ ok: true, notes: [expect.stringMatching(/^transparency log entry 0 \(intoto 0\.0\.2, .*\) verified against https:\/\/rekor\.test$/)] });
    const tsa = fixture('keyed-tsa.sigstore.json');
    const tsaKey = trustedKey(readFileSync(join(FIX, 'keyed-tsa.pub')), 'example-key');
    expect(verifyKeyedBundle(tsa, [tsaKey], Buffer.from('hello world'), publicGood)).toMatchObject({ ok: true, notes: ['RFC 3161 timestamp of 2024-06-07T14:11:53.000Z not verified: no timestamp authority of the trusted root issued it'] });
    expect(verifyKeyedBundle(tsa, [tsaKey], Buffer.from('hello world!'), publicGood)).toMatchObject({ ok: false });
  });
});

describe('keyless: the same real bundles with their certificates', () => {
  it('verify against their roots and identities; the Rekor v2 one only against staging', () => {
    expect(verifyKeylessBundle(fixture('cosign-oci-attestation.sigstore.json'), publicGood, { issuer: 'https://github.com/login/oauth', subject: 'cody@soyland.com' })).toMatchObject({ ok: true });
    expect(verifyKeylessBundle(fixture('dsse-hashedrekord-over-pae.sigstore.json'), publicGood, BEACON)).toMatchObject({ ok: true });
    expect(verifyKeylessBundle(fixture('rekor2-dsse.sigstore.json'), staging, BEACON)).toMatchObject({ ok: true });
    expect(verifyKeylessBundle(fixture('rekor2-dsse.sigstore.json'), publicGood, BEACON)).toMatchObject({ ok: false });
  });
});

describe('trusted root validation', () => {
  const refusal = (mutate: (r: any) => void) => {
    const r = stagingJson();
    mutate(r);
    try { trustFromRoot(JSON.stringify(r)); } catch (e) { return (e as Error).message; }
    return undefined;
  };

  it('accepts the public-good and staging roots', () => {
    expect(publicGood.tlogs.length).toBeGreaterThan(0);
    expect(refusal(() => {})).toBeUndefined();
  });

  it('refuses a log key without validity start (conformance trust-root-tlog-missing-validity-start_fail) and a TSA without certificates (…-wrong-tsa-validity-borrow_fail)', () => {
    expect(refusal((r) => { delete r.tlogs[1].publicKey.validFor.start; })).toBe('malformed trusted root: tlogs[1].publicKey.validFor.start is missing');
    expect(refusal((r) => { delete r.tlogs[0].publicKey.validFor; })).toMatch(/^malformed trusted root: tlogs\[0\]\.publicKey\.validFor is missing/);
    expect(refusal((r) => r.timestampAuthorities.push({ subject: { organization: 'unrelated' }, uri: 'https://unrelated.invalid', certChain: { certificates: [] }, validFor: { start: '2025-06-01T00:00:00Z', end: '2025-07-01T00:00:00Z' } })))
      .toBe('malformed trusted root: timestampAuthorities[1].certChain.certificates is empty');
  });

  it('refuses each malformed field with its path', () => {
    const cases: [(r: any) => void, RegExp][] = [
      [(r) => { r.mediaType = 'application/json'; }, /^malformed trusted root: mediaType is not a sigstore trusted root media type/],
      [(r) => { r.tlogs[0].baseUrl = 'ftp://rekor'; }, /tlogs\[0\]\.baseUrl is not an http\(s\) URL/],
      [(r) => { delete r.tlogs[0].baseUrl; }, /tlogs\[0\]\.baseUrl is missing/],
      [(r) => { r.tlogs[0].publicKey.rawBytes = 'AAAA'; }, /tlogs\[0\]\.publicKey\.rawBytes is not a SPKI public key/],
      [(r) => { r.tlogs[0].publicKey.rawBytes = '%%'; }, /tlogs\[0\]\.publicKey\.rawBytes is not base64/],
      [(r) => { r.tlogs[0].publicKey.keyDetails = 'NOPE'; }, /tlogs\[0\]\.publicKey\.keyDetails is not a known key type/],
      [(r) => { delete r.tlogs[0].logId; }, /tlogs\[0\]\.logId is missing/],
      [(r) => { r.tlogs[0].logId.keyId = ''; }, /tlogs\[0\]\.logId\.keyId is missing/],
      [(r) => { r.tlogs[0].publicKey.validFor.start = 'yesterday'; }, /validFor\.start is not an RFC 3339 time/],
      [(r) => { r.tlogs[0].publicKey.validFor.end = '2020-01-01T00:00:00Z'; }, /tlogs\[0\]\.publicKey\.validFor\.end is before its start/],
      [(r) => { delete r.ctlogs[2].publicKey.validFor.start; }, /ctlogs\[2\]\.publicKey\.validFor\.start is missing/],
      [(r) => { r.ctlogs[0].publicKey.keyDetails = 'PKIX_ECDSA_P256_SHA_256'; }, /ctlogs\[0\]\.publicKey\.rawBytes is not a SPKI public key/],
      [(r) => { r.certificateAuthorities[0].certChain.certificates[0].rawBytes = Buffer.from('not a certificate').toString('base64'); }, /certificateAuthorities\[0\]\.certChain\.certificates\[0\]\.rawBytes is not an X\.509 certificate/],
      [(r) => { delete r.certificateAuthorities[0].validFor; }, /certificateAuthorities\[0\]\.validFor is missing/],
      [(r) => { r.certificateAuthorities[0].uri = 'not a url'; }, /certificateAuthorities\[0\]\.uri is not an http\(s\) URL/],
      [(r) => { delete r.timestampAuthorities[0].validFor.start; }, /timestampAuthorities\[0\]\.validFor\.start is missing/],
      [(r) => { r.tlogs = {}; }, /tlogs is not a list/],
    ];
    for (const [mutate, want] of cases) expect(refusal(mutate)).toMatch(want);
  });

  it('customs serve refuses to start with a malformed trusted root: exit 3 and the field named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'customs-root-'));
    const r = stagingJson();
    delete r.tlogs[1].publicKey.validFor.start;
    writeFileSync(join(dir, 'trusted_root.json'), JSON.stringify(r));
    writeFileSync(join(dir, 'customs.yaml'), `dataDir: ${dir}\nserver: { host: 127.0.0.1, port: 0 }\nsigning: { trustedRoot: ${join(dir, 'trusted_root.json')} }\n`);
    const res = await new Promise<{ code: number | null; stderr: string }>((done) => {
      execFile(CUSTOMS_BIN, ['serve', '--config', join(dir, 'customs.yaml')], { timeout: 30_000, env: { ...process.env, CUSTOMS_LOG_LEVEL: 'warn' } },
        (err, _out, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr }));
    });
    expect(res.code).toBe(3);
    expect(res.stderr).toContain(`signing.trustedRoot ${join(dir, 'trusted_root.json')}: malformed trusted root: tlogs[1].publicKey.validFor.start is missing`);
  }, 40_000);
});

describe('image signatures in a registry, logged to a test log', () => {
  let reg: TestRegistry;
  let client: RegistryClient;
  let log: TestLog;
  let rootFile: string;
  let work: string;
  let signer: { key: KeyObject; pem: string };
  const REPO = 'trust/app';
  let digest: string;

  beforeAll(async () => {
    reg = await startRegistry();
    work = mkdtempSync(join(tmpdir(), 'customs-trust-'));
    client = new RegistryClient(testConfig({ dataDir: work }));
    log = makeTestLog();
    rootFile = join(work, 'trusted_root.json');
    writeFileSync(rootFile, trustedRootWith([log]));
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    signer = { key: kp.privateKey, pem: kp.publicKey.export({ type: 'spki', format: 'pem' }) as string };
    digest = (await pushDebianImage(client, reg.host, REPO, 'v1', [['libc6', '2.36-9']])).manifestDigest;
    const image = { registry: reg.host, repository: REPO, digest };

    // cosign 3 `sign --key`: a DSSE bundle of a sign/v1 statement with its Rekor `dsse` entry
    const payload = Buffer.from(JSON.stringify(statement(image, COSIGN_SIGN_PREDICATE_TYPE, {})));
    const sig = sign('sha256', pae('application/vnd.in-toto+json', payload), signer.key);
    const b: any = bundleToJSON(toDSSEBundle({ artifact: payload, artifactType: 'application/vnd.in-toto+json', signature: sig, keyHint: '' }));
    b.verificationMaterial.tlogEntries = [bundleEntry(log, enter(log, dsseBody({ payloadType: 'application/vnd.in-toto+json', payload, sig }, signer.pem)), 'dsse')];
    await publishReferrers(client, image, [{ predicateType: COSIGN_SIGN_PREDICATE_TYPE, bundle: Buffer.from(JSON.stringify(b)) }], new Date().toISOString(), 1 << 22);

    // cosign 2 `sign --key`: a .sig layer with the Rekor entry in dev.sigstore.cosign/bundle — one
    // genuine, one whose entry timestamp another key signed under the same log id
    const simple = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': `${reg.host}/${REPO}` }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
    const legacySig = sign('sha256', simple, signer.key);
    const body = hashedrekordBody(simple, legacySig, signer.pem);
    const layers = [];
    for (const annotation of [cosignBundleAnnotation(log, enter(log, body)), cosignBundleAnnotation(log, enter(log, body, { signer: makeTestLog() }))]) {
      const blob = await client.pushBlob(reg.host, REPO, simple);
      layers.push({ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', ...blob, annotations: { 'dev.cosignproject.cosign/signature': legacySig.toString('base64'), 'dev.sigstore.cosign/bundle': annotation } });
    }
    const cfg = await client.pushBlob(reg.host, REPO, Buffer.from('{}'));
    const OCI = 'application/vnd.oci.image.manifest.v1+json';
    await client.putManifest(reg.host, REPO, `${digest.replace(':', '-')}.sig`, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg }, layers })), OCI);
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await reg?.stop();
  });

  it('verifies the key, then each log entry against the configured root; records the notes with the result', async () => {
    const image = { registry: reg.host, repository: REPO, digest };
    const auth = [{ name: 'release', key: signer.pem }];
    const withLog = await verifyImageSignatures(client, image, auth, 1 << 22, trustFromRoot(readFileSync(rootFile)));
    expect(withLog.map((r) => [r.format, r.verified])).toEqual([['cosign-legacy', true], ['cosign-legacy', false], ['sigstore-bundle', true]]);
    expect(withLog[0]!.notes).toMatch(/^transparency log entry 0 \(hashedrekord 0\.0\.1, log .*\) verified against https:\/\/rekor\.customs\.test$/);
    expect(withLog[1]!.reason).toMatch(/^signature verified with release, but transparency log entry 0 .* does not verify against https:\/\/rekor\.customs\.test: inclusion promise could not be verified/);
    expect(withLog[2]).toMatchObject({ authority: 'release', notes: expect.stringMatching(/^transparency log entry 0 \(dsse 0\.0\.1, .*\) verified against https:\/\/rekor\.customs\.test$/) });

    // a root without the test log (the default public-good one): all three verify with the key, the entries are reported
    const elsewhere = await verifyImageSignatures(client, image, auth, 1 << 22, publicGood);
    expect(elsewhere.map((r) => r.verified)).toEqual([true, true, true]);
    expect(elsewhere.every((r) => /not verified: the trusted root does not hold that log$/.test(r.notes ?? ''))).toBe(true);
    const none = await verifyImageSignatures(client, image, auth, 1 << 22);
    expect(none.every((r) => r.verified && /no trusted root configured$/.test(r.notes ?? ''))).toBe(true);

    // stored with the image and read back as the API shows it: notes for verified, reason for refused
    const database = await openDatabase(testConfig({ dataDir: work, database: { url: `file:${join(work, 'customs.db')}` } }));
    try {
      await recordSignatures(database, image, withLog);
      const stored = await signaturesOf(database, digest);
      expect(stored.map((s) => [s.verified, !!s.notes, !!s.reason])).toEqual([[true, true, false], [false, false, true], [true, true, false]]);
      expect(stored[0]!.notes).toBe(withLog[0]!.notes);
    } finally {
      database.close();
    }
  });

  it('a key signature logged nowhere still verifies (Customs\' own attestations, cosign --tlog-upload=false)', async () => {
    const kp = { key: createPrivateKey(signer.key.export({ type: 'pkcs8', format: 'pem' })) };
    const payload = Buffer.from('x');
    const s = sign('sha256', payload, kp.key);
    const b = { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', verificationMaterial: { publicKey: { hint: '' }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } }, messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') }, signature: s.toString('base64') } };
    expect(verifyKeyedBundle(b, [trustedKey(signer.pem)], payload, publicGood)).toMatchObject({ ok: true, notes: [] });
  });
});
