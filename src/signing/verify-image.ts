import { createHash, X509Certificate } from 'node:crypto';
import { bundleToJSON, toMessageSignatureBundle, type Bundle } from '@sigstore/bundle';
import type { TrustMaterial } from '@sigstore/verify';
import { checkStatement } from '../attest/check-statement.ts';
import type { ImageSubject } from '../attest/statements.ts';
import type { SignatureStatus } from '../policy/evaluate.ts';
import type { RegistryClient } from '../registry/client.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { discoverSignatures, type FoundSignatures, type LegacySignature } from './discover.ts';
import { trustedKey, verifyKeyedBundle, type TrustedKey } from './verify-bundle.ts';
import { verifyKeylessBundle } from './verify-keyless.ts';

// An image's signatures checked against a policy's authorities: legacy cosign signatures are
// converted to sigstore bundles and verified by the same sigstore-js path as bundle referrers;
// then the signed payload must name this image's digest.

/** cosign 3's image-signature statement type */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';

export interface Authority { name: string; key?: string; keyless?: { issuer: string; subject: string } }

export interface SignatureResult {
  format: 'cosign-legacy' | 'sigstore-bundle' | 'notation';
  /** the layer or manifest digest holding it */
  ref: string;
  verified: boolean;
  /** the authority whose key verified it */
  authority?: string;
  reason?: string;
  /** when the signer says it signed (bundle referrers' created annotation) */
  signedAt?: string;
  /**
   * a verified signature's transparency-log entries and RFC 3161 timestamps: verified against the
   * trusted root, or why not (not held by the root, no root configured); they never refuse a
   * signature that verifies with a key unless the root holds their log or authority
   */
  notes?: string;
}

const notesOf = (notes: string[]) => (notes.length ? { notes: notes.join('; ') } : {});

export async function verifyImageSignatures(client: RegistryClient, image: ImageSubject, authorities: Authority[], maxManifestBytes: number, trust?: TrustMaterial): Promise<SignatureResult[]> {
  return checkFound(await discoverSignatures(client, image, maxManifestBytes), image, authorities, trust);
}

export function checkFound(found: FoundSignatures, image: ImageSubject, authorities: Authority[], trust?: TrustMaterial): SignatureResult[] {
  const keys: TrustedKey[] = [];
  for (const a of authorities) if (a.key) { try { keys.push(trustedKey(a.key, a.name)); } catch { /* a policy key that does not parse matches nothing */ } }
  const out: SignatureResult[] = [];
  const keyless = authorities.filter((a) => a.keyless);
  for (const s of found.legacy) out.push({ format: 'cosign-legacy', ref: s.digest, ...(s.certificate ? checkLegacyKeyless(s, image, keyless, trust) : checkLegacy(s, image, keys, trust)) });
  for (const b of found.bundles) {
    if ((b.bundle as any)?.verificationMaterial?.certificate || (b.bundle as any)?.verificationMaterial?.x509CertificateChain) {
      const base = { format: 'sigstore-bundle' as const, ref: b.digest, ...(b.created ? { signedAt: b.created } : {}) };
      const k = checkKeyless(b.bundle, undefined, keyless, trust);
      if (!k.ok) { out.push({ ...base, verified: false, reason: k.reason }); continue; }
      const st = checkStatement(k.bundle, { digest: image.digest, predicateType: COSIGN_SIGN_PREDICATE_TYPE });
      out.push(st.ok ? { ...base, verified: true, authority: k.authority } : { ...base, verified: false, reason: st.reason });
      continue;
    }
    const v = verifyKeyedBundle(b.bundle, keys, undefined, trust);
    const base = { format: 'sigstore-bundle' as const, ref: b.digest, ...(b.created ? { signedAt: b.created } : {}) };
    if (!v.ok) { out.push({ ...base, verified: false, reason: v.reason }); continue; }
    const st = checkStatement(v.bundle, { digest: image.digest, predicateType: COSIGN_SIGN_PREDICATE_TYPE });
    out.push(st.ok ? { ...base, verified: true, authority: v.key, ...notesOf(v.notes) } : { ...base, verified: false, reason: st.reason });
  }
  for (const n of found.notation) out.push({ format: 'notation', ref: n.digest, verified: false, reason: 'Notation signature present; not verified (no JavaScript Notation verifier)' });
  return out;
}

/** a keyless bundle checked against each keyless authority in turn */
function checkKeyless(bundle: unknown, artifact: Buffer | undefined, keyless: Authority[], trust: TrustMaterial | undefined): { ok: true; authority: string; bundle: Bundle } | { ok: false; reason: string } {
  if (!trust) return { ok: false, reason: 'keyless signature: no trusted root configured (signing.trustedRoot)' };
  if (!keyless.length) return { ok: false, reason: 'keyless signature: the policy names no keyless authority' };
  const reasons: string[] = [];
  for (const a of keyless) {
    const r = verifyKeylessBundle(bundle, trust, a.keyless!, artifact);
    if (r.ok) return { ok: true, authority: a.name, bundle: r.bundle };
    reasons.push(`${a.name}: ${r.reason}`);
  }
  return { ok: false, reason: reasons.join('; ') };
}

/**
 * A cosign legacy signature as a v0.1 bundle: the certificate annotation (keyless) or a key hint
 * (keyed), and the Rekor entry with its signed entry timestamp from the bundle annotation, which
 * cosign adds for keyed signatures too (it logs them by default).
 */
export function legacyBundle(s: LegacySignature): unknown {
  const rekor = s.rekorBundle ? parseUntrustedJson<any>(s.rekorBundle, 'Rekor bundle annotation', 8) : undefined;
  const p = rekor?.Payload;
  const body = typeof p?.body === 'string' ? parseUntrustedJson<any>(Buffer.from(p.body, 'base64'), 'Rekor entry body', 16) : undefined;
  const signer = s.certificate
    ? { x509CertificateChain: { certificates: [{ rawBytes: new X509Certificate(s.certificate).raw.toString('base64') }] } }
    : { publicKey: { hint: '' } };
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: {
      ...signer,
      tlogEntries: p ? [{
        logIndex: String(p.logIndex), logId: { keyId: Buffer.from(String(p.logID), 'hex').toString('base64') },
        kindVersion: { kind: String(body?.kind ?? ''), version: String(body?.apiVersion ?? '') },
        integratedTime: String(p.integratedTime), inclusionPromise: { signedEntryTimestamp: String(rekor.SignedEntryTimestamp) },
        canonicalizedBody: p.body,
      }] : [],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(s.payload).digest('base64') }, signature: s.signature },
  };
}

function checkLegacyKeyless(s: LegacySignature, image: ImageSubject, keyless: Authority[], trust: TrustMaterial | undefined): Omit<SignatureResult, 'format' | 'ref'> {
  let bundle: unknown;
  try { bundle = legacyBundle(s); } catch (e) { return { verified: false, reason: `unusable keyless signature: ${String((e as Error).message).slice(0, 200)}` }; }
  const k = checkKeyless(bundle, s.payload, keyless, trust);
  if (!k.ok) return { verified: false, reason: k.reason };
  return payloadNames(s, image) ?? { verified: true, authority: k.authority };
}

/** undefined when the simple signing payload names this image, else why not */
function payloadNames(s: LegacySignature, image: ImageSubject): Omit<SignatureResult, 'format' | 'ref'> | undefined {
  let payload: any;
  try { payload = parseUntrustedJson(s.payload, 'simple signing payload', 16); } catch (e) { return { verified: false, reason: (e as Error).message }; }
  const signed = payload?.critical?.image?.['docker-manifest-digest'];
  if (signed !== image.digest) return { verified: false, reason: `signed payload names ${String(signed).slice(0, 80)}, not ${image.digest}` };
  return undefined;
}

function checkLegacy(s: LegacySignature, image: ImageSubject, keys: TrustedKey[], trust: TrustMaterial | undefined): Omit<SignatureResult, 'format' | 'ref'> {
  let bundle: unknown;
  try {
    bundle = s.rekorBundle
      ? legacyBundle(s)
      : bundleToJSON(toMessageSignatureBundle({ digest: createHash('sha256').update(s.payload).digest(), signature: Buffer.from(s.signature, 'base64') }));
  } catch (e) {
    return { verified: false, reason: `unusable signature: ${String((e as Error).message).slice(0, 200)}` };
  }
  const v = verifyKeyedBundle(bundle, keys, s.payload, trust);
  if (!v.ok) return { verified: false, reason: v.reason };
  return payloadNames(s, image) ?? { verified: true, authority: v.key, ...notesOf(v.notes) };
}

/** The policy's view: for each authority, whether some signature verified with it. */
export function signatureStatuses(results: SignatureResult[], authorities: Authority[]): SignatureStatus[] {
  return authorities.map((a) => ({ authority: a.name, verified: results.some((r) => r.verified && r.authority === a.name) }));
}
