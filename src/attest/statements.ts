import type { ImageVerdict } from '../policy/verdicts.ts';
import { COSIGN_VULN_PREDICATE_TYPE, rfc3339, toCosignVuln } from '../report/cosign-vuln.ts';
import { toCycloneDx } from '../sbom/cyclonedx.ts';
import type { ScanReport } from '../scan/types.ts';
import { VERSION } from '../version.ts';

// The in-toto v1 statements Customs writes about an image digest: vulnerabilities (cosign's vuln
// predicate), the SBOM (CycloneDX) and the policy verdict (Customs' own predicate, whose JSON
// schema is schemas/verdict-v1.schema.json).

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const CYCLONEDX_PREDICATE_TYPE = 'https://cyclonedx.org/bom';
export const VERDICT_PREDICATE_TYPE = 'https://customs.dev/attestation/verdict/v1';

export interface ImageSubject { registry: string; repository: string; digest: string }

export interface Statement {
  _type: typeof STATEMENT_TYPE;
  subject: { name: string; digest: Record<string, string> }[];
  predicateType: string;
  predicate: unknown;
}

export function statement(image: ImageSubject, predicateType: string, predicate: unknown): Statement {
  const [alg, hex] = image.digest.split(':') as [string, string];
  return { _type: STATEMENT_TYPE, subject: [{ name: `${image.registry}/${image.repository}`, digest: { [alg]: hex } }], predicateType, predicate };
}

/** The image's quarantine state as published: a released image stays `fail` but the gate lets it through. */
export interface PublishedQuarantine { state: 'none' | 'quarantined' | 'released'; releasedAt?: string }

export function verdictPredicate(verdict: ImageVerdict, quarantine: PublishedQuarantine = { state: 'none' }): object {
  return {
    verdict: verdict.verdict,
    quarantine: { state: quarantine.state, ...(quarantine.releasedAt ? { releasedAt: rfc3339(quarantine.releasedAt) } : {}) },
    policy: { name: verdict.policy.name, version: verdict.policy.version, mode: verdict.policy.mode },
    dbVersion: verdict.dbVersion,
    evaluatedAt: rfc3339(verdict.platforms[0]?.evaluatedAt ?? new Date().toISOString()),
    scanner: { name: 'customs', version: VERSION },
    platforms: verdict.platforms.map((p) => ({
      platform: p.platform, manifestDigest: p.manifestDigest, verdict: p.verdict,
      reasons: p.reasons.map((r) => ({ rule: r.rule, outcome: r.outcome, message: r.message })),
    })),
  };
}

/**
 * What a published verdict says, without the time it was evaluated: two verdicts with the same
 * identity need no new attestation (src/quarantine/verdict-store.ts decides re-publication with it).
 */
export function verdictIdentity(verdict: ImageVerdict, quarantine: PublishedQuarantine): string {
  return JSON.stringify({ ...verdictPredicate(verdict, quarantine), evaluatedAt: undefined });
}

/** The verdict statement alone (a re-evaluation that changed the verdict but not the findings). */
export function verdictStatement(image: ImageSubject, verdict: ImageVerdict, quarantine?: PublishedQuarantine): Statement {
  return statement(image, VERDICT_PREDICATE_TYPE, verdictPredicate(verdict, quarantine));
}

/** The three statements for one scanned image (in a fixed order). */
export function imageStatements(image: ImageSubject, report: ScanReport, verdict: ImageVerdict, quarantine?: PublishedQuarantine): Statement[] {
  const sbom = toCycloneDx({
    ref: { kind: 'registry', registry: image.registry, repository: image.repository, digest: image.digest, original: `${image.registry}/${image.repository}@${image.digest}` },
    toolVersion: VERSION, timestamp: report.finishedAt, inventories: report.platforms.map((p) => p.inventory),
  });
  return [
    // the reference as scanned may be a local path (oci-archive:…): the statement names the image
    statement(image, COSIGN_VULN_PREDICATE_TYPE, toCosignVuln({ ...report, ref: `${image.registry}/${image.repository}@${image.digest}` })),
    statement(image, CYCLONEDX_PREDICATE_TYPE, sbom),
    verdictStatement(image, verdict, quarantine),
  ];
}
