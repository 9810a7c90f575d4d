import type { Config } from '../config/schema.ts';
import type { Database } from '../db/client.ts';
import { withLease } from '../db/leases.ts';
import { CustomsError } from '../errors.ts';
import type { ImageVerdict } from '../policy/verdicts.ts';
import type { RegistryClient } from '../registry/client.ts';
import type { ScanReport } from '../scan/types.ts';
import type { Signer } from '../signing/signer.ts';
import { dsseBundleJson, IN_TOTO_PAYLOAD_TYPE, signEnvelope } from './dsse.ts';
import { publishLegacy, type SignedAttestation } from './publish-legacy.ts';
import { publishReferrers, type ReferrersResult } from './publish-referrers.ts';
import { imageStatements, type ImageSubject } from './statements.ts';

export interface PublishResult {
  predicateTypes: string[];
  /** digest of the `.att` manifest (legacy format) */
  legacy?: string;
  referrers?: ReferrersResult;
}

/**
 * Sign the image's statements (vulnerabilities, SBOM, verdict) and write them in the configured
 * formats. Everything is signed and size-checked before the first write: a statement over the
 * limit fails the whole publication, so nothing is ever half written.
 */
export async function publishAttestations(
  deps: { client: RegistryClient; signer: Signer; cfg: Config; database?: Database },
  image: ImageSubject, report: ScanReport, verdict: ImageVerdict,
): Promise<PublishResult> {
  const { attestations, limits } = deps.cfg;
  const format = attestations.registries[image.registry] ?? attestations.format;
  const signed: (SignedAttestation & { bundle: Buffer })[] = [];
  for (const st of imageStatements(image, report, verdict)) {
    const payload = Buffer.from(JSON.stringify(st));
    if (payload.length > attestations.maxStatementBytes) {
      throw new CustomsError('limit', `${image.registry}/${image.repository}@${image.digest}: the ${st.predicateType} statement is ${payload.length} bytes, over attestations.maxStatementBytes (${attestations.maxStatementBytes}); no attestation was written`);
    }
    const { envelope, signature } = await signEnvelope(deps.signer, IN_TOTO_PAYLOAD_TYPE, payload);
    const bundle = dsseBundleJson(IN_TOTO_PAYLOAD_TYPE, payload, signature, deps.signer.keyId);
    signed.push({ predicateType: st.predicateType, envelope: Buffer.from(JSON.stringify(envelope)), bundle });
  }
  const result: PublishResult = { predicateTypes: signed.map((s) => s.predicateType) };
  // the two layouts touch different tags and manifests: written side by side; with a database the
  // read-modify-writes are also serialised across Customs processes (replicas) by a lease
  const write = () => Promise.all([
    format !== 'referrers' ? publishLegacy(deps.client, image, signed, limits.maxManifestBytes) : undefined,
    format !== 'legacy' ? publishReferrers(deps.client, image, signed, verdictTime(verdict), limits.maxManifestBytes) : undefined,
  ]);
  const [legacy, referrers] = deps.database
    ? await withLease(deps.database, `attestations:${image.registry}/${image.repository}@${image.digest}`, write)
    : await write();
  return { ...result, ...(legacy ? { legacy } : {}), ...(referrers ? { referrers } : {}) };
}

function verdictTime(verdict: ImageVerdict): string {
  return verdict.platforms[0]?.evaluatedAt ?? new Date().toISOString();
}
