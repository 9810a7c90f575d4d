import { Verifier, type SignedEntity, type TrustMaterial } from '@sigstore/verify';

// For a signature already verified with a policy key: what its transparency-log entries and
// RFC 3161 timestamps add. cosign signs with a key *and* logs to Rekor (and may timestamp) by
// default, so keyed bundles usually carry them; the key is what the policy trusts, so an entry or
// timestamp whose log or authority the trusted root does not hold is reported, not fatal. One the
// root does hold must verify (a forged or mismatched entry refuses the signature): sigstore-js
// checks it — signed entry timestamp or checkpoint and inclusion proof, and that the entry is for
// this very signature (Rekor v1 hashedrekord/dsse/intoto, Rekor v2 hashedrekord over the DSSE PAE).

export type Evidence = { ok: true; notes: string[] } | { ok: false; reason: string };

const NO_CHECKS = { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 };

/** The entity with its signature marked as checked: the caller verified it (Ed25519 included). */
function signatureChecked(entity: SignedEntity): SignedEntity {
  const s = entity.signature;
  return {
    ...entity,
    signature: {
      signature: s.signature,
      compareSignature: (x) => s.compareSignature(x),
      compareDigest: (x) => s.compareDigest(x),
      compareSignedDigest: (x) => s.compareSignedDigest(x),
      verifySignature: () => true,
    },
  };
}

export function checkLogEvidence(entity: SignedEntity, keyTrust: TrustMaterial, root: TrustMaterial | undefined): Evidence {
  const checked = signatureChecked(entity);
  const notes: string[] = [];
  const trust: TrustMaterial = { ...keyTrust, tlogs: root?.tlogs ?? [], timestampAuthorities: root?.timestampAuthorities ?? [] };
  for (const e of entity.tlogEntries) {
    const logId = Buffer.from(e.logId?.keyId ?? []);
    const what = `transparency log entry ${e.logIndex} (${e.kindVersion?.kind ?? '?'} ${e.kindVersion?.version ?? '?'}, log ${logId.toString('base64')})`;
    const log = root?.tlogs.find((t) => t.logID.equals(logId));
    if (!log) {
      notes.push(`${what} not verified: ${root ? 'the trusted root does not hold that log' : 'no trusted root configured'}`);
      continue;
    }
    const timestamps = entity.timestamps.filter((t) => t.$case === 'transparency-log' && t.tlogEntry === e);
    try {
      new Verifier(trust, { ...NO_CHECKS, tlogThreshold: 1 }).verify({ ...checked, tlogEntries: [e], timestamps });
      notes.push(`${what} verified against ${log.baseURL}`);
    } catch (err) {
      return { ok: false, reason: `${what} does not verify against ${log.baseURL}: ${String((err as Error).message).slice(0, 200)}` };
    }
  }
  for (const t of entity.timestamps) {
    if (t.$case !== 'timestamp-authority') continue;
    const ts = t.timestamp;
    const what = `RFC 3161 timestamp of ${ts.signingTime.toISOString()}`;
    // the authority that issued it: the leaf whose serial number and issuer the token names
    const tsa = root?.timestampAuthorities.find((ca) => ca.certChain.length > 0 && ca.certChain[0]!.serialNumber.equals(ts.signerSerialNumber) && ca.certChain[0]!.issuer.equals(ts.signerIssuer));
    if (!tsa) {
      notes.push(`${what} not verified: ${root ? 'no timestamp authority of the trusted root issued it' : 'no trusted root configured'}`);
      continue;
    }
    try {
      new Verifier(trust, { ...NO_CHECKS, timestampThreshold: 1 }).verify({ ...checked, tlogEntries: [], timestamps: [t] });
      notes.push(`${what} verified`);
    } catch (err) {
      return { ok: false, reason: `${what} does not verify against its timestamp authority: ${String((err as Error).message).slice(0, 200)}` };
    }
  }
  return { ok: true, notes };
}
