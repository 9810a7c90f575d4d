// Deploy time: read Customs' verdict attestations straight from the registry (no Customs server) and
// keep those whose signature verifies with a given key and whose statement is about this image.
// Both published layouts are read: sigstore bundle referrers and the legacy cosign `.att` tag (its
// DSSE envelopes are turned into bundles, so one verifier serves both).
import type { RegistryClient } from '../registry/client.ts';
import { discoverSignatures } from './discover.ts';
import { verifyKeyedBundle, type TrustedKey } from './verify-bundle.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { checkStatement } from '../attest/check-statement.ts';
import { descriptorsOf, digestTag, getOptionalManifest } from '../attest/oci-artifacts.ts';
import { DSSE_LAYER_TYPE } from '../attest/publish-legacy.ts';
import { BUNDLE_MEDIA_TYPE } from '../attest/publish-referrers.ts';
import { VERDICT_PREDICATE_TYPE, type ImageSubject } from '../attest/statements.ts';

const MAX_ENVELOPE = 1024 * 1024;
const MAX_LAYERS = 64;

export interface VerdictPredicate {
  verdict: 'pass' | 'warn' | 'fail';
  /** absent in attestations written before the quarantine state was published */
  quarantine?: { state: 'none' | 'quarantined' | 'released'; releasedAt?: string };
  policy: { name: string; version: number; mode: string };
  dbVersion: string | null;
  evaluatedAt: string;
  platforms: { platform: string; manifestDigest: string; verdict: string; reasons: { rule: string; outcome: string; message: string }[] }[];
}

export interface VerifiedVerdict { source: 'referrer' | 'att'; key: string; predicate: VerdictPredicate }

export async function readVerdictAttestations(client: RegistryClient, image: ImageSubject, keys: TrustedKey[], maxManifestBytes: number): Promise<{ verified: VerifiedVerdict[]; rejected: { source: string; reason: string }[] }> {
  const verified: VerifiedVerdict[] = [];
  const rejected: { source: string; reason: string }[] = [];
  const accept = (source: 'referrer' | 'att', where: string, bundleJson: unknown) => {
    const v = verifyKeyedBundle(bundleJson, keys);
    if (!v.ok) { rejected.push({ source: where, reason: v.reason }); return; }
    const st = checkStatement(v.bundle, { digest: image.digest });
    if (!st.ok) { rejected.push({ source: where, reason: st.reason }); return; }
    if (st.statement.predicateType !== VERDICT_PREDICATE_TYPE) return; // the SBOM or vulnerability attestation
    const p = st.statement.predicate as VerdictPredicate;
    if (!p || !['pass', 'warn', 'fail'].includes(p.verdict) || Number.isNaN(Date.parse(p.evaluatedAt))) {
      rejected.push({ source: where, reason: 'verdict predicate is malformed' });
      return;
    }
    verified.push({ source, key: v.key, predicate: p });
  };

  const found = await discoverSignatures(client, image, maxManifestBytes);
  for (const b of found.bundles) {
    const dsse = (b.bundle as { dsseEnvelope?: unknown })?.dsseEnvelope;
    if (!dsse) continue; // a signature bundle, not an attestation
    accept('referrer', `referrer ${b.digest}`, b.bundle);
  }

  const att = await getOptionalManifest(client, image.registry, image.repository, digestTag(image.digest, '.att'), maxManifestBytes);
  if (att) {
    const layers = descriptorsOf(att.bytes, 'layers', `${image.registry}/${image.repository} .att`)
      .filter((l) => l.mediaType === DSSE_LAYER_TYPE && l.annotations?.predicateType === VERDICT_PREDICATE_TYPE && l.size <= MAX_ENVELOPE)
      .slice(0, MAX_LAYERS);
    for (const l of layers) {
      const env = parseUntrustedJson<any>(await client.fetchBlob(image.registry, image.repository, l, MAX_ENVELOPE), `.att layer ${l.digest}`, 16);
      accept('att', `.att layer ${l.digest}`, envelopeBundle(env));
    }
  }
  return { verified, rejected };
}

/** A cosign `.att` DSSE envelope as a keyed sigstore bundle (no transparency log: checked with the key). */
function envelopeBundle(env: any): unknown {
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: '' }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } },
    dsseEnvelope: {
      payload: env?.payload, payloadType: env?.payloadType,
      signatures: Array.isArray(env?.signatures) ? env.signatures.slice(0, 8).map((s: any) => ({ sig: s?.sig, keyid: s?.keyid ?? '' })) : [],
    },
  };
}
