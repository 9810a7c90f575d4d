// Keyless signatures against a custom trusted root: a test CA (made with openssl, a Fulcio-shaped
// leaf certificate with the issuer extension and a workflow URI), a test transparency-log key that
// signs the entry timestamp of a hashedrekord entry, and sigstore-js verifying it all.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { publicGoodRoot, trustFromRoot, verifyKeylessBundle } from '../src/signing/verify-keyless.ts';
import { checkFound } from '../src/signing/verify-image.ts';

const ISSUER = 'https://token.actions.githubusercontent.com';
const SUBJECT = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
const DIGEST = 'sha256:' + 'ab'.repeat(32);

interface Pki { dir: string; caDer: Buffer; leafPem: string; leafDer: Buffer; leafKey: string; tlogKey: ReturnType<typeof generateKeyPairSync> }

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** a CA and a leaf signed by it; the leaf carries the Fulcio issuer extension (v2, UTF8String) */
function makePki(name: string, leafDays = 2, issuer = ISSUER, subject = SUBJECT): Pki {
  const dir = mkdtempSync(join(tmpdir(), `customs-keyless-${name}-`));
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem',
    '-subj', '/O=test/CN=test-fulcio', '-days', '30', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'leaf.key'], dir);
  openssl(['req', '-new', '-key', 'leaf.key', '-subj', '/', '-out', 'leaf.csr'], dir);
  writeFileSync(join(dir, 'ext.cnf'), [
    `subjectAltName=critical,URI:${subject}`,
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=codeSigning',
    `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${issuer}`,
  ].join('\n') + '\n');
  openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', String(leafDays), '-extfile', 'ext.cnf', '-out', 'leaf.pem'], dir);
  const leafPem = readFileSync(join(dir, 'leaf.pem'), 'utf8');
  return {
    dir, caDer: new X509Certificate(readFileSync(join(dir, 'ca.pem'))).raw, leafPem, leafDer: new X509Certificate(leafPem).raw,
    leafKey: readFileSync(join(dir, 'leaf.key'), 'utf8'), tlogKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  };
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as any)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

function logId(pki: Pki): Buffer {
  return createHash('sha256').update(pki.tlogKey.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).digest();
}

function trustedRoot(pki: Pki): string {
  return JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{ baseUrl: 'https://rekor.test', hashAlgorithm: 'SHA2_256', logId: { keyId: logId(pki).toString('base64') },
      publicKey: { rawBytes: (pki.tlogKey.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2020-01-01T00:00:00Z' } } }],
    certificateAuthorities: [{ subject: { organization: 'test', commonName: 'test-fulcio' }, uri: 'https://fulcio.test',
      certChain: { certificates: [{ rawBytes: pki.caDer.toString('base64') }] }, validFor: { start: '2020-01-01T00:00:00Z' } }],
    ctlogs: [], timestampAuthorities: [],
  });
}

/** a cosign-style keyless signature of `artifact` as a v0.1 bundle with a signed entry timestamp */
function keylessBundle(pki: Pki, artifact: Buffer, opts: { integratedTime?: number; signWith?: Pki } = {}): unknown {
  const signature = sign('sha256', artifact, createPrivateKey(pki.leafKey));
  const body = Buffer.from(canonical({
    apiVersion: '0.0.1', kind: 'hashedrekord',
    spec: { data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(artifact).digest('hex') } }, signature: { content: signature.toString('base64'), publicKey: { content: Buffer.from(pki.leafPem).toString('base64') } } },
  }));
  const integratedTime = opts.integratedTime ?? Math.floor(Date.now() / 1000);
  const logger = opts.signWith ?? pki;
  const set = sign('sha256', Buffer.from(canonical({ body: body.toString('base64'), integratedTime, logID: logId(logger).toString('hex'), logIndex: 7 })), logger.tlogKey.privateKey);
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: {
      x509CertificateChain: { certificates: [{ rawBytes: pki.leafDer.toString('base64') }] },
      tlogEntries: [{ logIndex: '7', logId: { keyId: logId(logger).toString('base64') }, kindVersion: { kind: 'hashedrekord', version: '0.0.1' }, integratedTime: String(integratedTime), inclusionPromise: { signedEntryTimestamp: set.toString('base64') }, canonicalizedBody: body.toString('base64') }],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(artifact).digest('base64') }, signature: signature.toString('base64') },
  };
}

const payload = (digest = DIGEST) => Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': 'r/app' }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));

let pki: Pki;
beforeAll(() => { pki = makePki('main'); });

describe('keyless verification against a custom trusted root', () => {
  it('accepts a signature by the expected identity, exactly or by /regex/', () => {
    const trust = trustFromRoot(trustedRoot(pki));
    const art = payload();
    const r = verifyKeylessBundle(keylessBundle(pki, art), trust, { issuer: ISSUER, subject: SUBJECT }, art);
    expect(r).toMatchObject({ ok: true, issuer: ISSUER, subject: SUBJECT });
    expect(verifyKeylessBundle(keylessBundle(pki, art), trust, { issuer: ISSUER, subject: '/^https://github\\.com/acme//' }, art).ok).toBe(true);
  });

  it('refuses a wrong identity, a tampered payload, an untrusted CA, a log entry not signed by the log, an expired certificate', () => {
    const trust = trustFromRoot(trustedRoot(pki));
    const art = payload();
    const wrongSubject = verifyKeylessBundle(keylessBundle(pki, art), trust, { issuer: ISSUER, subject: '/^https://github\\.com/evil//' }, art);
    expect(wrongSubject).toMatchObject({ ok: false, reason: expect.stringMatching(/certificate subject ".*acme.*" does not match/) });
    const wrongIssuer = verifyKeylessBundle(keylessBundle(pki, art), trust, { issuer: 'https://accounts.google.com', subject: SUBJECT }, art);
    expect(wrongIssuer).toMatchObject({ ok: false, reason: expect.stringMatching(/certificate issuer "https:\/\/token\.actions/) });

    const tampered = verifyKeylessBundle(keylessBundle(pki, art), trust, { issuer: ISSUER, subject: SUBJECT }, payload('sha256:' + 'cd'.repeat(32)));
    expect(tampered).toMatchObject({ ok: false, reason: 'signature verification failed' });

    const stranger = makePki('stranger');
    const untrusted = verifyKeylessBundle(keylessBundle(stranger, art), trust, { issuer: ISSUER, subject: SUBJECT }, art);
    expect(untrusted).toMatchObject({ ok: false, reason: 'Failed to verify certificate chain' });

    const forgedLog = verifyKeylessBundle(keylessBundle(pki, art, { signWith: stranger }), trust, { issuer: ISSUER, subject: SUBJECT }, art);
    expect(forgedLog).toMatchObject({ ok: false, reason: 'inclusion promise could not be verified' });

    // the same certificate, but the log saw the signature three days later, after it expired (2 days)
    const expired = verifyKeylessBundle(keylessBundle(pki, art, { integratedTime: Math.floor(Date.now() / 1000) + 3 * 86400 }), trust, { issuer: ISSUER, subject: SUBJECT }, art);
    expect(expired).toMatchObject({ ok: false, reason: 'Failed to verify certificate chain' });

    expect(verifyKeylessBundle({ mediaType: 'nope' }, trust, { issuer: ISSUER, subject: SUBJECT }, art)).toMatchObject({ ok: false, reason: expect.stringMatching(/not a valid sigstore bundle/) });
  });

  it('a keyed bundle is not a keyless signature', () => {
    const trust = trustFromRoot(trustedRoot(pki));
    const b: any = keylessBundle(pki, payload());
    b.mediaType = 'application/vnd.dev.sigstore.bundle.v0.3+json';
    b.verificationMaterial = { publicKey: { hint: 'k' }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } };
    expect(verifyKeylessBundle(b, trust, { issuer: ISSUER, subject: SUBJECT }, payload())).toMatchObject({ ok: false, reason: 'not a keyless signature (no certificate)' });
    expect(createPublicKey(pki.leafPem).asymmetricKeyType).toBe('ec');
  });

  it('a legacy cosign keyless signature (certificate and Rekor bundle annotations) satisfies a keyless authority', () => {
    const trust = trustFromRoot(trustedRoot(pki));
    const art = payload();
    const b: any = keylessBundle(pki, art);
    const e = b.verificationMaterial.tlogEntries[0];
    // what cosign writes on the .sig layer: the certificate PEM and the Rekor entry with its SET
    const legacy = {
      payload: art, signature: b.messageSignature.signature, digest: 'sha256:' + '9'.repeat(64), certificate: pki.leafPem,
      rekorBundle: JSON.stringify({ SignedEntryTimestamp: e.inclusionPromise.signedEntryTimestamp, Payload: { body: e.canonicalizedBody, integratedTime: Number(e.integratedTime), logIndex: 7, logID: Buffer.from(e.logId.keyId, 'base64').toString('hex') } }),
    };
    const authorities = [{ name: 'release', keyless: { issuer: ISSUER, subject: '/^https://github\\.com/acme//' } }];
    const image = { registry: 'r', repository: 'app', digest: DIGEST };
    expect(checkFound({ legacy: [legacy], bundles: [], notation: [] }, image, authorities, trust)).toEqual([{ format: 'cosign-legacy', ref: legacy.digest, verified: true, authority: 'release' }]);
    // the same signature for another image, without a root, or with another identity: refused with the reason
    expect(checkFound({ legacy: [legacy], bundles: [], notation: [] }, { ...image, digest: 'sha256:' + 'cd'.repeat(32) }, authorities, trust)[0]).toMatchObject({ verified: false, reason: expect.stringMatching(/^signed payload names sha256:abab/) });
    expect(checkFound({ legacy: [legacy], bundles: [], notation: [] }, image, authorities)[0]).toMatchObject({ verified: false, reason: 'keyless signature: no trusted root configured (signing.trustedRoot)' });
    expect(checkFound({ legacy: [legacy], bundles: [], notation: [] }, image, [{ name: 'ops', keyless: { issuer: ISSUER, subject: 'ops@acme.example' } }], trust)[0]).toMatchObject({ verified: false, reason: expect.stringMatching(/^ops: certificate subject/) });
    const noLog = { ...legacy, rekorBundle: undefined };
    delete (noLog as any).rekorBundle;
    expect(checkFound({ legacy: [noLog], bundles: [], notation: [] }, image, authorities, trust)[0]).toMatchObject({ verified: false });
  });

  it('the Sigstore public-good root is available offline and does not trust a test CA', () => {
    const root = JSON.parse(publicGoodRoot().toString('utf8'));
    expect(root.mediaType).toMatch(/^application\/vnd\.dev\.sigstore\.trustedroot\+json/);
    expect(root.certificateAuthorities.some((c: any) => /fulcio\.sigstore\.dev/.test(c.uri))).toBe(true);
    expect(root.tlogs.some((t: any) => /rekor\.sigstore\.dev/.test(t.baseUrl))).toBe(true);
    const trust = trustFromRoot(publicGoodRoot());
    const art = payload();
    expect(verifyKeylessBundle(keylessBundle(pki, art), trust, { issuer: ISSUER, subject: SUBJECT }, art).ok).toBe(false);
  });
});

