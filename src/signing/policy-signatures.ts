import type { TrustMaterial } from '@sigstore/verify';
import type { ImageSubject } from '../attest/statements.ts';
import type { Database } from '../db/client.ts';
import { log } from '../log.ts';
import type { SignatureStatus } from '../policy/evaluate.ts';
import type { Policy } from '../policy/schema.ts';
import type { RegistryClient } from '../registry/client.ts';
import { recordSignatures } from './signature-store.ts';
import { signatureStatuses, verifyImageSignatures, type Authority, type SignatureResult } from './verify-image.ts';

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * The image's signatures checked against every authority the policy's `signature` rules name.
 * Undefined when the policy has no signature rule (nothing is fetched) or when the registry could
 * not be read (the rule then fails as "signatures not verified"). With a database, the results are
 * recorded for the API (GET /api/v1/images/{digest}/signatures).
 */
export async function policySignatures(client: RegistryClient, image: ImageSubject, policy: Policy, database?: Database, trust?: TrustMaterial): Promise<{ statuses: SignatureStatus[]; results: SignatureResult[] } | undefined> {
  const authorities: Authority[] = [];
  for (const r of policy.spec.rules) if (r.type === 'signature') authorities.push(...r.authorities);
  if (!authorities.length) return undefined;
  try {
    const results = await verifyImageSignatures(client, image, authorities, MAX_MANIFEST_BYTES, trust);
    log.info({ image: `${image.registry}/${image.repository}@${image.digest}`, signatures: results.map((r) => ({ format: r.format, verified: r.verified, authority: r.authority, reason: r.reason })) }, 'signatures checked');
    if (database) await recordSignatures(database, image, results);
    return { statuses: signatureStatuses(results, authorities), results };
  } catch (e) {
    log.warn({ image: `${image.registry}/${image.repository}@${image.digest}`, err: (e as Error).message }, 'signatures could not be read');
    return undefined;
  }
}
