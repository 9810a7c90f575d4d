// Signed attestations written back to a real registry (Debian's docker-registry 2.8, which has no
// referrers API, so the tag-schema fallback is exercised for real) and checked by independent means:
// openssl verifying the DSSE PAE signature with the published public key, and @sigstore/verify
// verifying the sigstore bundles.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStatement } from '../src/attest/check-statement.ts';
import { publishAttestations } from '../src/attest/publish.ts';
import { publishLegacy } from '../src/attest/publish-legacy.ts';
import { publishReferrers } from '../src/attest/publish-referrers.ts';
import { readVerdictAttestations } from '../src/signing/read-verdict.ts';
import { IN_TOTO_PAYLOAD_TYPE, pae } from '../src/attest/dsse.ts';
import { statement, verdictPredicate } from '../src/attest/statements.ts';
import { CYCLONEDX_PREDICATE_TYPE, VERDICT_PREDICATE_TYPE } from '../src/attest/statements.ts';
import type { Config } from '../src/config/schema.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import { judge, judgeContext } from '../src/judge/judge.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { COSIGN_VULN_PREDICATE_TYPE } from '../src/report/cosign-vuln.ts';
import { scanImage } from '../src/scan/scan-image.ts';
import type { ScanReport } from '../src/scan/types.ts';
import type { ImageVerdict } from '../src/policy/verdicts.ts';
import { loadSigner } from '../src/signing/key.ts';
import { trustedKey, verifyKeyedBundle } from '../src/signing/verify-bundle.ts';
import { pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';
import { caught } from './helpers/util.ts';

let reg: TestRegistry;
let cfg: Config;
let database: Database;
let client: RegistryClient;
let work: string;
const ALL = [COSIGN_VULN_PREDICATE_TYPE, CYCLONEDX_PREDICATE_TYPE, VERDICT_PREDICATE_TYPE];

async function scannedImage(repo: string, tag: string, pkg = 'zlib1g'): Promise<{ digest: string; report: ScanReport; verdict: ImageVerdict }> {
  const layer = gzip(await makeTar([{ path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
    { path: 'var/lib/dpkg/status', content: `Package: ${pkg}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:1.2.13.dfsg-1\n` }]));
  await pushImage(client, reg.host, repo, tag, { layers: [{ data: layer }], config: { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] } } });
  const report = await scanImage(`${reg.host}/${repo}:${tag}`, { cfg, database });
  const { verdict } = await judge(judgeContext({ ...cfg, policy: { ...cfg.policy, actions: false } }, database, client), { registry: reg.host, repository: repo, digest: report.rootDigest, tag }, report, null, { findingsChanged: true });
  return { digest: report.rootDigest, report, verdict };
}

async function manifest(repo: string, ref: string): Promise<any> {
  return JSON.parse((await client.getManifest(reg.host, repo, ref, 1 << 22)).bytes.toString());
}
async function blob(repo: string, d: { digest: string; size: number; mediaType: string }): Promise<Buffer> {
  return client.fetchBlob(reg.host, repo, d, 1 << 24);
}

/** PAE written from the DSSE protocol text, independently of src/attest/dsse.ts. */
function paeBytes(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
}
function opensslVerifies(pubPem: string, data: Buffer, sig: Buffer): boolean {
  const dir = mkdtempSync(join(work, 'v-'));
  writeFileSync(join(dir, 'pub.pem'), pubPem);
  writeFileSync(join(dir, 'data'), data);
  writeFileSync(join(dir, 'sig'), sig);
  const r = spawnSync('openssl', ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig'), join(dir, 'data')], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('Verified OK');
}
function opensslKey(name: string, args: string[]): { key: string; pub: string } {
  const key = join(work, `${name}.pem`);
  execFileSync('openssl', [...args, '-out', key], { stdio: 'pipe' });
  const pub = execFileSync('openssl', ['pkey', '-in', key, '-pubout'], { encoding: 'utf8' });
  return { key, pub };
}

beforeAll(async () => {
  reg = await startRegistry();
  work = mkdtempSync(join(tmpdir(), 'customs-attest-'));
  cfg = testConfig({ dataDir: work, database: { url: `file:${join(work, 'customs.db')}` }, attestations: { enabled: true } });
  database = await openDatabase(cfg);
  client = new RegistryClient(cfg);
});
afterAll(async () => {
  await client?.close();
  database?.close();
  await reg?.stop();
});

describe('signing key', () => {
  it('is generated once into the data directory with mode 0600 and read back on the next start', () => {
    const dir = mkdtempSync(join(work, 'key-'));
    const a = loadSigner(testConfig({ dataDir: dir }));
    expect(statSync(join(dir, 'signing-key.pem')).mode & 0o777).toBe(0o600);
    const pub = execFileSync('openssl', ['pkey', '-in', join(dir, 'signing-key.pem'), '-pubout'], { encoding: 'utf8' });
    expect(a.publicKeyPem).toBe(pub);
    expect(execFileSync('openssl', ['pkey', '-in', join(dir, 'signing-key.pem'), '-noout', '-text'], { encoding: 'utf8' })).toMatch(/prime256v1|P-256/);
  });

  it('uses a configured P-256 PEM made by openssl; its signatures verify with openssl', async () => {
    const { key, pub } = opensslKey('p256', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout']);
    const s = loadSigner(testConfig({ dataDir: work, signing: { keyFile: key } }));
    expect(s.publicKeyPem).toBe(pub);
    const data = Buffer.from('hello');
    expect(opensslVerifies(pub, data, await s.sign(data))).toBe(true);
    expect(opensslVerifies(pub, Buffer.from('hellO'), await s.sign(data))).toBe(false);
  });

  it('refuses a key that is not ECDSA P-256, and a missing file', () => {
    const { key } = opensslKey('rsa', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
    expect(() => loadSigner(testConfig({ dataDir: work, signing: { keyFile: key } }))).toThrow(/must be ECDSA P-256 \(found rsa\)/);
    expect(() => loadSigner(testConfig({ dataDir: work, signing: { keyFile: join(work, 'nope.pem') } }))).toThrow(/cannot read the signing key .*ENOENT/);
  });
});

describe('attestations in the registry', () => {
  it('writes vuln, CycloneDX and verdict statements as a cosign .att manifest whose DSSE signatures openssl verifies', async () => {
    const signer = loadSigner(cfg);
    const img = await scannedImage('att/app', 'v1');
    const res = await publishAttestations({ client, signer, cfg }, { registry: reg.host, repository: 'att/app', digest: img.digest }, img.report, img.verdict);
    expect(res.predicateTypes).toEqual(ALL);
    const tag = `${img.digest.replace(':', '-')}.att`;
    const att = await manifest('att/app', tag);
    expect(att.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(att.layers.map((l: any) => l.annotations.predicateType)).toEqual(ALL);
    for (const l of att.layers) {
      expect(l.mediaType).toBe('application/vnd.dsse.envelope.v1+json');
      expect(l.annotations['dev.cosignproject.cosign/signature']).toBe('');
      const env = JSON.parse((await blob('att/app', l)).toString());
      expect(env.payloadType).toBe('application/vnd.in-toto+json');
      const payload = Buffer.from(env.payload, 'base64');
      const sig = Buffer.from(env.signatures[0].sig, 'base64');
      expect(opensslVerifies(signer.publicKeyPem, paeBytes(env.payloadType, payload), sig)).toBe(true);
      const st = JSON.parse(payload.toString());
      expect(st._type).toBe('https://in-toto.io/Statement/v1');
      expect(st.subject).toEqual([{ name: `${reg.host}/att/app`, digest: { sha256: img.digest.slice(7) } }]);
      expect(st.predicateType).toBe(l.annotations.predicateType);
      // tampered payload, and the right payload with another key: refused
      const tampered = Buffer.from(payload.toString().replace('"predicate":{', '"predicate":{"x":1,'));
      expect(opensslVerifies(signer.publicKeyPem, paeBytes(env.payloadType, tampered), sig)).toBe(false);
      expect(opensslVerifies(opensslKey(`other-${l.digest.slice(7, 15)}`, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout']).pub, paeBytes(env.payloadType, payload), sig)).toBe(false);
      if (st.predicateType === COSIGN_VULN_PREDICATE_TYPE) {
        expect(st.predicate.metadata.scanStartedOn).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(st.predicate.metadata.scanFinishedOn).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(st.predicate.scanner.db).toHaveProperty('version');
      }
      if (st.predicateType === CYCLONEDX_PREDICATE_TYPE) expect(st.predicate.components.map((c: any) => c.name)).toContain('zlib1g');
      if (st.predicateType === VERDICT_PREDICATE_TYPE) {
        expect(st.predicate.verdict).toBe(img.verdict.verdict);
        expect(st.predicate.policy).toMatchObject({ name: 'default' });
      }
    }
  });

  it('writes sigstore bundle referrers with the fallback tag index (no referrers API here) that @sigstore/verify accepts', async () => {
    const signer = loadSigner(cfg);
    const img = await scannedImage('att/ref', 'v1');
    const res = await publishAttestations({ client, signer, cfg }, { registry: reg.host, repository: 'att/ref', digest: img.digest }, img.report, img.verdict);
    expect(res.referrers?.fallbackIndex).toBeDefined();
    const index = await manifest('att/ref', img.digest.replace(':', '-'));
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(index.manifests.map((m: any) => m.annotations['dev.sigstore.bundle.predicateType'])).toEqual(ALL);
    const key = trustedKey(signer.publicKeyPem);
    const other = trustedKey(opensslKey('other-ref', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout']).pub, 'other');
    for (const d of index.manifests) {
      expect(d.artifactType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
      const m = await manifest('att/ref', d.digest);
      expect(m.subject.digest).toBe(img.digest);
      expect(m.artifactType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
      expect(m.config.mediaType).toBe('application/vnd.oci.empty.v1+json');
      expect(m.layers).toHaveLength(1);
      const json = JSON.parse((await blob('att/ref', m.layers[0])).toString());
      expect(json.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
      const ok = verifyKeyedBundle(json, [other, key]);
      expect(ok.ok).toBe(true);
      if (!ok.ok) continue;
      expect(checkStatement(ok.bundle, { digest: img.digest, predicateType: d.annotations['dev.sigstore.bundle.predicateType'] }).ok).toBe(true);
      // wrong digest, wrong predicate type, wrong key, tampered payload: refused with the reason
      expect(checkStatement(ok.bundle, { digest: `sha256:${'0'.repeat(64)}` })).toEqual({ ok: false, reason: `statement subject is not sha256:${'0'.repeat(64)}` });
      expect(checkStatement(ok.bundle, { digest: img.digest, predicateType: 'https://example.com/x' }).ok).toBe(false);
      const wrong = verifyKeyedBundle(json, [other]);
      expect(wrong.ok).toBe(false);
      const st = JSON.parse(Buffer.from(json.dsseEnvelope.payload, 'base64').toString());
      st.subject[0].digest.sha256 = 'f'.repeat(64);
      const tampered = { ...json, dsseEnvelope: { ...json.dsseEnvelope, payload: Buffer.from(JSON.stringify(st)).toString('base64') } };
      const bad = verifyKeyedBundle(tampered, [key]);
      expect(bad).toMatchObject({ ok: false });
      expect((bad as { reason: string }).reason).toMatch(/signature/i);
    }
  });

  it('replaces its own layers of the same predicate type, keeps other writers\' layers and index entries', async () => {
    const signer = loadSigner(cfg);
    const img = await scannedImage('att/keep', 'v1');
    const image = { registry: reg.host, repository: 'att/keep', digest: img.digest };
    // someone else's attestation (cosign-shaped, no Customs mark) already there
    const foreign = Buffer.from(JSON.stringify({ payloadType: 'application/vnd.in-toto+json', payload: Buffer.from('{}').toString('base64'), signatures: [{ keyid: '', sig: 'AA==' }] }));
    const fb = await client.pushBlob(reg.host, 'att/keep', foreign);
    const cfgBlob = await client.pushBlob(reg.host, 'att/keep', Buffer.from('{}'));
    const tag = `${img.digest.replace(':', '-')}.att`;
    await client.putManifest(reg.host, 'att/keep', tag, Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfgBlob },
      layers: [{ mediaType: 'application/vnd.dsse.envelope.v1+json', ...fb, annotations: { predicateType: COSIGN_VULN_PREDICATE_TYPE, 'dev.cosignproject.cosign/signature': '' } }],
    })), 'application/vnd.oci.image.manifest.v1+json');
    await publishAttestations({ client, signer, cfg }, image, img.report, img.verdict);
    await publishAttestations({ client, signer, cfg }, image, { ...img.report, finishedAt: new Date(Date.now() + 5000).toISOString() }, img.verdict);
    const att = await manifest('att/keep', tag);
    expect(att.layers).toHaveLength(4);
    expect(att.layers[0].digest).toBe(fb.digest);
    const index = await manifest('att/keep', img.digest.replace(':', '-'));
    expect(index.manifests).toHaveLength(3);
  });

  it('serialises concurrent writers of one .att manifest: none loses another\'s layer', async () => {
    const img = await scannedImage('att/race', 'v1');
    const image = { registry: reg.host, repository: 'att/race', digest: img.digest };
    const types = Array.from({ length: 6 }, (_, i) => `https://example.com/predicate/${i}`);
    await Promise.all(types.map((t) => publishLegacy(client, image, [{ predicateType: t, envelope: Buffer.from(JSON.stringify({ t })) }], 1 << 22)));
    const att = await manifest('att/race', `${img.digest.replace(':', '-')}.att`);
    expect(att.layers.map((l: any) => l.annotations.predicateType).sort()).toEqual(types.sort());
  });

  it('refuses a statement over attestations.maxStatementBytes before writing anything', async () => {
    const small = testConfig({ dataDir: work, attestations: { enabled: true, maxStatementBytes: 1024 } });
    const img = await scannedImage('att/big', 'v1');
    const e = await caught(publishAttestations({ client, signer: loadSigner(cfg), cfg: small }, { registry: reg.host, repository: 'att/big', digest: img.digest }, img.report, img.verdict));
    expect(e.kind).toBe('limit');
    expect(e.message).toMatch(/over attestations.maxStatementBytes \(1024\); no attestation was written/);
    const tags = await client.listTags(reg.host, 'att/big');
    expect(tags).toEqual(['v1']);
  });

  it('follows the per-registry format: legacy only writes no referrers', async () => {
    const legacyOnly = testConfig({ dataDir: work, attestations: { enabled: true, format: 'referrers', registries: { [reg.host]: 'legacy' } } });
    const img = await scannedImage('att/legacy', 'v1');
    const res = await publishAttestations({ client, signer: loadSigner(cfg), cfg: legacyOnly }, { registry: reg.host, repository: 'att/legacy', digest: img.digest }, img.report, img.verdict);
    expect(res.legacy).toBeDefined();
    expect(res.referrers).toBeUndefined();
    expect((await client.listTags(reg.host, 'att/legacy')).sort()).toEqual([`${img.digest.replace(':', '-')}.att`, 'v1']);
  });

  it('Customs\' own reader accepts the keyid "" it writes now and the hex keyid it wrote before', async () => {
    const signer = loadSigner(cfg);
    const img = await scannedImage('att/keyids', 'v1');
    const image = { registry: reg.host, repository: 'att/keyids', digest: img.digest };
    // an older Customs' verdict: DSSE keyid = hex SHA-256 of the key, in both layouts
    const payload = Buffer.from(JSON.stringify(statement(image, VERDICT_PREDICATE_TYPE, verdictPredicate(img.verdict))));
    const sig = (await signer.sign(pae(IN_TOTO_PAYLOAD_TYPE, payload))).toString('base64');
    const env = { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: payload.toString('base64'), signatures: [{ keyid: signer.keyId, sig }] };
    const bundle = { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', verificationMaterial: { publicKey: { hint: signer.keyId }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } }, dsseEnvelope: env };
    await publishLegacy(client, image, [{ predicateType: VERDICT_PREDICATE_TYPE, envelope: Buffer.from(JSON.stringify(env)) }], 1 << 22);
    await publishReferrers(client, image, [{ predicateType: VERDICT_PREDICATE_TYPE, bundle: Buffer.from(JSON.stringify(bundle)) }], new Date().toISOString(), 1 << 22);
    const old = await readVerdictAttestations(client, image, [trustedKey(signer.publicKeyPem)], 1 << 22);
    expect(old.rejected).toEqual([]);
    expect(old.verified.map((v) => v.source).sort()).toEqual(['att', 'referrer']);
    // and the current output, keyid ""
    await publishAttestations({ client, signer, cfg }, image, img.report, img.verdict);
    const att = await manifest('att/keyids', `${img.digest.replace(':', '-')}.att`);
    const current = JSON.parse((await blob('att/keyids', att.layers.at(-1))).toString());
    expect(current.signatures[0].keyid).toBe('');
    const now = await readVerdictAttestations(client, image, [trustedKey(signer.publicKeyPem)], 1 << 22);
    expect(now.rejected).toEqual([]);
    expect(now.verified.map((v) => v.source).sort()).toEqual(['att', 'referrer']);
  });
});
