import { MT } from '../image/media-types.ts';
import type { RegistryClient } from '../registry/client.ts';
import type { ScanRecord } from '../scan/scan-record.ts';
import { subjectOf, type SubjectDescriptor } from '../attest/publish-referrers.ts';

// The scan status written back next to an image as the tag `sha256-<hex>.scan`: a small OCI artifact
// (empty config, one JSON layer with the summary and the current verdict, `subject` = the image) so
// tools that only read tags see the verdict; it is rewritten through the publication outbox whenever
// the verdict changes, and the tag keeps it reachable for the registry's garbage collector. Its own
// push notification is recognised by the tag (and the empty config) and never starts a scan.

export const STATUS_ARTIFACT_TYPE = 'application/vnd.customs.scan.v1+json';
export const STATUS_SUMMARY_TYPE = 'application/vnd.customs.scan.summary.v1+json';

export function statusTag(digest: string): string {
  return `${digest.replace(':', '-')}.scan`;
}

/** What the status tag says: the scan's counts and the current verdict (rewritten whenever either changes). */
export type StatusSummary = Pick<ScanRecord, 'digest' | 'dbVersion' | 'platforms' | 'packages' | 'findings' | 'critical' | 'high' | 'medium' | 'low' | 'unknown'> & {
  scanId: string | null;
  finishedAt: string | null;
  verdict: 'pass' | 'warn' | 'fail';
  policy: string;
  quarantine: 'none' | 'quarantined' | 'released';
  evaluatedAt: string;
};

export async function writeStatusTag(client: RegistryClient, registry: string, repository: string, scan: StatusSummary, maxManifestBytes: number, known?: SubjectDescriptor): Promise<string> {
  const subject = known ?? await subjectOf(client, { registry, repository, digest: scan.digest }, maxManifestBytes);
  const summary = Buffer.from(JSON.stringify(scan));
  const empty = Buffer.from('{}');
  const cfg = await client.pushBlob(registry, repository, empty);
  const layer = await client.pushBlob(registry, repository, summary, undefined, { probe: false }); // carries its evaluation time: new bytes
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MT.ociManifest, artifactType: STATUS_ARTIFACT_TYPE,
    config: { mediaType: MT.ociEmpty, digest: cfg.digest, size: cfg.size },
    layers: [{ mediaType: STATUS_SUMMARY_TYPE, digest: layer.digest, size: layer.size }],
    subject: { mediaType: subject.mediaType, digest: scan.digest, size: subject.size },
    annotations: {
      'org.opencontainers.image.created': scan.evaluatedAt,
      ...(scan.scanId ? { 'dev.customs.scan.id': scan.scanId } : {}),
      'dev.customs.scan.findings': String(scan.findings),
      'dev.customs.scan.critical': String(scan.critical),
      'dev.customs.scan.high': String(scan.high),
      'dev.customs.scan.unknown': String(scan.unknown),
      'dev.customs.verdict': scan.verdict,
      'dev.customs.verdict.policy': scan.policy,
      'dev.customs.quarantine': scan.quarantine,
    },
  }));
  return client.putManifest(registry, repository, statusTag(scan.digest), manifest, MT.ociManifest);
}
