import { createHash } from 'node:crypto';
import { bundleToJSON, toMessageSignatureBundle } from '@sigstore/bundle';
import { checkStatement } from '../attest/check-statement.ts';
import type { ImageSubject } from '../attest/statements.ts';
import type { SignatureStatus } from '../policy/evaluate.ts';
import type { RegistryClient } from '../registry/client.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { discoverSignatures, type FoundSignatures, type LegacySignature } from './discover.ts';
import { trustedKey, verifyKeyedBundle, type TrustedKey } from './verify-bundle.ts';

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
}

export async function verifyImageSignatures(client: RegistryClient, image: ImageSubject, authorities: Authority[], maxManifestBytes: number): Promise<SignatureResult[]> {
  return checkFound(await discoverSignatures(client, image, maxManifestBytes), image, authorities);
}

export function checkFound(found: FoundSignatures, image: ImageSubject, authorities: Authority[]): SignatureResult[] {
  const keys: TrustedKey[] = [];
  for (const a of authorities) if (a.key) { try { keys.push(trustedKey(a.key, a.name)); } catch { /* a policy key that does not parse matches nothing */ } }
  const out: SignatureResult[] = [];
  for (const s of found.legacy) out.push({ format: 'cosign-legacy', ref: s.digest, ...checkLegacy(s, image, keys) });
  for (const b of found.bundles) {
    const v = verifyKeyedBundle(b.bundle, keys);
    const base = { format: 'sigstore-bundle' as const, ref: b.digest, ...(b.created ? { signedAt: b.created } : {}) };
    if (!v.ok) { out.push({ ...base, verified: false, reason: v.reason }); continue; }
    const st = checkStatement(v.bundle, { digest: image.digest, predicateType: COSIGN_SIGN_PREDICATE_TYPE });
    out.push(st.ok ? { ...base, verified: true, authority: v.key } : { ...base, verified: false, reason: st.reason });
  }
  for (const n of found.notation) out.push({ format: 'notation', ref: n.digest, verified: false, reason: 'Notation signature present; not verified (no JavaScript Notation verifier)' });
  return out;
}

function checkLegacy(s: LegacySignature, image: ImageSubject, keys: TrustedKey[]): Omit<SignatureResult, 'format' | 'ref'> {
  if (s.certificate) return { verified: false, reason: 'keyless (certificate) signature: keyless verification is not supported yet' };
  const signature = Buffer.from(s.signature, 'base64');
  const bundle = bundleToJSON(toMessageSignatureBundle({ digest: createHash('sha256').update(s.payload).digest(), signature }));
  const v = verifyKeyedBundle(bundle, keys, s.payload);
  if (!v.ok) return { verified: false, reason: v.reason };
  let payload: any;
  try { payload = parseUntrustedJson(s.payload, 'simple signing payload', 16); } catch (e) { return { verified: false, reason: (e as Error).message }; }
  const signed = payload?.critical?.image?.['docker-manifest-digest'];
  if (signed !== image.digest) return { verified: false, reason: `signed payload names ${String(signed).slice(0, 80)}, not ${image.digest}` };
  return { verified: true, authority: v.key };
}

/** The policy's view: for each authority, whether some signature verified with it. */
export function signatureStatuses(results: SignatureResult[], authorities: Authority[]): SignatureStatus[] {
  return authorities.map((a) => ({ authority: a.name, verified: results.some((r) => r.verified && r.authority === a.name) }));
}
