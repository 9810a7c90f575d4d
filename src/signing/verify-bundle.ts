import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier, type TrustMaterial } from '@sigstore/verify';
import { checkLogEvidence } from './log-evidence.ts';
import { keyIdOf } from '../attest/signer.ts';

// Keyed verification of a sigstore bundle (message signature or DSSE) with sigstore-js: the same
// verifier serves Customs' own attestations and (converted) cosign signatures, so there is one
// signature verifier, not two. The key is the trust: a signature that verifies with it is
// accepted. Transparency-log entries and timestamps (cosign adds them by default) are then checked
// against the trusted root when it holds their log or authority, and reported otherwise
// (log-evidence.ts).

export interface TrustedKey {
  /** a name for reports: the file it came from, or the key id */
  name: string;
  key: KeyObject;
}

export type BundleCheck =
  /** `notes`: what became of the bundle's log entries and timestamps (verified, or why not) */
  | { ok: true; key: string; bundle: Bundle; notes: string[] }
  | { ok: false; reason: string };

const EMPTY_ROOT = { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };

export function trustedKey(pem: string | Buffer, name?: string): TrustedKey {
  const key = createPublicKey(pem);
  return { name: name ?? keyIdOf(key), key };
}

/**
 * Verify `json` (a serialised bundle) against each key in turn; `artifact` for message signatures;
 * `root`: the trusted root its log entries and timestamps are checked against.
 */
export function verifyKeyedBundle(json: unknown, keys: TrustedKey[], artifact?: Buffer, root?: TrustMaterial): BundleCheck {
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
    // the bundle's key hint is advisory: every configured key is tried
    const trust = toTrustMaterial(EMPTY_ROOT as never, () => ({ publicKey: k.key, validFor: () => true }));
    if (k.key.asymmetricKeyType === 'ed25519' && bundle.content.$case === 'messageSignature' && artifact) {
      // sigstore-js hashes message signatures before verifying, which Ed25519 does not allow (it
      // signs the message itself, as cosign does with Ed25519 keys): that one case is checked directly
      if (!cryptoVerify(null, artifact, k.key, bundle.content.messageSignature.signature)) {
        reasons.push(`${k.name}: signature verification failed`);
        continue;
      }
    } else {
      try {
        // the signature alone: log entries and timestamps are looked at below, once it is the key's
        new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify({ ...entity, tlogEntries: [], timestamps: [] });
      } catch (e) {
        reasons.push(`${k.name}: ${String((e as Error).message).slice(0, 200)}`);
        continue;
      }
    }
    const evidence = checkLogEvidence(entity, trust, root);
    return evidence.ok ? { ok: true, key: k.name, bundle, notes: evidence.notes } : { ok: false, reason: `signature verified with ${k.name}, but ${evidence.reason}` };
  }
  return { ok: false, reason: keys.length ? `signature not valid for any trusted key (${reasons.join('; ')})` : 'no trusted keys' };
}
