import type { Signer } from '../signing/signer.ts';

// DSSE (https://github.com/secure-systems-lab/dsse/blob/master/protocol.md): the signature covers
// PAE(payloadType, payload), never the JSON envelope, so the envelope can be re-serialised freely.

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
    envelope: { payloadType, payload: payload.toString('base64'), signatures: [{ keyid: signer.keyId, sig: signature.toString('base64') }] },
    signature,
  };
}
