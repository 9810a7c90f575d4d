import { createHash, createPublicKey, sign as cryptoSign, type KeyObject } from 'node:crypto';

/**
 * What signs Customs' attestations. Kept this small so a KMS-backed signer (remote sign call,
 * public key fetched once) can stand in for the local key.
 */
export interface Signer {
  /** a signature over `data` (ECDSA: ASN.1 DER over SHA-256, what cosign and DSSE verifiers expect) */
  sign(data: Buffer): Promise<Buffer>;
  /** the public key, SPKI PEM */
  publicKeyPem: string;
  /** hex SHA-256 of the SPKI DER: the key hint in bundles (never the DSSE keyid, which is "": see attest/dsse.ts) */
  keyId: string;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** A signer over a private key held in this process. */
export function localSigner(privateKey: KeyObject): Signer {
  const publicKey = createPublicKey(privateKey);
  return {
    sign: async (data) => cryptoSign('sha256', data, privateKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}
