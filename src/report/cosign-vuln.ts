import type { ScanReport } from '../scan/types.ts';
import { VERSION } from '../version.ts';
import { publicSourceName } from '../vulndb/public-source.ts';

export const COSIGN_VULN_PREDICATE_TYPE = 'https://cosign.sigstore.dev/attestation/vuln/v1';

/** RFC 3339 in UTC with seconds (what cosign's Go time.Parse(time.RFC3339) accepts). */
export function rfc3339(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The cosign vuln predicate (for `cosign attest --type vuln --predicate FILE`): scanner uri/version,
 * the database and its version, the scan report as the result, RFC 3339 start/finish times.
 * `scanner.db.uri` names the feeds (URLs without credentials, local imports by file name only),
 * never the server's paths: this predicate is published signed in the registry.
 */
export function toCosignVuln(report: ScanReport): object {
  return {
    invocation: { parameters: [report.ref], uri: '', event_id: '', 'builder.id': '' },
    scanner: {
      uri: 'pkg:npm/customs@' + VERSION,
      version: VERSION,
      db: { uri: (report.dbVersion?.sources ?? []).map(publicSourceName).join(','), version: report.dbVersion?.version ?? '' },
      result: {
        rootDigest: report.rootDigest,
        platforms: report.platforms.map((p) => ({ platform: p.inventory.platform, manifestDigest: p.inventory.manifestDigest, findings: p.findings })),
        warnings: report.warnings,
      },
    },
    metadata: { scanStartedOn: rfc3339(report.startedAt), scanFinishedOn: rfc3339(report.finishedAt) },
  };
}
