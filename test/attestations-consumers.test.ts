// Customs' attestations as the real consumers read them. Each rule cosign, Kyverno and sigstore
// policy-controller apply to an attestation is re-implemented from their Go sources in
// test/helpers/consumers.ts (every function names its source) and run against what Customs wrote
// into a real registry (Debian's docker-registry, no referrers API: the tag-schema fallback), read
// back over plain HTTP. Each rule is also shown to bite: a copy of Customs' output changed in just
// that respect is refused, so a regression in Customs' output would fail here.
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dsseBundleJson } from '../src/attest/dsse.ts';
import { publishAttestations } from '../src/attest/publish.ts';
import { VERDICT_PREDICATE_TYPE } from '../src/attest/statements.ts';
import type { Config } from '../src/config/schema.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import { judge, judgeContext } from '../src/judge/judge.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { scanImage } from '../src/scan/scan-image.ts';
import { loadSigner } from '../src/signing/key.ts';
import type { Signer } from '../src/attest/signer.ts';
import { VulnStore } from '../src/vulndb/store.ts';
import {
  attestationToPayloadJSON, blob, cosign3VerifyAttestation, cosignGetBundles, cosignLegacyVerifyAttestation, goStdBase64, intotoSubjectClaim,
  kyvernoCosignAttestations, kyvernoSigstoreBundle, manifest, PREDICATE_TYPE_MAP, policyControllerOci11Attestations, protojsonStatement, referrers,
  Refused, securesystemslibVerify, sigstoreGoBundle, sigstoreGoVerifyWithKey, sshFingerprint,
} from './helpers/consumers.ts';
import { pushDebianImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { FIXTURES } from './vulndb-helpers.ts';

const VULN = PREDICATE_TYPE_MAP.vuln!;
const CDX = PREDICATE_TYPE_MAP.cyclonedx!;
const ALL = [VULN, CDX, VERDICT_PREDICATE_TYPE];
/** a feed URL as configured, with credentials and a signed query (must never be published) */
const SECRET_FEED = 'https://ci:s3cret-token@127.0.0.1:1/osv/all.zip?sig=abcdef';

let reg: TestRegistry;
let base: string;
let cfg: Config;
let database: Database;
let client: RegistryClient;
let work: string;
let signer: Signer;
let localFeed: string;
const REPO = 'consumers/app';
let digest: string;

const refused = (f: () => unknown) => { try { f(); } catch (e) { if (e instanceof Refused) return e.message; throw e; } return undefined; };
const refusedAsync = async (p: Promise<unknown>) => { try { await p; } catch (e) { if (e instanceof Refused) return e.message; throw e; } return undefined; };

async function att(): Promise<{ layers: any[]; envs: any[] }> {
  const m = await manifest(base, REPO, `${digest.replace(':', '-')}.att`);
  return { layers: m.layers, envs: await Promise.all(m.layers.map(async (l: any) => JSON.parse((await blob(base, REPO, l)).toString()))) };
}

beforeAll(async () => {
  reg = await startRegistry();
  base = `http://${reg.host}`;
  work = mkdtempSync(join(tmpdir(), 'customs-consumers-'));
  cfg = testConfig({ dataDir: work, database: { url: `file:${join(work, 'customs.db')}` }, attestations: { enabled: true } });
  database = await openDatabase(cfg);
  client = new RegistryClient(cfg);
  signer = loadSigner(cfg);
  // the vulnerability database as `db update` (a feed URL, downloaded into the data dir) and
  // `db import <path>` (a local path) record it: both under the server's data directory
  const downloaded = join(work, 'feeds-osv-all.json');
  localFeed = join(work, 'imports', 'GO-2020-0003.json');
  copyFileSync(join(FIXTURES, 'go', 'GO-2020-0001.json'), downloaded);
  mkdirSync(join(work, 'imports'));
  copyFileSync(join(FIXTURES, 'go', 'GO-2020-0003.json'), localFeed);
  await new VulnStore(database).importFrom([downloaded, localFeed], { sourceNames: [SECRET_FEED, localFeed] });

  const img = await pushDebianImage(client, reg.host, REPO, 'v1', [['zlib1g', '1:1.2.13.dfsg-1'], ['libc6', '2.36-9']]);
  const report = await scanImage(`${reg.host}/${REPO}:v1`, { cfg, database });
  digest = report.rootDigest;
  expect(digest).toBe(img.manifestDigest);
  const { verdict } = await judge(judgeContext({ ...cfg, policy: { ...cfg.policy, actions: false } }, database, client), { registry: reg.host, repository: REPO, digest, tag: 'v1' }, report, null, { findingsChanged: true });
  await publishAttestations({ client, signer, cfg }, { registry: reg.host, repository: REPO, digest }, report, verdict);
}, 60_000);

afterAll(async () => {
  await client?.close();
  database?.close();
  await reg?.stop();
});

describe('cosign 3: `cosign verify-attestation --key customs.pub --insecure-ignore-tlog --type T`', () => {
  it('finds the bundle referrers (so it reads no .att at all) and accepts each of the three predicate types', async () => {
    // cmd/cosign/cli/verify/verify_attestation.go: bundles found → co.NewBundleFormat stays true
    const bundles = await cosignGetBundles(base, REPO, digest);
    expect(bundles).toHaveLength(3);
    for (const [type, uri] of [['vuln', VULN], ['cyclonedx', CDX], [VERDICT_PREDICATE_TYPE, VERDICT_PREDICATE_TYPE]] as const) {
      const r = await cosign3VerifyAttestation(base, REPO, digest, signer.publicKeyPem, type);
      expect(r.layout).toBe('bundle');
      expect(r.payloads).toHaveLength(1);
      expect(r.payloads[0].predicateType).toBe(uri);
    }
  });

  it('rule: the DSSE keyid is "" or Go\'s own SHA256 fingerprint (go-securesystemslib dsse/verify.go VerifyAndDecode, with Pub set by sigstore-go pkg/verify/signature.go verifyEnvelope)', async () => {
    const { bundle } = (await cosignGetBundles(base, REPO, digest))[0]!;
    // protobuf JSON leaves an empty keyid out: absent and "" are the same to protojson
    expect(bundle.dsseEnvelope.signatures).toHaveLength(1);
    expect(bundle.dsseEnvelope.signatures[0].keyid ?? '').toBe('');
    expect(bundle.verificationMaterial.publicKey.hint).toBe(signer.keyId);
    const withKeyid = (keyid: string) => ({ ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope, signatures: [{ ...bundle.dsseEnvelope.signatures[0], keyid }] } });
    // what Customs wrote before: the hex SHA-256 of the key — skipped, so nothing verifies
    expect(refused(() => sigstoreGoVerifyWithKey(withKeyid(signer.keyId), signer.publicKeyPem, digest))).toBe('accepted signatures do not match threshold, Found: 0, Expected 1');
    // Go's own keyid would do too (ssh-keygen computes it, independently of this test)
    const fp = sshFingerprint(signer.publicKeyPem);
    expect(fp).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(refused(() => sigstoreGoVerifyWithKey(withKeyid(fp), signer.publicKeyPem, digest))).toBeUndefined();
    // and the legacy path (adapter without Pub: no keyid computed) never compared keyids
    const env = { payloadType: bundle.dsseEnvelope.payloadType, payload: bundle.dsseEnvelope.payload, signatures: [{ keyid: signer.keyId, sig: bundle.dsseEnvelope.signatures[0].sig }] };
    expect(refused(() => securesystemslibVerify(env, signer.publicKeyPem, false))).toBeUndefined();
    expect(refused(() => securesystemslibVerify(env, signer.publicKeyPem, true))).toMatch(/Found: 0/);
  });

  it('rule: referrer manifests of one bundle layer, v0.3, protojson-clean (cosign pkg/oci/remote/signatures.go Bundle; sigstore-go pkg/bundle/bundle.go validate)', async () => {
    for (const d of await referrers(base, REPO, digest)) {
      const m = await manifest(base, REPO, d.digest);
      expect(m.layers).toHaveLength(1);
      expect(m.layers[0].mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
      const json = JSON.parse((await blob(base, REPO, m.layers[0])).toString());
      expect(sigstoreGoBundle(json)).toBe('v0.3');
      // what would be refused: a field protobuf does not know, an older bundle version, a chain in v0.3
      expect(refused(() => sigstoreGoBundle({ ...json, customs: true }))).toBe('unknown field "customs" in Bundle');
      expect(refused(() => sigstoreGoBundle({ ...json, dsseEnvelope: { ...json.dsseEnvelope, signatures: [{ ...json.dsseEnvelope.signatures[0], keyId: '' }] } }))).toMatch(/unknown field "keyId"/);
      expect(refused(() => sigstoreGoBundle({ ...json, mediaType: 'application/vnd.dev.sigstore.bundle.v0.4+json' }))).toMatch(/not yet supported/);
      expect(refused(() => sigstoreGoBundle({ ...json, verificationMaterial: { ...json.verificationMaterial, tlogEntries: [{ logIndex: '1' }] } }))).toMatch(/inclusion proof missing/);
    }
    // cosign 3 skips bundles older than v0.3 (pkg/oci/remote/signatures.go: "bundle version too old")
    expect(refused(() => sigstoreGoBundle({ mediaType: 'nope' }))).toMatch(/unsupported media type/);
  });

  it('rule: in-toto payload type, a protojson Statement, the image digest among the subjects (sigstore-go verifyEnvelopeWithArtifactDigests; cosign pkg/cosign/verifiers.go IntotoSubjectClaimVerifier)', async () => {
    const { bundle } = (await cosignGetBundles(base, REPO, digest))[0]!;
    const st = protojsonStatement(Buffer.from(bundle.dsseEnvelope.payload, 'base64'));
    expect(st._type).toBe('https://in-toto.io/Statement/v1');
    expect(st.subject).toEqual([{ name: `${reg.host}/${REPO}`, digest: { sha256: digest.slice(7) } }]);
    expect(refused(() => sigstoreGoVerifyWithKey(bundle, signer.publicKeyPem, `sha256:${'0'.repeat(64)}`))).toBe('provided artifact digest does not match any digest in statement');
    const env = { payloadType: bundle.dsseEnvelope.payloadType, payload: bundle.dsseEnvelope.payload, signatures: bundle.dsseEnvelope.signatures };
    expect(refused(() => intotoSubjectClaim(env, `sha256:${'0'.repeat(64)}`))).toBe('no matching subject digest found');
    // a statement protojson refuses (an unknown field), or a subject digest that is not a string map
    const mutate = (f: (s: any) => void) => { const s = JSON.parse(Buffer.from(env.payload, 'base64').toString()); f(s); return Buffer.from(JSON.stringify(s)); };
    expect(refused(() => protojsonStatement(mutate((s) => { s.extra = 1; })))).toBe('unknown field "extra" in Statement');
    expect(refused(() => protojsonStatement(mutate((s) => { s.subject[0].digest.sha256 = 7; })))).toMatch(/digest is not a map of strings/);
    expect(refused(() => protojsonStatement(mutate((s) => { s.predicate = [1]; })))).toMatch(/could not parse predicate/);
  });
});

describe('the legacy .att layout: cosign 2, Kyverno `type: Cosign`, policy-controller key authorities', () => {
  it('cosign 2 verify-attestation (pkg/cosign/verify.go VerifyImageAttestations/verifyOCIAttestation) accepts every layer and each --type', async () => {
    const { layers, envs } = await att();
    expect(layers.map((l) => l.annotations.predicateType)).toEqual(ALL);
    for (const [i, l] of layers.entries()) {
      // what cosign attest writes (cmd/cosign/cli/attest/attest.go: DssePayloadType layer, predicateType annotation)
      expect(l.mediaType).toBe('application/vnd.dsse.envelope.v1+json');
      expect(l.annotations['dev.cosignproject.cosign/signature']).toBe('');
      expect(envs[i].signatures).toEqual([{ keyid: '', sig: expect.any(String) }]);
      // the annotation agrees with the signed statement (cosign filters on the statement, download/replace on both)
      expect(JSON.parse(goStdBase64(envs[i].payload, 'payload').toString()).predicateType).toBe(l.annotations.predicateType);
    }
    for (const type of ['vuln', 'cyclonedx', VERDICT_PREDICATE_TYPE]) {
      const got = await cosignLegacyVerifyAttestation(base, REPO, digest, signer.publicKeyPem, (env) => attestationToPayloadJSON(env, type));
      expect(got).toHaveLength(1);
    }
  });

  it('rule: payloadType application/vnd.in-toto+json (pkg/cosign/verify.go verifyOCIAttestation), vuln predicate times RFC 3339 (pkg/policy/attestation.go → attestation.CosignVulnStatement)', async () => {
    const { envs } = await att();
    const vuln = envs.find((e) => JSON.parse(Buffer.from(e.payload, 'base64').toString()).predicateType === VULN);
    const p = attestationToPayloadJSON(vuln, 'vuln');
    expect(p.predicate.metadata.scanStartedOn).toMatch(/Z$/);
    expect(typeof p.predicate.scanner.db.uri).toBe('string');
    expect(attestationToPayloadJSON(vuln, 'cyclonedx')).toBeUndefined(); // another type: skipped, not an error
    const st = JSON.parse(Buffer.from(vuln.payload, 'base64').toString());
    st.predicate.metadata.scanStartedOn = '2024-01-02 03:04:05';
    expect(refused(() => attestationToPayloadJSON({ ...vuln, payload: Buffer.from(JSON.stringify(st)).toString('base64') }, 'vuln'))).toMatch(/as RFC 3339/);
    st.predicate.metadata.scanStartedOn = '2024-01-02T03:04:05Z';
    st.predicate.scanner.db.version = 3;
    expect(refused(() => attestationToPayloadJSON({ ...vuln, payload: Buffer.from(JSON.stringify(st)).toString('base64') }, 'vuln'))).toMatch(/DB.version of type string/);
    // an envelope of another payload type is refused before its signature is looked at
    expect(refused(() => goStdBase64('abc', 'payload'))).toMatch(/illegal base64/);
  });

  it('Kyverno `type: Cosign` (pkg/image/verifiers/cpol/cosign/verifier.go FetchAttestations, matchType) admits on the verdict type', async () => {
    const sts = await kyvernoCosignAttestations(base, REPO, digest, signer.publicKeyPem, VERDICT_PREDICATE_TYPE);
    expect(sts).toHaveLength(1);
    expect(sts[0].type).toBe(VERDICT_PREDICATE_TYPE);
    expect(['pass', 'warn', 'fail']).toContain(sts[0].predicate.verdict);
  });

  it('policy-controller (pkg/webhook/validator.go, validation.go): a key authority reads the .att; with enableOCI11 Customs\' referrers are not taken for attestations, so it still falls back to .att', async () => {
    expect(await policyControllerOci11Attestations(base, REPO, digest)).toEqual([]);
    const got = await cosignLegacyVerifyAttestation(base, REPO, digest, signer.publicKeyPem, (env) => attestationToPayloadJSON(env, VERDICT_PREDICATE_TYPE));
    expect(got[0].predicate.policy.name).toBe('default');
  });
});

describe('Kyverno 1.19 `type: SigstoreBundle` with keys', () => {
  it('accepts each type (pkg/image/verifiers/cpol/cosign/sigstore.go fetchBundles/verifyBundles)', async () => {
    for (const uri of ALL) {
      const sts = await kyvernoSigstoreBundle(base, REPO, digest, signer.publicKeyPem, uri);
      expect(sts).toHaveLength(1);
      expect(sts[0].predicateType).toBe(uri);
    }
  });

  it('rule: the index descriptor carries the bundle artifactType (fetchBundles skips the others)', async () => {
    for (const d of await referrers(base, REPO, digest)) expect(d.artifactType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
  });

  it('rule: at most 50 referrers — republishing replaces Customs\' own entries in the fallback index', async () => {
    const report = await scanImage(`${reg.host}/${REPO}:v1`, { cfg, database });
    const { verdict } = await judge(judgeContext({ ...cfg, policy: { ...cfg.policy, actions: false } }, database, client), { registry: reg.host, repository: REPO, digest, tag: 'v1' }, report, null, { findingsChanged: true });
    for (let i = 0; i < 18; i++) await publishAttestations({ client, signer, cfg }, { registry: reg.host, repository: REPO, digest }, { ...report, finishedAt: new Date(Date.now() + i * 1000).toISOString() }, verdict);
    const refs = await referrers(base, REPO, digest);
    expect(refs.length).toBe(3);
    expect(await kyvernoSigstoreBundle(base, REPO, digest, signer.publicKeyPem, VERDICT_PREDICATE_TYPE)).toHaveLength(1);
  });

  it('rule: a bundle layer over 10,000,000 bytes fails the whole verification — the largest statement the default attestations.maxStatementBytes allows stays under it', () => {
    const max = cfg.attestations.maxStatementBytes;
    const payload = Buffer.alloc(max, 'a');
    const bundle = dsseBundleJson('application/vnd.in-toto+json', payload, Buffer.alloc(72, 1), signer.keyId);
    expect(bundle.length).toBeLessThanOrEqual(10 * 1000 * 1000);
  });
});

describe('what the signed statements say about the server', () => {
  it('no local path, data directory or feed credential in any statement; the database is named by its feeds and version', async () => {
    const statements: string[] = [];
    for (const e of (await att()).envs) statements.push(Buffer.from(e.payload, 'base64').toString());
    for (const b of await cosignGetBundles(base, REPO, digest)) statements.push(Buffer.from(b.bundle.dsseEnvelope.payload, 'base64').toString());
    expect(statements).toHaveLength(6);
    for (const s of statements) {
      expect(s).not.toContain(work);
      expect(s).not.toContain('/tmp');
      expect(s).not.toContain(tmpdir());
      expect(s).not.toContain('s3cret');
      expect(s).not.toContain('sig=abcdef');
      expect(s).not.toContain('imports/');
    }
    const vuln = statements.map((s) => JSON.parse(s)).find((s) => s.predicateType === VULN);
    expect(vuln.predicate.scanner.db.uri).toBe('local:GO-2020-0003.json,https://127.0.0.1:1/osv/all.zip'); // sources in name order
    expect(vuln.predicate.scanner.db.version).toMatch(/^osv-\d+-/);
    expect(vuln.predicate.invocation.parameters).toEqual([`${reg.host}/${REPO}@${digest}`]);
    const verdict = statements.map((s) => JSON.parse(s)).find((s) => s.predicateType === VERDICT_PREDICATE_TYPE);
    expect(verdict.predicate.dbVersion).toBe(vuln.predicate.scanner.db.version);
  });
});

it('the checkers refuse what they should: a tampered payload, a wrong key', async () => {
  const { envs } = await att();
  const other = loadSigner(testConfig({ dataDir: mkdtempSync(join(work, 'other-')) }));
  expect(refused(() => securesystemslibVerify(envs[0], other.publicKeyPem, false))).toMatch(/Found: 0/);
  const tampered = { ...envs[0], payload: Buffer.from(Buffer.from(envs[0].payload, 'base64').toString().replace('"predicate":{', '"predicate":{"x":1,')).toString('base64') };
  expect(refused(() => securesystemslibVerify(tampered, signer.publicKeyPem, false))).toMatch(/Found: 0/);
  expect(await refusedAsync(kyvernoSigstoreBundle(base, REPO, digest, other.publicKeyPem, VERDICT_PREDICATE_TYPE))).toMatch(/no matching signatures/);
  expect(await refusedAsync(cosign3VerifyAttestation(base, REPO, digest, other.publicKeyPem, 'vuln'))).toMatch(/no matching attestations/);
});
