import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { keyIdOf } from './signer.ts';

// Keyed verification of a sigstore bundle (message signature or DSSE) with sigstore-js: the same
// verifier serves Customs' own attestations and (converted) cosign signatures, so there is one
// signature verifier, not two. No transparency log or timestamp is required for keyed bundles.

export interface TrustedKey {
  /** a name for reports: the file it came from, or the key id */
  name: string;
  key: KeyObject;
}

export type BundleCheck = { ok: true; key: string; bundle: Bundle } | { ok: false; reason: string };

const EMPTY_ROOT = { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };

export function trustedKey(pem: string | Buffer, name?: string): TrustedKey {
  const key = createPublicKey(pem);
  return { name: name ?? keyIdOf(key), key };
}

/** Verify `json` (a serialised bundle) against each key in turn; `artifact` for message signatures. */
export function verifyKeyedBundle(json: unknown, keys: TrustedKey[], artifact?: Buffer): BundleCheck {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (e) {
    return { ok: false, reason: `not a valid sigstore bundle: ${String((e as Error).message).slice(0, 200)}` };
  }
  let entity;
  try {
    entity = toSignedEntity(bundle, artifact);
  } catch (e) {
    return { ok: false, reason: `unusable bundle: ${String((e as Error).message).slice(0, 200)}` };
  }
  const reasons: string[] = [];
  for (const k of keys) {
    // sigstore-js hashes message signatures before verifying, which Ed25519 does not allow (it signs
    // the message itself, as cosign does with Ed25519 keys): that one case is checked directly.
    if (k.key.asymmetricKeyType === 'ed25519' && bundle.content.$case === 'messageSignature' && artifact) {
      if (cryptoVerify(null, artifact, k.key, bundle.content.messageSignature.signature)) return { ok: true, key: k.name, bundle };
      reasons.push(`${k.name}: signature verification failed`);
      continue;
    }
    // the bundle's key hint is advisory: every configured key is tried
    const trust = toTrustMaterial(EMPTY_ROOT as never, () => ({ publicKey: k.key, validFor: () => true }));
    try {
      new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(entity);
      return { ok: true, key: k.name, bundle };
    } catch (e) {
      reasons.push(`${k.name}: ${String((e as Error).message).slice(0, 200)}`);
    }
  }
  return { ok: false, reason: keys.length ? `signature not valid for any trusted key (${reasons.join('; ')})` : 'no trusted keys' };
}
