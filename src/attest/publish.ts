import type { Config } from '../config/schema.ts';
import { CustomsError } from '../errors.ts';
import type { ImageVerdict } from '../policy/verdicts.ts';
import type { RegistryClient } from '../registry/client.ts';
import type { ScanReport } from '../scan/types.ts';
import type { Signer } from './signer.ts';
import { dsseBundleJson, IN_TOTO_PAYLOAD_TYPE, signEnvelope } from './dsse.ts';
import { publishLegacy, type SignedAttestation } from './publish-legacy.ts';
import { publishReferrers, type ReferrersResult, type SubjectDescriptor } from './publish-referrers.ts';
import { imageStatements, verdictStatement, type ImageSubject, type PublishedQuarantine } from './statements.ts';

export interface PublishResult {
  predicateTypes: string[];
  /** digest of the `.att` manifest (legacy format) */
  legacy?: string;
  referrers?: ReferrersResult;
}

/**
 * Sign the image's statements (vulnerabilities, SBOM, verdict — or the verdict alone when no report
 * is given) and write them in the configured formats. Everything is signed and size-checked before
 * the first write: a statement over the limit fails the whole publication, so nothing is ever half
 * written. Statements of the same predicate type written before are replaced.
 */
export async function publishAttestations(
  deps: { client: RegistryClient; signer: Signer; cfg: Config },
  image: ImageSubject, report: ScanReport | undefined, verdict: ImageVerdict,
  opts: { quarantine?: PublishedQuarantine; subject?: SubjectDescriptor } = {},
): Promise<PublishResult> {
  const { quarantine } = opts;
  const { attestations, limits } = deps.cfg;
  const format = attestations.registries[image.registry] ?? attestations.format;
  const signed: (SignedAttestation & { bundle: Buffer })[] = [];
  const statements = report ? imageStatements(image, report, verdict, quarantine) : [verdictStatement(image, verdict, quarantine)];
  for (const st of statements) {
    const payload = Buffer.from(JSON.stringify(st));
    if (payload.length > attestations.maxStatementBytes) {
      throw new CustomsError('limit', `${image.registry}/${image.repository}@${image.digest}: the ${st.predicateType} statement is ${payload.length} bytes, over attestations.maxStatementBytes (${attestations.maxStatementBytes}); no attestation was written`);
    }
    const { envelope, signature } = await signEnvelope(deps.signer, IN_TOTO_PAYLOAD_TYPE, payload);
    const bundle = dsseBundleJson(IN_TOTO_PAYLOAD_TYPE, payload, signature, deps.signer.keyId);
    signed.push({ predicateType: st.predicateType, envelope: Buffer.from(JSON.stringify(envelope)), bundle });
  }
  const result: PublishResult = { predicateTypes: signed.map((s) => s.predicateType) };
  // the two layouts touch different tags and manifests: written side by side. Across processes,
  // one image is published by one process at a time: the outbox row's lease (src/publish/outbox.ts)
  const [legacy, referrers] = await Promise.all([
    format !== 'referrers' ? publishLegacy(deps.client, image, signed, limits.maxManifestBytes) : undefined,
    format !== 'legacy' ? publishReferrers(deps.client, image, signed, verdictTime(verdict), limits.maxManifestBytes, opts.subject) : undefined,
  ]);
  return { ...result, ...(legacy ? { legacy } : {}), ...(referrers ? { referrers } : {}) };
}

function verdictTime(verdict: ImageVerdict): string {
  return verdict.platforms[0]?.evaluatedAt ?? new Date().toISOString();
}
