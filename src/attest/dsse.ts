import { bundleToJSON, toDSSEBundle } from '@sigstore/bundle';
import type { Signer } from './signer.ts';

// DSSE (https://github.com/secure-systems-lab/dsse/blob/master/protocol.md): the signature covers
// PAE(payloadType, payload), never the JSON envelope, so the envelope can be re-serialised freely.
//
// The signature's keyid is always "" (what cosign writes). go-securesystemslib's DSSE verifier
// (dsse/verify.go VerifyAndDecode), which sigstore-go uses with the verifier's public key set,
// computes its own keyid (ssh.FingerprintSHA256, "SHA256:<base64>") and skips every signature
// whose non-empty keyid differs from it: a hex keyid made cosign 3, and Kyverno's SigstoreBundle
// verification, refuse every Customs attestation. The key's identity lives only in the bundle's
// verificationMaterial.publicKey.hint.

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface DsseEnvelope {
  payloadType: string;
  /** base64 of the payload bytes */
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

/** "DSSEv1" SP len(type) SP type SP len(body) SP body, lengths in bytes as ASCII decimal. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

export async function signEnvelope(signer: Signer, payloadType: string, payload: Buffer): Promise<{ envelope: DsseEnvelope; signature: Buffer }> {
  const signature = await signer.sign(pae(payloadType, payload));
  return {
    envelope: { payloadType, payload: payload.toString('base64'), signatures: [{ keyid: '', sig: signature.toString('base64') }] },
    signature,
  };
}

/** The same signed payload as a sigstore bundle v0.3 (serialised JSON): key hint set, DSSE keyid "". */
export function dsseBundleJson(payloadType: string, payload: Buffer, signature: Buffer, keyHint: string): Buffer {
  const bundle = toDSSEBundle({ artifact: payload, artifactType: payloadType, signature, keyHint });
  // toDSSEBundle copies the key hint into the DSSE keyid as well: cleared, see above
  for (const s of bundle.content.dsseEnvelope.signatures) s.keyid = '';
  return Buffer.from(JSON.stringify(bundleToJSON(bundle)));
}
