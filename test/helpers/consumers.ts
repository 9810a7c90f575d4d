// Small, independent re-implementations of what the real consumers of Customs' attestations check
// — cosign (v2 legacy and v3 bundle paths), Kyverno (`type: Cosign` and `type: SigstoreBundle`) and
// sigstore policy-controller — written from their Go sources, each function naming the file and
// function it follows. They read the registry over plain HTTP (no Customs code) and verify with
// node's crypto; the key fingerprint Go computes is taken from ssh-keygen. Nothing here imports
// src/: a rule Customs breaks makes these refuse, whatever Customs' own reader thinks.
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const IN_TOTO = 'application/vnd.in-toto+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST_ACCEPT = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json', OCI_INDEX].join(',');

export class Refused extends Error {}
const refuse = (msg: string): never => { throw new Refused(msg); };

// ---------------------------------------------------------------------------------------------
// Registry reads (go-containerregistry, as vendored by all three consumers)

export interface Descriptor { mediaType: string; digest: string; size: number; artifactType?: string; annotations?: Record<string, string> }

async function get(base: string, path: string, accept?: string): Promise<{ status: number; type: string; body: Buffer }> {
  const res = await fetch(`${base}${path}`, { headers: accept ? { accept } : {} });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
}

export async function manifest(base: string, repo: string, ref: string): Promise<any | undefined> {
  const r = await get(base, `/v2/${repo}/manifests/${ref}`, MANIFEST_ACCEPT);
  if (r.status === 404) return undefined;
  if (r.status !== 200) refuse(`GET manifest ${ref}: ${r.status}`);
  // ggcr fetchManifest: a manifest fetched by digest must hash to it
  if (ref.startsWith('sha256:') && `sha256:${createHash('sha256').update(r.body).digest('hex')}` !== ref) refuse(`manifest digest mismatch for ${ref}`);
  return JSON.parse(r.body.toString('utf8'));
}

export async function blob(base: string, repo: string, d: Descriptor): Promise<Buffer> {
  const r = await get(base, `/v2/${repo}/blobs/${d.digest}`);
  if (r.status !== 200) refuse(`GET blob ${d.digest}: ${r.status}`);
  // ggcr fetcher.go fetchBlob + internal/verify: size and digest must match the descriptor
  if (r.body.length !== d.size) refuse(`blob ${d.digest}: ${r.body.length} bytes, descriptor says ${d.size}`);
  if (`sha256:${createHash('sha256').update(r.body).digest('hex')}` !== d.digest) refuse(`blob ${d.digest}: digest mismatch`);
  return r.body;
}

/**
 * go-containerregistry pkg/v1/remote/referrers.go fetchReferrers: the referrers API first (used only
 * when it answers 200 with an OCI index content type), else the tag-schema fallback
 * `sha256-<hex>` fetched as an OCI index; no fallback tag means no referrers.
 */
export async function referrers(base: string, repo: string, digest: string): Promise<Descriptor[]> {
  const api = await get(base, `/v2/${repo}/referrers/${digest}`, OCI_INDEX);
  let index: any;
  if (api.status === 200 && api.type === OCI_INDEX) index = JSON.parse(api.body.toString('utf8'));
  else {
    const r = await get(base, `/v2/${repo}/manifests/${digest.replace(':', '-')}`, OCI_INDEX);
    if (r.status === 404) return [];
    if (r.status !== 200) refuse(`fallback tag: ${r.status}`);
    index = JSON.parse(r.body.toString('utf8'));
  }
  return Array.isArray(index?.manifests) ? index.manifests : [];
}

// ---------------------------------------------------------------------------------------------
// DSSE

/** Go's ssh.FingerprintSHA256 of a public key — "SHA256:<unpadded base64>" — as ssh-keygen prints it. */
export function sshFingerprint(pubPem: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'customs-fp-'));
  writeFileSync(join(dir, 'key.pem'), pubPem);
  const openssh = execFileSync('ssh-keygen', ['-i', '-m', 'PKCS8', '-f', join(dir, 'key.pem')], { encoding: 'utf8' });
  writeFileSync(join(dir, 'key.pub'), openssh);
  const line = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'key.pub')], { encoding: 'utf8' });
  const fp = /SHA256:[A-Za-z0-9+/]+/.exec(line)?.[0];
  if (!fp) throw new Error(`ssh-keygen printed no fingerprint: ${line}`);
  return fp;
}

/** PAE from the DSSE protocol text (byte lengths, ASCII decimal). */
export function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
}

/** Go encoding/base64 StdEncoding.DecodeString: padded standard alphabet only. */
export function goStdBase64(s: unknown, what: string): Buffer {
  if (typeof s !== 'string' || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) refuse(`${what}: illegal base64 data`);
  return Buffer.from(s as string, 'base64');
}

/** protojson bytes: standard or URL alphabet, padding optional. */
function protoBytes(s: unknown, what: string): Buffer {
  if (typeof s !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) refuse(`${what}: not base64`);
  return Buffer.from((s as string).replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/**
 * go-securesystemslib dsse/verify.go EnvelopeVerifier.VerifyAndDecode with one verifier, threshold 1.
 * The verifier's keyid is its KeyID() (sigstore's dsse.VerifierAdapter returns PubKeyID, never set
 * by cosign or sigstore-go, so "") or else SHA256KeyID(Public()) — which fails when the adapter was
 * made without Pub (cosign's legacy path), leaving "" and no keyid comparison at all. A signature
 * whose non-empty keyid differs from a non-empty computed keyid is skipped.
 * `adapterPub`: sigstore-go pkg/verify/signature.go verifyEnvelope sets Pub; cosign
 * pkg/cosign/verify.go verifyOCIAttestation does not.
 */
export function securesystemslibVerify(env: any, pubPem: string, adapterPub: boolean): Buffer {
  const sigs: any[] = Array.isArray(env?.signatures) ? env.signatures : [];
  if (!sigs.length) refuse('no signature found');
  const body = goStdBase64(env.payload, 'payload');
  const data = pae(String(env.payloadType ?? ''), body);
  const key = createPublicKey(pubPem);
  const keyID = adapterPub ? sshFingerprint(pubPem) : '';
  let accepted = 0;
  for (const s of sigs) {
    const sig = goStdBase64(s?.sig, 'sig');
    const kid = typeof s?.keyid === 'string' ? s.keyid : '';
    if (kid !== '' && keyID !== '' && kid !== keyID) continue;
    if (!cryptoVerify('sha256', data, key, sig)) continue;
    accepted++;
    break; // one provider: it is removed once it accepted a signature
  }
  if (accepted < 1) refuse(`accepted signatures do not match threshold, Found: ${accepted}, Expected 1`);
  return body;
}

// ---------------------------------------------------------------------------------------------
// in-toto statements

const RESOURCE_DESCRIPTOR_FIELDS = new Set(['name', 'uri', 'digest', 'content', 'downloadLocation', 'download_location', 'mediaType', 'media_type', 'annotations']);
const STATEMENT_FIELDS = new Set(['_type', 'type', 'subject', 'predicateType', 'predicate_type', 'predicate']);

/**
 * protojson.Unmarshal into in-toto attestation v1 `Statement` (go/v1/statement.pb.go), which both
 * cosign (pkg/cosign/attestation/attestation.go Statement.UnmarshalJSON) and sigstore-go
 * (pkg/bundle/signature_content.go Envelope.Statement) use: unknown fields are errors, string
 * fields must be strings, digests a map of strings, the predicate a JSON object (Struct).
 * cosign then retries with a string predicate only.
 */
export function protojsonStatement(raw: Buffer): { _type: string; subject: { name?: string; digest: Record<string, string> }[]; predicateType: string; predicate: any } {
  let st: any;
  try { st = JSON.parse(raw.toString('utf8')); } catch { refuse('statement is not JSON'); }
  if (!st || typeof st !== 'object' || Array.isArray(st)) refuse('statement is not an object');
  for (const k of Object.keys(st)) if (!STATEMENT_FIELDS.has(k)) refuse(`unknown field "${k}" in Statement`);
  const type = st._type ?? st.type;
  if (typeof type !== 'string') refuse('_type is not a string');
  const pt = st.predicateType ?? st.predicate_type;
  if (typeof pt !== 'string') refuse('predicateType is not a string');
  if (st.predicate !== undefined && st.predicate !== null && (typeof st.predicate !== 'object' || Array.isArray(st.predicate))) {
    refuse(`could not parse predicate with type ${typeof st.predicate}`);
  }
  if (st.subject !== undefined && !Array.isArray(st.subject)) refuse('subject is not a list');
  for (const s of st.subject ?? []) {
    if (s === null) continue; // protojson leaves a null list entry nil; IntotoSubjectClaimVerifier refuses it
    if (typeof s !== 'object' || Array.isArray(s)) refuse('subject entry is not an object');
    for (const k of Object.keys(s)) if (!RESOURCE_DESCRIPTOR_FIELDS.has(k)) refuse(`unknown field "${k}" in ResourceDescriptor`);
    if (s.name !== undefined && typeof s.name !== 'string') refuse('subject name is not a string');
    if (s.digest !== undefined && (typeof s.digest !== 'object' || Array.isArray(s.digest) || Object.values(s.digest).some((v) => typeof v !== 'string'))) refuse('subject digest is not a map of strings');
  }
  return { _type: type, subject: st.subject ?? [], predicateType: pt, predicate: st.predicate };
}

/**
 * cosign pkg/cosign/verifiers.go IntotoSubjectClaimVerifier (the ClaimVerifier of `cosign
 * verify-attestation` — --check-claims defaults to true —, Kyverno's attestations and
 * policy-controller's validAttestations): the statement must have a subject whose sha256 digest is
 * the image digest.
 */
export function intotoSubjectClaim(env: any, imageDigest: string): void {
  const st = protojsonStatement(goStdBase64(env?.payload, 'payload'));
  for (const s of st.subject) {
    if (s === null) refuse('invalid in-toto statement: null subject entry');
    const d = s.digest?.sha256;
    if (d === undefined) continue;
    if (`sha256:${d}` === imageDigest) return;
  }
  refuse('no matching subject digest found');
}

/** cosign cmd/cosign/cli/options/predicate.go PredicateTypeMap (the names `--type` accepts). */
export const PREDICATE_TYPE_MAP: Record<string, string> = {
  custom: 'https://cosign.sigstore.dev/attestation/v1',
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  link: 'https://in-toto.io/Link/v1',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  openvex: 'https://openvex.dev/ns',
};

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const goString = (v: unknown, what: string) => { if (v !== undefined && v !== null && typeof v !== 'string') refuse(`json: cannot unmarshal ${typeof v} into Go struct field ${what} of type string`); };

/**
 * cosign pkg/policy/attestation.go AttestationToPayloadJSON (`cosign verify-attestation --type`,
 * policy-controller's attestation policies): the DSSE payload decodes (StdEncoding), the statement
 * parses, its predicateType must be the requested one (else "not the predicate we're looking
 * for": undefined), and for `vuln` it must decode into attestation.CosignVulnStatement — string
 * fields strings, scanStartedOn/scanFinishedOn Go time.Time (RFC 3339).
 */
export function attestationToPayloadJSON(env: any, predicateType: string): any | undefined {
  const want = PREDICATE_TYPE_MAP[predicateType] ?? predicateType;
  const raw = goStdBase64(env?.payload, 'payload');
  const st = protojsonStatement(raw);
  if (st.predicateType !== want) return undefined;
  if (predicateType === 'vuln') {
    const p = st.predicate ?? {};
    goString(p.invocation?.uri, 'Invocation.uri'); goString(p.invocation?.event_id, 'Invocation.event_id'); goString(p.invocation?.['builder.id'], 'Invocation.builder.id');
    goString(p.scanner?.uri, 'Scanner.uri'); goString(p.scanner?.version, 'Scanner.version');
    goString(p.scanner?.db?.uri, 'DB.uri'); goString(p.scanner?.db?.version, 'DB.version');
    for (const f of ['scanStartedOn', 'scanFinishedOn']) {
      const t = p.metadata?.[f];
      if (typeof t !== 'string' || !RFC3339.test(t) || Number.isNaN(Date.parse(t))) refuse(`parsing time ${JSON.stringify(t)} as RFC 3339 (metadata.${f})`);
    }
  }
  return JSON.parse(raw.toString('utf8'));
}

// ---------------------------------------------------------------------------------------------
// sigstore bundles (sigstore-go)

const BUNDLE_SCHEMA: any = {
  mediaType: 's', media_type: 's',
  verificationMaterial: 'vm', verification_material: 'vm',
  dsseEnvelope: 'env', dsse_envelope: 'env',
  messageSignature: 'any', message_signature: 'any',
};
const VM_FIELDS = new Set(['publicKey', 'public_key', 'x509CertificateChain', 'x509_certificate_chain', 'certificate', 'tlogEntries', 'tlog_entries', 'timestampVerificationData', 'timestamp_verification_data']);

/**
 * protojson.Unmarshal into sigstore's protobuf Bundle (cosign pkg/oci/remote/signatures.go Bundle,
 * Kyverno's bundle.UnmarshalJSON): unknown fields are errors, bytes are base64. Then sigstore-go
 * pkg/bundle/bundle.go validate: the media type names a version (v0.1 … v0.3), v0.2+ log entries
 * need an inclusion proof, v0.3 has no X.509 chain, the content is a DSSE envelope or a message
 * signature and the verification material a public key or certificate.
 * Returns the version ("v0.3").
 */
export function sigstoreGoBundle(json: any): string {
  if (!json || typeof json !== 'object' || Array.isArray(json)) refuse('bundle is not an object');
  for (const k of Object.keys(json)) if (!(k in BUNDLE_SCHEMA)) refuse(`unknown field "${k}" in Bundle`);
  const vm = json.verificationMaterial ?? json.verification_material;
  if (vm !== undefined) for (const k of Object.keys(vm)) if (!VM_FIELDS.has(k)) refuse(`unknown field "${k}" in VerificationMaterial`);
  const pk = vm?.publicKey ?? vm?.public_key;
  if (pk !== undefined) for (const k of Object.keys(pk)) if (k !== 'hint') refuse(`unknown field "${k}" in PublicKeyIdentifier`);
  const env = json.dsseEnvelope ?? json.dsse_envelope;
  if (env !== undefined) {
    for (const k of Object.keys(env)) if (!['payload', 'payloadType', 'payload_type', 'signatures'].includes(k)) refuse(`unknown field "${k}" in Envelope`);
    protoBytes(env.payload, 'payload');
    for (const s of env.signatures ?? []) {
      for (const k of Object.keys(s)) if (!['sig', 'keyid'].includes(k)) refuse(`unknown field "${k}" in Signature`);
      protoBytes(s.sig, 'sig');
    }
  }
  // getBundleVersion
  const mt = String(json.mediaType ?? json.media_type ?? '');
  const base = 'application/vnd.dev.sigstore.bundle';
  let version: string | undefined = ({ [`${base}+json;version=0.1`]: 'v0.1', [`${base}+json;version=0.2`]: 'v0.2', [`${base}+json;version=0.3`]: 'v0.3' } as Record<string, string>)[mt];
  if (!version && mt.startsWith(`${base}.v`) && mt.endsWith('+json')) {
    const v = mt.slice(base.length + 1, -'+json'.length);
    if (/^v\d+\.\d+(\.\d+)?$/.test(v)) version = v;
  }
  if (!version) refuse(`unsupported media type: ${mt}`);
  const cmp = (a: string, b: string) => { const [x, y] = [a, b].map((v) => v.slice(1).split('.').map(Number)); return (x![0]! - y![0]!) || (x![1]! - y![1]!); };
  if (cmp(version!, 'v0.4') >= 0) refuse(`bundle version ${version} is not yet supported`);
  const entries: any[] = vm?.tlogEntries ?? vm?.tlog_entries ?? [];
  if (version === 'v0.1' && entries.some((e) => !e.inclusionPromise)) refuse('inclusion promises missing in bundle (required for bundle v0.1)');
  if (version !== 'v0.1' && entries.some((e) => !e.inclusionProof)) refuse('inclusion proof missing in bundle (required for bundle v0.2)');
  if (cmp(version!, 'v0.3') >= 0 && (vm?.x509CertificateChain ?? vm?.x509_certificate_chain)) refuse('verification material cannot be X.509 certificate chain (for bundle v0.3)');
  // validateBundle
  if (!env && !(json.messageSignature ?? json.message_signature)) refuse('missing bundle content');
  if (!pk && !vm?.certificate && !(vm?.x509CertificateChain ?? vm?.x509_certificate_chain)) refuse('missing verification material');
  return version!;
}

/**
 * sigstore-go pkg/verify/signed_entity.go Verify + signature.go verifyEnvelopeWithArtifactDigests,
 * as cosign 3 (`--key … --insecure-ignore-tlog`: verify.WithNoObserverTimestamps, policy WithKey
 * and WithArtifactDigest(sha256, image)) and Kyverno 1.19 `SigstoreBundle` with a key run it:
 * a public-key bundle (WithKey refuses certificates), exactly one DSSE signature verified through
 * securesystemslib with Pub set, an in-toto payload type, a statement that protojson parses, at
 * most 1024 subjects of at most 32 digests, and the image digest among the sha256 subject digests.
 */
export function sigstoreGoVerifyWithKey(bundle: any, pubPem: string, imageDigest: string): { statement: ReturnType<typeof protojsonStatement>; envelope: any } {
  sigstoreGoBundle(bundle);
  const vm = bundle.verificationMaterial;
  if (!vm?.publicKey) refuse('expected key signature, not certificate');
  const env = bundle.dsseEnvelope;
  if (!env) refuse('not a DSSE envelope');
  if (env.signatures?.length !== 1) refuse('exactly one signature is required');
  // protobuf bytes → the Go struct keeps raw bytes; re-encode for the securesystemslib envelope
  const goEnv = { payloadType: env.payloadType, payload: protoBytes(env.payload, 'payload').toString('base64'), signatures: env.signatures.map((s: any) => ({ keyid: s.keyid ?? '', sig: protoBytes(s.sig, 'sig').toString('base64') })) };
  securesystemslibVerify(goEnv, pubPem, true);
  if (env.payloadType !== IN_TOTO) refuse('unsupported media type');
  const st = protojsonStatement(Buffer.from(goEnv.payload, 'base64'));
  if (st.subject.length > 1024) refuse('too many subjects');
  if (st.subject.some((s) => s && Object.keys(s.digest ?? {}).length > 32)) refuse('too many digests');
  const [alg, hex] = imageDigest.split(':');
  const digests: string[] = [];
  for (const s of st.subject) for (const [a, d] of Object.entries(s?.digest ?? {})) {
    if (!/^([0-9a-fA-F]{2})*$/.test(d)) refuse('could not verify artifact: unable to decode subject digest');
    if (a === alg) digests.push(d.toLowerCase());
  }
  if (!digests.length) refuse('provided artifact digests does not match digests in statement');
  if (!digests.includes(hex!)) refuse('provided artifact digest does not match any digest in statement');
  return { statement: st, envelope: goEnv };
}

// ---------------------------------------------------------------------------------------------
// The consumers' flows

/**
 * cosign 3 pkg/cosign/verify.go GetBundles + pkg/oci/remote/signatures.go Bundle: every referrer
 * (no artifactType filter) whose manifest has exactly one layer of a
 * `application/vnd.dev.sigstore.bundle*` media type holding a protojson-valid bundle of version
 * v0.3 or later; anything else is skipped silently.
 */
export async function cosignGetBundles(base: string, repo: string, digest: string): Promise<{ referrer: Descriptor; bundle: any }[]> {
  const out: { referrer: Descriptor; bundle: any }[] = [];
  for (const d of await referrers(base, repo, digest)) {
    try {
      const m = await manifest(base, repo, d.digest);
      if (m?.layers?.length !== 1) refuse('expected exactly one layer');
      if (!String(m.layers[0].mediaType).startsWith('application/vnd.dev.sigstore.bundle')) refuse('expected bundle layer');
      const json = JSON.parse((await blob(base, repo, m.layers[0])).toString('utf8'));
      const v = sigstoreGoBundle(json);
      if (v === 'v0.1' || v === 'v0.2') refuse('bundle version too old');
      out.push({ referrer: d, bundle: json });
    } catch (e) {
      if (!(e instanceof Refused)) throw e;
    }
  }
  return out;
}

/**
 * `cosign verify-attestation --key K --insecure-ignore-tlog --type T` in cosign 3
 * (cmd/cosign/cli/verify/verify_attestation.go): with --new-bundle-format (default true) it reads
 * only bundles whenever GetBundles finds any (falling back to the `.att` tag only when there are
 * none); each bundle goes through VerifyNewBundle (sigstore-go), then the claim verifier, then
 * AttestationToPayloadJSON. Returns the payloads of type T; refuses when none verified.
 */
export async function cosign3VerifyAttestation(base: string, repo: string, digest: string, pubPem: string, type: string): Promise<{ layout: 'bundle' | 'legacy'; payloads: any[] }> {
  const bundles = await cosignGetBundles(base, repo, digest);
  if (!bundles.length) {
    const payloads = await cosignLegacyVerifyAttestation(base, repo, digest, pubPem, (env) => attestationToPayloadJSON(env, type));
    if (!payloads.length) refuse(`none of the attestations matched the predicate type: ${type}`);
    return { layout: 'legacy', payloads };
  }
  const verified: any[] = [];
  const errors: string[] = [];
  for (const b of bundles) {
    try {
      const { envelope } = sigstoreGoVerifyWithKey(b.bundle, pubPem, digest);
      intotoSubjectClaim(envelope, digest);
      verified.push(envelope);
    } catch (e) {
      if (!(e instanceof Refused)) throw e;
      errors.push(e.message);
    }
  }
  if (!verified.length) refuse(`no matching attestations: ${errors.join('; ')}`);
  const payloads = verified.map((env) => attestationToPayloadJSON(env, type)).filter((p) => p !== undefined);
  if (!payloads.length) refuse(`none of the attestations matched the predicate type: ${type}`);
  return { layout: 'bundle', payloads };
}

/**
 * cosign's legacy attestation path (pkg/cosign/verify.go VerifyImageAttestations →
 * VerifyImageAttestation → verifyInternal(verifyOCIAttestation)): the `sha256-<hex>.att` manifest,
 * at most 1000 layers (pkg/oci/remote/signatures.go maxLayers), each layer blob a DSSE envelope
 * with the in-toto payload type verified through securesystemslib *without* Pub, then
 * IntotoSubjectClaimVerifier. cosign 2's verify-attestation, Kyverno `type: Cosign`
 * (client.VerifyImageAttestations) and policy-controller key authorities (validAttestations) all
 * use it. `select` maps a verified envelope to what the caller keeps (undefined: not this type).
 */
export async function cosignLegacyVerifyAttestation(base: string, repo: string, digest: string, pubPem: string, select: (env: any) => any | undefined): Promise<any[]> {
  const m = await manifest(base, repo, `${digest.replace(':', '-')}.att`);
  const layers: Descriptor[] = m?.layers ?? [];
  if (layers.length > 1000) refuse(`number of layers (${layers.length}) exceeded the limit (1000)`);
  const verified: any[] = [];
  const errors: string[] = [];
  for (const l of layers) {
    try {
      const env = JSON.parse((await blob(base, repo, l)).toString('utf8'));
      if (env.payloadType !== IN_TOTO) refuse(`invalid payloadType ${env.payloadType} on envelope. Expected ${IN_TOTO}`);
      securesystemslibVerify(env, pubPem, false);
      intotoSubjectClaim(env, digest);
      verified.push(env);
    } catch (e) {
      if (!(e instanceof Refused) && !(e instanceof SyntaxError)) throw e;
      errors.push((e as Error).message);
    }
  }
  if (!verified.length) refuse(`no matching attestations: ${errors.join('; ')}`);
  return verified.map(select).filter((p) => p !== undefined);
}

/**
 * Kyverno `type: Cosign` attestations (pkg/image/verifiers/cpol/cosign/verifier.go
 * FetchAttestations → matchType / decodeStatement): the verified envelopes' statements (encoding/json,
 * lenient) whose predicateType equals the policy's `type`.
 */
export async function kyvernoCosignAttestations(base: string, repo: string, digest: string, pubPem: string, type: string): Promise<any[]> {
  return cosignLegacyVerifyAttestation(base, repo, digest, pubPem, (env) => {
    const st = JSON.parse(goStdBase64(env.payload, 'payload').toString('utf8'));
    return st.predicateType === type ? { ...st, type: st.predicateType } : undefined;
  });
}

/**
 * Kyverno 1.19 `type: SigstoreBundle` with `keys` and `rekor.ignoreTlog`/`ctlog.ignoreSCT`
 * (pkg/image/verifiers/cpol/cosign/sigstore.go verifyBundleAndFetchAttestations/fetchBundles):
 * more than 50 referrers is an error; referrers whose *index descriptor* artifactType does not
 * start with `application/vnd.dev.sigstore.bundle` are skipped; a bundle layer over 10,000,000
 * bytes or a bundle that does not unmarshal fails the whole verification; the bundles are filtered
 * by the statement's predicateType (encoding/json), then verified by sigstore-go with the key.
 * (Kyverno ≤ 1.18 reads SigstoreBundle keyless only: getTrustedRoot, no key material.)
 */
export async function kyvernoSigstoreBundle(base: string, repo: string, digest: string, pubPem: string, type: string): Promise<any[]> {
  const refs = await referrers(base, repo, digest);
  if (refs.length > 50) refuse('failed to fetch referrers: too many referrers found, max limit is 50');
  const bundles: any[] = [];
  for (const d of refs) {
    if (!String(d.artifactType ?? '').startsWith('application/vnd.dev.sigstore.bundle')) continue;
    const m = await manifest(base, repo, d.digest);
    if (!m?.layers?.length) refuse('layers not found');
    if (m.layers[0].size > 10 * 1000 * 1000) refuse(`layer size ${m.layers[0].size} exceeds ${10 * 1000 * 1000}`);
    const json = JSON.parse((await blob(base, repo, m.layers[0])).toString('utf8'));
    sigstoreGoBundle(json);
    bundles.push(json);
  }
  const matching = bundles.filter((b) => {
    const env = b.dsseEnvelope;
    if (!env || env.payloadType !== IN_TOTO) return false;
    try { return JSON.parse(protoBytes(env.payload, 'payload').toString('utf8')).predicateType === type; } catch { return false; }
  });
  const results: any[] = [];
  for (const b of matching) {
    try { results.push(sigstoreGoVerifyWithKey(b, pubPem, digest).statement); } catch (e) { if (!(e instanceof Refused)) throw e; }
  }
  if (!results.length) refuse('sigstore bundle verification failed: no matching signatures found');
  return results;
}

/**
 * policy-controller with `enableOCI11` (pkg/webhook/validation.go discoverAttestationsOCI11): only
 * referrers whose artifactType contains "in-toto" are taken as attestations; when it finds none it
 * falls back to the legacy `.att` path.
 */
export async function policyControllerOci11Attestations(base: string, repo: string, digest: string): Promise<Descriptor[]> {
  return (await referrers(base, repo, digest)).filter((d) => String(d.artifactType ?? '').includes('in-toto'));
}
